import { escapeRegExp } from "../spec/regex.js";
import { knownService } from "../spec/known-services.js";
import type { ImageGuess } from "./images.js";
import { inFolder, type Notes, type RepoView } from "./repo.js";
import { hostsIn } from "./service-refs.js";

/**
 * TODOs where the spec leaves the tests unable to use their services: no setting points them at
 * a service, or a Rails app's test database is never created.
 */
export function noteTestReach(
  repo: RepoView,
  images: readonly ImageGuess[],
  services: readonly (Reachable & { image: string })[],
  composeFiles: readonly string[],
  notes: Notes,
): void {
  const sql = services.filter((s) => knownService(s.image)?.sql).map((s) => s.name);
  images.forEach((img, i) => {
    const at = images.length > 1 ? ["images", i, "test"] : ["test"];
    const unpointed = unpointedServices(repo, img.test, services, composeFiles);
    if (unpointed.length)
      notes.todo.push({
        at,
        text: `nothing here points the tests at ${unpointed.join(", ")} (no test setting or settings file names ${unpointed.length > 1 ? "their hosts" : "its host"}), and on the tests' network a service answers to its name only: set what the tests read (test.environment, e.g. a database URL with the host ${unpointed[0]}), and create or migrate the database in the command if the tests need that`,
      });
    // Rails checks the test database, and creates none: a fresh service has none.
    const step = railsDatabaseStep(repo, img.context, img.test.command, sql);
    if (step)
      notes.todo.push({
        at: [...at, "command"],
        text: `no test helper of this Rails app maintains the test schema (rails/test_help, maintain_test_schema!), so nothing creates the test database on ${sql.join(", ")} or loads its schema: run \`${step} &&\` before the tests (with RAILS_ENV=test where the image sets another)`,
      });
  });
}

/** What the tests are told: their command and environment. */
export interface TestSettings {
  command?: string | readonly string[];
  environment: Readonly<Record<string, string>>;
}

/** A service by the host names the tests' network gives it. */
export interface Reachable {
  name: string;
  aliases?: readonly string[];
}

/**
 * Files that are not the tests' settings: CI's (it starts its own services, on localhost),
 * documentation, dependencies, virtual environments and build output.
 */
const NOT_SETTINGS = /(^|\/)(\.github|\.circleci|\.gitlab|node_modules|vendor|docs?|\.?venv|\.tox|__pycache__|target|build|dist|out|coverage)\//i;
/** Settings and source files by their names: configuration formats, env files, Dockerfiles, the languages' sources. */
const SETTINGS_FILE =
  /(^|\/)(\.env[^/]*|[^/]*Dockerfile[^/]*|[^/]+\.(ya?ml|json|toml|ini|cfg|conf|properties|xml|dist|env|py|rb|ex|exs|php|js|cjs|mjs|ts|go|rs|kt|kts|java|cs|sh))$/;
/(^|\/)(\.github|\.circleci|\.gitlab|node_modules|vendor|docs?)\/|\.(md|rst|adoc|txt|html?|svg|png|jpe?g|gif|ico|woff2?|lock|sum|map|min\.js|csv|po|mo|pdf|zip|gz)$/i;

/**
 * The services nothing points the tests at. On the tests' network a service answers only to its
 * name and aliases, so a setting must name one as a host: the test's environment or command, or a
 * file of the repository the tests read (a `DATABASE_URL` in a Dockerfile's ENV, `host: db` in
 * config/database.yml, a `getenv("DB_HOST", "db")` default). Without one the tests look where
 * the app's defaults say (localhost) and fail to connect. Compose files do not count: the app's
 * settings there reach the tests only through the test environment `init` copies from them.
 */
export function unpointedServices(repo: RepoView, test: TestSettings, services: readonly Reachable[], composeFiles: readonly string[]): string[] {
  const command = typeof test.command === "string" ? test.command : (test.command ?? []).join(" ");
  const named = new Set([...Object.entries(test.environment), ["command", command] as const].flatMap(([k, v]) => hostsIn(k, v)));
  let left = services.filter((s) => ![s.name, ...(s.aliases ?? [])].some((h) => named.has(h.toLowerCase())));
  // Every compose file (a dev or CI variant too) and its env files: the app's settings, not the tests'.
  const skip = new Set(composeFiles);
  const composeLike = /(^|\/)[^/]*compose[^/]*$/i;
  for (const file of repo.files) {
    if (!left.length) break;
    if (skip.has(file) || composeLike.test(file) || NOT_SETTINGS.test(file) || !SETTINGS_FILE.test(file)) continue;
    const text = repo.read(file);
    if (!text || text.length > 200_000) continue;
    left = left.filter((s) => ![s.name, ...(s.aliases ?? [])].some((h) => namesHost(text, h)));
  }
  return left.map((s) => s.name);
}

/**
 * A host setting's name and what stands between it and its value, as settings files write them:
 * `host: db`, `DB_HOST=db`, `'HOST': 'db'`, `getenv("DB_HOST", "db")`, `ENV.fetch("DB_HOST") { "db" }`,
 * a script's `env.DB_HOST || 'db'`, `<env name="DB_HOST" value="db"/>`, `Server=db;` (a connection string).
 */
const HOST_SETTING = `(?:host(?:name)?|servers?|addr(?:ess)?|dsn|brokers?)(?![\\w.-])["']?\\s*\\)?\\s*(?:=>|[:=,{]|\\|\\||\\?\\?|\\bor\\b|\\s+value=)\\s*["']?`;

/**
 * Whether `text` names `host` as a host: a URL's (`postgres://u:p@db:5432/x`, after any user and
 * password), a `host:port`, or the value of a host setting (`host: db`, `DB_HOST=db`,
 * `'HOST': 'db'`, `getenv("DB_HOST", "db")`). An image tag (`postgres:16`) is no port.
 */
export function namesHost(text: string, host: string): boolean {
  if (!text.includes(host)) return false;
  // Comments are examples and notes (`# docker run … postgres:14.1`), not settings.
  const settings = text.replace(/^\s*(#|\/\/|--|;).*$/gm, "");
  const h = escapeRegExp(host);
  for (const m of settings.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^/\s"'?#]*)/gi)) {
    const authority = m[1]!.slice(m[1]!.lastIndexOf("@") + 1);
    if (authority.split(",").some((a) => a.replace(/:\d*$/, "").toLowerCase() === host.toLowerCase())) return true;
  }
  const withoutUrls = settings.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"']*/gi, " ");
  return new RegExp(`(?<![\\w.-])${h}:\\d{3,5}(?![\\w.])`).test(withoutUrls) || new RegExp(`${HOST_SETTING}${h}["';]?(?![\\w.-])`, "i").test(withoutUrls);
}

/**
 * A Rails app tested against a SQL database server whose test helpers do not maintain the schema
 * (`rails/test_help` and rspec-rails' `maintain_test_schema!` run `db:test:prepare` when it is not
 * current): nothing creates the test database or loads its schema, so a command with no `db:`
 * task first fails on a fresh service. The task the command needs, or none.
 */
export function railsDatabaseStep(repo: RepoView, context: string, command: TestSettings["command"], sqlServices: readonly string[]): string | undefined {
  if (!sqlServices.length || typeof command !== "string") return undefined;
  // Paths in the context, relative to it.
  const prefix = context === "." ? "" : `${context}/`;
  const inContext = repo.files.flatMap((f) => (f.startsWith(prefix) ? [f.slice(prefix.length)] : []));
  // Rails: the Gemfile's, or the gemspec's an engine's Gemfile reads; a database: its settings or schema.
  const gems = ["Gemfile", ...inContext.filter((f) => /^[^/]+\.gemspec$/.test(f))];
  const rails = gems.some((f) =>
    /^\s*(gem|\w+\.add_(?:runtime_)?dependency)\s*\(?\s*["'](rails|activerecord|rspec-rails)["']/m.test(repo.read(prefix + f) ?? ""),
  );
  const database = inContext.some((f) => /^(config\/database[^/]*\.yml|db\/(schema\.rb|structure\.sql))$/.test(f));
  if (!rails || !database) return undefined;
  if (!/\b(rspec|rails\s+test|rake(\s+(test|spec)\b|\s*$))/.test(command) || /\bdb:/.test(command)) return undefined;
  // A test helper that maintains the schema (`rails/test_help`, rspec-rails' `maintain_test_schema!`) runs db:test:prepare itself.
  const helpers = ["test/test_helper.rb", "spec/rails_helper.rb", "spec/spec_helper.rb"].map((f) => repo.read(prefix + f) ?? "");
  if (helpers.some((h) => /rails\/test_help|maintain_test_schema!/.test(h.replace(/^\s*#.*$/gm, "")))) return undefined;
  return `${repo.files.includes(inFolder(context, "bin/rails")) ? "bin/rails" : "bundle exec rails"} db:test:prepare`;
}
