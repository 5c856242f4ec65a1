import { dockerInstructions } from "../dockerfile/inputs.js";
import { simpleCommands } from "../dockerfile/toolchain.js";
import { canonicalRepository, knownByProbe, type KnownService, knownService, knownTool } from "../spec/known-services.js";
import { type CiJobServices, sameService } from "./ci-jobs.js";
import { folderOf, mountOf } from "./compose-files.js";
import { buildOf, type Compose, type ComposeService, dockerfileOf, testServices } from "./compose.js";
import { ownContainers } from "./test-containers.js";
import type { Notes, RepoView } from "./repo.js";
import { scriptBuiltImages } from "./build-graph.js";
import { serviceBuildBase, type ServiceBase } from "./service-build.js";
import { dnsNames, type Reference, referencesOf, waitsFor } from "./service-refs.js";
import { serviceSettings } from "./service-settings.js";

export interface ServiceGuess {
  name: string;
  image: string;
  environment: Record<string, string>;
  command?: string[];
  /** Other host names the tests reach it by. */
  aliases?: string[];
  ready?: string | { command: string; timeout: number };
}

/** What a compose service is to the tests. */
type Role =
  | { kind: "test" } // runs the tests (sut, test, tests)
  | { kind: "app"; why: string; other?: string } // the image under test (builds it, or runs the project's own image); other: another Dockerfile of its folder
  | { kind: "service-build"; base: ServiceBase; dockerfile: string } // a known service built with additions (FROM postgres + init scripts)
  | { kind: "built"; dockerfile: string } // another image built here
  | { kind: "image"; image: string }
  | { kind: "job"; why: string } // runs to completion on the code (an install, an asset build): a tool, not a service
  | { kind: "tool"; what: string } // a well-known development tool (a mail catcher, a database console)
  | { kind: "none" }; // neither image nor build

/** What the services are chosen from: the compose model, each service's role, and who reaches whom. */
export interface ServiceContext {
  repo: RepoView;
  compose: Compose;
  services: Record<string, ComposeService>;
  roles: Map<string, Role>;
  notes: Notes;
  /** The PHPUnit configurations the test commands name (`-c tests/units.sqlite.xml`): the tests' settings. */
  phpunitConfigs?: readonly string[];
}

/**
 * The services of the tests, from compose: what the app (the service that builds the image under
 * test, else the one that runs the project's own image) and the compose test service wait for or
 * point at, transitively. When they say nothing at all, the well-known data stores, with a TODO.
 * Every other compose service is left out, with the reason in the report.
 */
export function guessServices(
  repo: RepoView,
  compose: Compose,
  dockerfiles: readonly string[],
  notes: Notes,
  testTargets: ReadonlyMap<string, string | undefined> = new Map(),
  phpunitConfigs: readonly string[] = [],
  ci?: CiJobServices,
): { services: ServiceGuess[]; environment: Record<string, string>; considered: boolean } {
  const services = Object.fromEntries(Object.entries(compose.services).map(([k, v]) => [k, v ?? {}]));
  const project: Project = { repo, compose, dockerfiles, testTargets, builtImages: builtImages(repo, compose, services), awaited: awaitedToEnd(services) };
  const roles = new Map(Object.entries(services).map(([name, svc]) => [name, roleOf(project, name, svc)]));
  const ctx: ServiceContext = { repo, compose, services, roles, notes, phpunitConfigs };
  // A compose test service (sut, test, tests) says what the tests need; else the app's needs are the guess.
  const testers = [...roles].filter(([, r]) => r.kind === "test").map(([n]) => n);
  // The app a test service waits for (a Docker Hub autotest `sut` that calls it) brings its needs too.
  const roots = testers.length ? withApps(ctx, testers) : [...roles].filter(([, r]) => r.kind === "app").map(([n]) => n);
  for (const [name, role] of roles) if (role.kind === "app") notes.found.push(`the app in compose: ${name} (it ${role.why})`);
  const chosen = reach(ctx, roots);
  const taken = chosen.size ? chosen : fallback(ctx, roots);
  const embedded = dropEmbedded(ctx, taken);
  const notInCi = ci ? dropNotInCi(ctx, taken, ci) : new Set<string>();
  noteLeftOut(ctx, taken, chosen.size === 0 && taken.size > 0, new Set([...embedded, ...notInCi]));
  // Compose runs the app from another Dockerfile or stage than the tests': what it needs is a guess for the tests.
  const apps = roots.map((r) => roles.get(r)!);
  // Each Dockerfile once (compose's app and its migrations build the same one).
  const others = [...new Set(apps.flatMap((r) => (r.kind === "app" && r.other ? [r.other] : [])))];
  const elsewhere = apps.filter((r) => r.kind === "app" && r.other).length;
  const said = notes.todo.some((t) => t.at.length === 1 && t.at[0] === "services");
  if (chosen.size && taken.size && others.length && elsewhere === apps.length)
    notes.todo.push({
      at: ["services"],
      text: `compose's app builds ${others.join("; ")}: these are the services the app needs to run; remove those the tests do not use`,
    });
  // No compose test service says what the tests need: what the running app needs is the guess.
  else if (taken.size && !said && !apps.some((r) => r.kind === "test"))
    notes.todo.push({
      at: ["services"],
      text: `these are what compose's app (${roots.join(", ")}) needs to run; no compose test service says what the tests need: remove those they do not use`,
    });
  const named = nameServices(ctx, taken);
  return {
    services: named.map((n) => ({ ...serviceSettings(ctx, n.composeName, n.name), ...(n.aliases.length ? { aliases: n.aliases } : {}) })),
    environment: appSettings(ctx, roots, new Set(named.flatMap((n) => [n.name, ...n.aliases]))),
    // Compose had images to choose from: its choice stands, even when none was taken.
    considered: [...roles.values()].some((r) => r.kind === "image" || r.kind === "service-build" || r.kind === "tool"),
  };
}

/**
 * The app's settings that point at the services it was given (`DATABASE_URL=postgres://u:p@db/app`,
 * `REDIS_HOST=cache`): the tests run in the same image, and read the same settings to reach them.
 * Only those whose host is a service's name in the spec.
 */
function appSettings(ctx: ServiceContext, roots: readonly string[], names: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const network = networkNames(ctx);
  for (const root of roots) {
    if (ctx.roles.get(root)!.kind !== "app") continue;
    const svc = ctx.services[root]!;
    const env = ctx.compose.reader.quiet.serviceEnvironment(svc).environment;
    for (const ref of referencesOf(svc, network, ctx.compose.reader)) {
      const value = env[ref.via];
      // The test's environment takes shell names only (not `spring.datasource.url`).
      if (value === undefined || ref.as === undefined || !names.has(ref.as) || Object.hasOwn(out, ref.via) || !/^[A-Za-z_]\w*$/.test(ref.via)) continue;
      // A value compose could not fill in is no setting to copy.
      if (/\$\{?[A-Za-z_]/.test(value)) continue;
      out[ref.via] = value;
    }
  }
  return out;
}

/**
 * The CI job that runs the tests starts its services itself (or none): a compose service it has
 * no counterpart of is one the running app needs (an image host, a search engine it can do
 * without), not the tests. Kept when some CI service is not matched: the two lists then differ
 * in more than that.
 */
function dropNotInCi(ctx: ServiceContext, taken: Map<string, Reference[]>, ci: CiJobServices): Set<string> {
  const dropped = new Set<string>();
  const imageOf = (name: string) => {
    const role = ctx.roles.get(name)!;
    return role.kind === "image" ? role.image : role.kind === "service-build" ? role.base.image : undefined;
  };
  const composeImages = [...taken.keys()].flatMap((n) => imageOf(n) ?? []);
  if (!ci.images.every((i) => composeImages.some((c) => sameService(i, c)))) return dropped;
  const runs = ci.images.length ? `only ${ci.images.join(", ")}` : "no service";
  for (const name of [...taken.keys()]) {
    const image = imageOf(name);
    if (image === undefined || ci.images.some((i) => sameService(i, image))) continue;
    taken.delete(name);
    dropped.add(name);
    const why = `${ci.from} runs the tests with ${runs}`;
    ctx.notes.guessed.push(`compose service ${name} left out: ${why}`);
    ctx.notes.todo.push({ at: ["services"], text: `compose service ${name} left out: ${why}; add it back if the tests need it` });
  }
  return dropped;
}

/**
 * The test runner's own configuration says the tests use an embedded database (SQLite): a SQL
 * database service is then not theirs. PHPUnit's `<env|server name="DB_CONNECTION" value="sqlite">`
 * (Laravel), Rails' `test:` database with the sqlite3 adapter.
 */
function dropEmbedded(ctx: ServiceContext, taken: Map<string, Reference[]>): Set<string> {
  const dropped = new Set<string>();
  const configured = embeddedTestDatabase(ctx.repo, ctx.phpunitConfigs ?? []);
  const sql = configured ?? inMemoryJvmDatabase(ctx.repo, new Set([...taken.keys()])) ?? inMemoryDotnetDatabase(ctx.repo) ?? sqliteBootstrap(ctx.repo);
  const cache = inProcessStores(ctx.repo, ctx.phpunitConfigs ?? []);
  const own = ownContainers(ctx.repo);
  const started: string[] = [];
  const kinds = new Set<string>();
  for (const name of [...taken.keys()]) {
    const role = ctx.roles.get(name)!;
    const image = role.kind === "image" ? role.image : role.kind === "service-build" ? role.base.image : undefined;
    const known = image === undefined ? undefined : knownService(image);
    const says = known?.sql ? sql : known?.cache ? cache : undefined;
    if (!says && known && own?.starts(known)) {
      taken.delete(name);
      dropped.add(name);
      started.push(name);
      kinds.add(known.kind);
      continue;
    }
    if (!says) continue;
    taken.delete(name);
    dropped.add(name);
    ctx.notes.guessed.push(`compose service ${name} left out: ${says}`);
    // Sources are read for a URL, not run: some tests may still reach the service.
    if (known?.sql && !configured)
      ctx.notes.todo.push({ at: ["services"], text: `compose service ${name} left out: ${says}; add it back if some tests reach it` });
  }
  if (own && started.length) {
    const which = `compose service${started.length > 1 ? "s" : ""} ${started.join(", ")} left out`;
    const why = `the tests start their own ${[...kinds].join(", ")} with Testcontainers (${own.files.join(", ")})`;
    ctx.notes.guessed.push(`${which}: ${why}`);
    ctx.notes.todo.push({
      at: ["services"],
      text: `${which}: ${why}; such tests need a Docker engine, which the test container does not have: leave them out of the command, or add the services back and point the tests at them`,
    });
  }
  return dropped;
}

/**
 * PHPUnit's `<env|server|const name="X" value="Y">` settings, from the configuration the test
 * command names (`-c tests/units.sqlite.xml`), else phpunit.xml, else phpunit.xml.dist.
 */
function phpunitSettings(repo: RepoView, preferred: readonly string[] = []): { file: string; settings: Map<string, string> } | undefined {
  for (const file of [...preferred, "phpunit.xml", "phpunit.xml.dist"]) {
    const xml = repo.read(file);
    if (xml === undefined) continue;
    const settings = new Map<string, string>();
    for (const m of xml.replace(/<!--[\s\S]*?-->/g, "").matchAll(/<(?:env|server|const)\s+name="([^"]+)"\s+value="([^"]*)"/g)) settings.set(m[1]!, m[2]!);
    return { file, settings };
  }
  return undefined;
}

/**
 * The tests' cache, queue and session set to in-process drivers (Laravel's `CACHE_DRIVER=array`,
 * `QUEUE_CONNECTION=sync`, `SESSION_DRIVER=array` in phpunit.xml): a Redis or Memcached is not theirs.
 */
function inProcessStores(repo: RepoView, preferred: readonly string[]): string | undefined {
  const found = phpunitSettings(repo, preferred);
  if (!found) return undefined;
  const get = (...names: string[]) => names.map((n) => found.settings.get(n)).find((v) => v !== undefined);
  const cache = get("CACHE_STORE", "CACHE_DRIVER");
  const queue = get("QUEUE_CONNECTION", "QUEUE_DRIVER");
  const session = get("SESSION_DRIVER");
  const local =
    cache &&
    queue &&
    session &&
    /^(array|file|null|database)$/.test(cache) &&
    /^(sync|null|database)$/.test(queue) &&
    /^(array|file|cookie|database)$/.test(session);
  return local ? `${found.file} sets the tests' cache, queue and session to in-process drivers (${cache}, ${queue}, ${session})` : undefined;
}

function embeddedTestDatabase(repo: RepoView, preferred: readonly string[]): string | undefined {
  const php = phpunitSettings(repo, preferred);
  // Laravel's DB_CONNECTION, or another database setting (`DB_DRIVER`) that names SQLite.
  if (php && [...php.settings].some(([k, v]) => /(^|_)(DB|DATABASE)(_|$)/i.test(k) && /^sqlite/i.test(v)))
    return `${php.file} sets the tests' database to SQLite`;
  const yml = repo.read("config/database.yml");
  if (yml) {
    const blocks = new Map<string, string>();
    for (const m of yml.matchAll(/^([\w-]+):[^\n]*\n((?:[ \t]+[^\n]*\n?|\n)*)/gm)) blocks.set(m[1]!, m[0]);
    const test = blocks.get("test") ?? "";
    const merged = /<<:\s*\*(\w+)/.exec(test)?.[1];
    const anchorBlock = merged ? [...blocks.values()].find((b) => new RegExp(`&${merged}\\b`).test(b)) : undefined;
    const adapter = /^\s+adapter:\s*(\S+)/m.exec(test)?.[1] ?? (anchorBlock && /^\s+adapter:\s*(\S+)/m.exec(anchorBlock)?.[1]);
    if (adapter && /^sqlite/.test(adapter)) return "config/database.yml sets the tests' database to SQLite";
  }
  return undefined;
}

/** JVM test sources and resources: where a JDBC URL the tests open is written. */
const JVM_TEST_FILE = /(^|\/)src\/test\/.*\.(java|kt|groovy|scala|xml|properties|ya?ml)$/;

/**
 * The JVM tests open an in-memory database (`jdbc:h2:mem:`, HSQLDB's, Derby's) and no JDBC URL
 * of theirs names a compose service's host (a `${...}` host may be one): the compose database is
 * the running app's.
 */
function inMemoryJvmDatabase(repo: RepoView, services: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (const file of repo.files.filter((f) => JVM_TEST_FILE.test(f)).slice(0, 5000)) {
    const text = repo.read(file) ?? "";
    if (!text.includes("jdbc:")) continue;
    if (!found && /jdbc:(h2:mem|hsqldb:mem|derby:memory):/.test(text)) found = file;
    for (const m of text.matchAll(/jdbc:(?:(?:postgresql|mysql|mariadb|sqlserver):\/\/|oracle:thin:@(?:\/\/)?)([^/:;?"'\s]+)/g))
      if (m[1]!.includes("$") || services.has(m[1]!)) return undefined;
  }
  return found && `the tests' own sources open an in-memory database (${found})`;
}

/**
 * PHPUnit's bootstrap file (`bootstrap="tests/bootstrap.php"`) sets the tests up on SQLite and
 * names no other SQL engine: the compose database is the running app's.
 */
function sqliteBootstrap(repo: RepoView): string | undefined {
  for (const file of ["phpunit.xml", "phpunit.xml.dist"]) {
    const bootstrap = /<phpunit\b[^>]*\sbootstrap="([^"]+)"/.exec(repo.read(file) ?? "")?.[1];
    const text = bootstrap === undefined ? undefined : repo.read(bootstrap.replace(/^\.\//, ""));
    if (text === undefined) continue;
    return /sqlite/i.test(text) && !/mysql|mariadb|pgsql|postgres|sqlsrv|sqlserver/i.test(text)
      ? `the tests' bootstrap (${bootstrap}) sets them up on SQLite`
      : undefined;
  }
  return undefined;
}

/**
 * The .NET test projects use EF Core's in-memory or SQLite provider, and none references a
 * server's provider (SqlServer, Npgsql, MySQL) or Testcontainers: the compose database is the
 * running app's.
 */
function inMemoryDotnetDatabase(repo: RepoView): string | undefined {
  const projects = repo.files.filter((f) => /\.(cs|fs|vb)proj$/.test(f)).map((f) => ({ f, text: repo.read(f) ?? "" }));
  const tests = projects.filter(({ f, text }) => /Microsoft\.NET\.Test\.Sdk/.test(text) || /(^|[/.])tests?([/.]|$)/i.test(f));
  const found = tests.find(({ text }) => /Include="Microsoft\.EntityFrameworkCore\.(InMemory|Sqlite)"/.test(text));
  if (!found) return undefined;
  const server =
    /Include="(Microsoft\.EntityFrameworkCore\.SqlServer|Npgsql[\w.]*|Pomelo\.EntityFrameworkCore\.MySql|MySql\.EntityFrameworkCore|Testcontainers[\w.]*)"/;
  if (tests.some(({ text }) => server.test(text))) return undefined;
  return `the tests' projects use EF Core's in-memory or SQLite provider (${found.f})`;
}

/** The test services and the app services they reach, transitively. */
function withApps(ctx: ServiceContext, testers: readonly string[]): string[] {
  const out = [...testers];
  const names = networkNames(ctx);
  for (let i = 0; i < out.length; i++) {
    for (const ref of referencesOf(ctx.services[out[i]!]!, names, ctx.compose.reader)) {
      if (ctx.roles.get(ref.service)?.kind === "app" && !out.includes(ref.service)) out.push(ref.service);
    }
  }
  return out;
}

/** What tells the app from the rest: the images under test, and what compose builds. */
interface Project {
  repo: RepoView;
  compose: Compose;
  dockerfiles: readonly string[];
  /** Each image's Dockerfile → the stage its tests run in (undefined: the final one). */
  testTargets: ReadonlyMap<string, string | undefined>;
  /** Repositories compose names the images it builds (`build: .` with `image: acme/shop`). */
  builtImages: readonly string[];
  /** Services another waits for with `condition: service_completed_successfully`: they run to their end. */
  awaited: ReadonlySet<string>;
}

function awaitedToEnd(services: Record<string, ComposeService>): Set<string> {
  const out = new Set<string>();
  for (const svc of Object.values(services)) {
    const d = svc.depends_on;
    if (!d || typeof d !== "object" || Array.isArray(d)) continue;
    for (const [name, how] of Object.entries(d as Record<string, unknown>)) {
      if ((how as { condition?: unknown } | null)?.condition === "service_completed_successfully") out.add(name);
    }
  }
  return out;
}

/** Package managers and build tools: a service that runs one on a bind mount works on the code. */
const CODE_TOOL = /^(npm|npx|pnpm|yarn|bun|composer|pip[\d.]*|pipenv|poetry|uv|bundle|bundler|rake|mix|cargo|go|mvn|mvnw|gradle|gradlew|dotnet|make)$/;

/**
 * Why a compose service is a job rather than a service: another waits for it to complete, or it
 * runs a package manager or build tool on files mounted from the repository (`composer install`
 * on `.:/app`, an asset watcher). Undefined for a service.
 */
function jobOf(p: Project, name: string, svc: ComposeService, image: string): string | undefined {
  // `command: /bin/true` on a store's image: a data-volume container (others take its volumes_from), which serves nothing.
  const exits = exitsAtOnce(svc.command);
  if (exits) return `its command (${exits}) exits at once, a container that only holds data volumes`;
  if (knownService(image)) return undefined;
  if (p.awaited.has(name)) return "another service waits for it to complete (service_completed_successfully)";
  const mountsCode = (Array.isArray(svc.volumes) ? svc.volumes : []).some((v) => {
    const m = mountOf(v);
    return m?.type === "bind" && m.source !== undefined && /^\.{1,2}(\/\.{1,2})*\/?$/.test(m.source);
  });
  if (!mountsCode) return undefined;
  const run = ["entrypoint", "command"]
    .map((k) => svc[k])
    .map((v) => (Array.isArray(v) ? v.map(String).join(" ") : typeof v === "string" ? v : ""))
    .join(" ; ");
  const tool = simpleCommands(run)
    .map((words) => words.find((w) => !/^(sh|bash|-c|exec|env|[A-Z_]+=.*|"|')$/.test(w.replace(/^["']/, ""))))
    .map((w) => w?.replace(/^["']/, "").split("/").pop())
    .find((w) => w !== undefined && CODE_TOOL.test(w));
  return tool ? `it runs ${tool} on the repository it mounts` : undefined;
}

/** A command that does nothing and exits (`/bin/true`, `true`, `:`, `exit 0`, `echo data-only`), as written; else undefined. */
function exitsAtOnce(command: unknown): string | undefined {
  const text = Array.isArray(command) ? command.map(String).join(" ") : typeof command === "string" ? command : undefined;
  if (text === undefined) return undefined;
  const inner = /^(?:\/bin\/)?(?:ba)?sh\s+-c\s+["']?(.*?)["']?$/.exec(text.trim())?.[1] ?? text.trim();
  // One command only: `echo starting && exec mysqld` runs a server after its echo.
  return /^((\/usr)?\/bin\/)?(true|:|exit(\s+0)?|echo(\s[^;&|`$]*)?)$/.test(inner) ? text.trim() : undefined;
}

/** The images the project builds: compose's (`build:` with `image:`), and those its scripts tag (`docker build -t acme_web`). */
const builtImages = (repo: RepoView, compose: Compose, services: Record<string, ComposeService>): string[] => [
  ...Object.values(services).flatMap((svc) => {
    const repository = svc.build !== undefined && typeof svc.image === "string" ? canonicalRepository(compose.reader.quiet.interpolate(svc.image)) : undefined;
    return repository ? [repository] : [];
  }),
  ...scriptBuiltImages(repo).flatMap((r) => canonicalRepository(r) ?? []),
];

/** A compose service's role. */
function roleOf(p: Project, name: string, svc: ComposeService): Role {
  if (testServices(p.compose).includes(name)) return { kind: "test" };
  // Run by image here and built by another compose file of the folder (the override): built all the same.
  const elsewhere = p.compose.builtElsewhere?.[name];
  const build = buildOf(svc) ?? (elsewhere && buildOf(elsewhere));
  if (build) {
    const path = dockerfileOf(p.compose, build);
    const instructions = dockerInstructions(p.repo.read(path) ?? "");
    const base = serviceBuildBase(instructions, p.compose.reader.quiet.environment(build.args));
    if (base) return { kind: "service-build", base, dockerfile: path };
    // Another Dockerfile of an image's folder (Dockerfile.dev) builds the app too.
    const contexts = p.dockerfiles.length ? p.dockerfiles.map(folderOf) : ["."];
    if (p.dockerfiles.includes(path)) {
      // Compose runs another stage than the tests' (the runtime image; the tests run in the builder).
      const tested = p.testTargets.get(path);
      const stage = (t: string | undefined) => (t ? `stage ${t.toLowerCase()}` : "final stage");
      const other = stage(build.target) !== stage(tested) ? `${path}'s ${stage(build.target)} (the tests run in its ${stage(tested)})` : undefined;
      return { kind: "app", why: `builds ${path}`, ...(other ? { other } : {}) };
    }
    if (contexts.includes(build.context))
      return { kind: "app", why: `builds ${path}`, other: `${path}, not the image the tests run in (${p.dockerfiles.join(", ")})` };
    return { kind: "built", dockerfile: path };
  }
  if (typeof svc.image !== "string") return { kind: "none" };
  const image = p.compose.reader.quiet.interpolate(svc.image);
  if (ownImage(p, image)) return { kind: "app", why: `runs the project's own image, ${image}` };
  const job = jobOf(p, name, svc, image);
  if (job) return { kind: "job", why: job };
  const tool = knownTool(image);
  if (tool) return { kind: "tool", what: tool };
  return { kind: "image", image };
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "");

/**
 * The project's image (`ghcr.io/acme/shop`, `acme/shop-api` for the folder `api`, or one compose
 * builds): the app, not a service.
 */
function ownImage({ repo, dockerfiles, builtImages }: Project, image: string): boolean {
  const repository = canonicalRepository(image);
  if (!repository || knownService(image)) return false;
  if (builtImages.includes(repository)) return true;
  const last = slug(repository.split("/").pop()!);
  const folders = dockerfiles.map((d) => d.split("/").slice(-2, -1)[0]).filter((f): f is string => !!f);
  const names = [repo.name, ...folders.map((f) => `${repo.name}-${f}`), ...folders].map(slug).filter(Boolean);
  return names.includes(last);
}

/** The services the roots need, transitively: compose name → how it was reached. */
function reach(ctx: ServiceContext, roots: readonly string[]): Map<string, Reference[]> {
  const names = networkNames(ctx);
  const found = new Map<string, Reference[]>();
  const queue = [...roots];
  const visited = new Set(roots);
  while (queue.length) {
    const from = queue.shift()!;
    for (const ref of referencesOf(ctx.services[from]!, names, ctx.compose.reader)) {
      if (!Object.hasOwn(ctx.services, ref.service) || roots.includes(ref.service)) continue;
      found.set(ref.service, [...(found.get(ref.service) ?? []), { ...ref, via: `${from}'s ${ref.via}` }]);
      if (visited.has(ref.service)) continue;
      visited.add(ref.service);
      const role = ctx.roles.get(ref.service)!;
      // A service built here that is not a known one is left out: what it needs is its own business.
      if (role.kind === "image" || role.kind === "service-build") queue.push(ref.service);
    }
  }
  // One that waits for the app (a proxy in front of it) uses the app: not a service of its tests.
  for (const name of [...found.keys()]) {
    if (waitsFor(ctx.services[name]!).some((d) => roots.includes(d))) {
      ctx.notes.guessed.push(`compose service ${name} left out: it waits for the app (${waitsFor(ctx.services[name]!).join(", ")}), it is in front of it`);
      found.delete(name);
    }
  }
  return found;
}

/** Each network name (service name, container_name, alias) → its service. */
function networkNames(ctx: ServiceContext): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, svc] of Object.entries(ctx.services)) for (const n of dnsNames(name, svc)) if (!names.has(n)) names.set(n, name);
  return names;
}

/**
 * Nothing says what the app needs (no depends_on, no host in its settings): the well-known data
 * stores of the compose file (by image, from the known-services table), with a TODO to check.
 */
function fallback(ctx: ServiceContext, roots: readonly string[]): Map<string, Reference[]> {
  const names = networkNames(ctx);
  // References among the app's own services (web waits for its worker) say nothing of what it needs.
  const said = roots.some((r) =>
    referencesOf(ctx.services[r]!, names, ctx.compose.reader).some((ref) => !roots.includes(ref.service) && Object.hasOwn(ctx.services, ref.service)),
  );
  const out = new Map<string, Reference[]>();
  if (said) return out;
  for (const [name, role] of ctx.roles) {
    if (role.kind === "service-build" || (role.kind === "image" && (knownService(role.image) || probesLikeStore(ctx.services[name]!)))) out.set(name, []);
  }
  if (out.size) {
    const app = roots.length
      ? `the app (${roots.join(", ")}) names no service it needs (no depends_on, no host in its environment)`
      : "no compose service is the app";
    ctx.notes.todo.push({ at: ["services"], text: `${app}: the data stores of ${ctx.compose.files.join(" + ")} are taken; remove those the tests do not use` });
  }
  return out;
}

/** A compose healthcheck that runs a data store's own client (`pg_isready`, `mysqladmin ping`): that store, in another image. */
const probesLikeStore = (svc: ComposeService): KnownService | undefined =>
  knownByProbe(JSON.stringify((svc.healthcheck as { test?: unknown } | null)?.test ?? ""));

/** A note for each compose service that is not a service of the tests, with the reason; a TODO for one the app needs that init cannot take. */
function noteLeftOut(ctx: ServiceContext, taken: ReadonlyMap<string, Reference[]>, fellBack: boolean, noted: ReadonlySet<string>): void {
  for (const [name, role] of ctx.roles) {
    if (noted.has(name)) continue;
    const refs = taken.get(name);
    if (role.kind === "test" || role.kind === "app" || (refs && (role.kind === "image" || role.kind === "service-build"))) continue;
    if (refs && role.kind === "built") {
      const by = refs.map((r) => r.via).join(", ");
      ctx.notes.todo.push({
        at: ["services"],
        text: `the tests may need ${name} (${by}), which compose builds from ${role.dockerfile}: a service runs an image, so it is left out; add it if the tests need it`,
      });
    }
    // A tool the app points at (MAIL_HOST=mailpit): left out, but the app may try to reach it.
    if (refs && role.kind === "tool")
      ctx.notes.todo.push({
        at: ["services"],
        text: `the app reaches ${name} (${refs.map((r) => r.via).join(", ")}), ${role.what}: left out as the tests rarely need one; add it if they do`,
      });
    const why =
      role.kind === "built"
        ? refs
          ? `it is built here (${role.dockerfile}): a service runs an image`
          : `it is built here (${role.dockerfile}) and the app does not need it`
        : role.kind === "none"
          ? "it has no image"
          : role.kind === "job"
            ? `${role.why}: a job, not a service`
            : role.kind === "tool"
              ? `${role.what}, a development tool the tests do not need (add it if they do)`
              : fellBack
                ? "not a well-known data store"
                : "neither the app nor its services wait for it or name it in their settings";
    ctx.notes.guessed.push(`compose service ${name} left out: ${why}`);
  }
}

/**
 * Spec names for the taken services: the compose name, made a valid name, with the other names the
 * app reaches each by (its container_name, a network alias the tests' settings use) as aliases;
 * a compose name the spec cannot take gives way to such a name. The first of two that would be
 * one is kept.
 */
function nameServices(ctx: ServiceContext, taken: ReadonlyMap<string, Reference[]>): { name: string; composeName: string; aliases: string[] }[] {
  const out: { name: string; composeName: string; aliases: string[] }[] = [];
  const valid = (n: string) => /^[a-z][a-z0-9_-]{0,62}$/.test(n);
  // Each compose service's own name is kept for it: another's alias may not take it.
  const own = (n: string) => n.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
  const reserved = new Set([...taken.keys()].map(own));
  const free = (n: string, self: string) => !out.some((o) => o.name === n || o.aliases.includes(n)) && (n === self || !reserved.has(n));
  for (const [composeName, refs] of [...taken].sort(([a], [b]) => a.localeCompare(b))) {
    const role = ctx.roles.get(composeName)!;
    if (role.kind !== "image" && role.kind !== "service-build") continue;
    const self = own(composeName);
    const used = [...new Set(refs.flatMap((r) => (r.as === undefined ? [] : [r.as.toLowerCase()])))].filter((u) => u !== self);
    const name = [self, ...used].find((n) => valid(n) && free(n, self));
    if (name === undefined) {
      ctx.notes.guessed.push(`compose service ${composeName} left out: '${self}' is not a service name the spec takes, or is taken`);
      continue;
    }
    const aliases = used.filter((u) => u !== name && /^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$/.test(u) && free(u, self));
    if (name !== self) ctx.notes.found.push(`service ${composeName} is named ${name}, the name the tests reach it by`);
    if (aliases.length) ctx.notes.found.push(`service ${name} answers to ${aliases.join(", ")} too: the tests' settings reach it so`);
    out.push({ name, composeName, aliases });
  }
  return out;
}
