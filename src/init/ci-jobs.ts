import { parse } from "yaml";
import { canonicalRepository, knownService } from "../spec/known-services.js";
import { posix } from "node:path";
import { ciScripts, commandsIn, list, record, runnerOf, scriptRunner, text } from "./ci-tests.js";
import { ecosystemManifest } from "./ecosystems.js";
import type { RepoView } from "./repo.js";
import { shellCommands, shellWords } from "./shell.js";
import { makeExpander, makePrerequisites, makeRecipe } from "./test-rules.js";

/**
 * The services the CI job that runs the tests starts: the job is the project's own record of what
 * its tests need. A job that runs the same test runner as the spec's command and starts its
 * containers only by declaring them (GitHub Actions `services:`, GitLab CI `services:`, Woodpecker
 * `services:` and detached steps, CircleCI's secondary `docker:` images) says the tests need those
 * and no others. A job that may start one another way (a docker or compose command, systemctl, a
 * make target, a script of the repository that does, an action or package named after a data
 * store) says nothing. Travis is
 * not read: its VMs start services from names as well as scripts. Pure: the files come from the caller.
 */
export interface CiJobServices {
  /** `<CI file> job <id>` of the first such job. */
  from: string;
  /** The images the jobs start, as written ([] for none). */
  images: string[];
}

interface Job {
  /** Images it declares; undefined when a declaration cannot be read (a matrix value, a template it extends). */
  images: string[] | undefined;
  /** Scripts it runs before its own (GitLab's `before_script`). */
  before: string[];
  /** The actions or orbs it uses (`actions/checkout@v4`). */
  uses: string[];
}

/** An image as declared: a string or `{ image | name }`; undefined when it is an expression. */
function imageOf(v: unknown): string | undefined {
  const image = typeof v === "string" ? v : (record(v).image ?? record(v).name);
  return typeof image === "string" && !/\$\{\{|\$\{?[A-Za-z_]/.test(image) ? image : undefined;
}

function declared(entries: unknown[]): string[] | undefined {
  const images = entries.map(imageOf);
  return images.every((i): i is string => i !== undefined) ? images : undefined;
}

/** The jobs of a CI file by id (`ciScripts` names the same ids): what each declares. */
function jobsOf(file: string, doc: unknown): Map<string, Job> {
  const top = record(doc);
  const out = new Map<string, Job>();
  if (file.startsWith(".github/"))
    for (const [id, job] of Object.entries(record(top.jobs))) {
      const j = record(job);
      out.set(id, { images: declared(Object.values(record(j.services))), before: [], uses: list(j.steps).flatMap((s) => text(record(s).uses)) });
    }
  if (file.startsWith(".woodpecker")) {
    // Each step is a container of its own; the file's services and detached steps run beside them all.
    const steps = top.steps ?? top.pipeline;
    const named = Array.isArray(steps) ? steps.map((s, i) => [String(record(s).name ?? i), s] as const) : Object.entries(record(steps));
    const services = Array.isArray(top.services) ? top.services : Object.values(record(top.services));
    const images = declared([...services, ...named.map(([, s]) => s).filter((s) => record(s).detach === true)]);
    for (const [id, step] of named) if (record(step).detach !== true) out.set(id, { images, before: [], uses: [] });
  }
  if (file.startsWith(".circleci/"))
    for (const [id, job] of Object.entries(record(top.jobs))) {
      const j = record(job);
      out.set(id, {
        // The first image runs the steps; the others are its services. A machine or a named executor is unknown.
        images: Array.isArray(j.docker) ? declared(j.docker.slice(1)) : undefined,
        before: [],
        uses: list(j.steps).flatMap((s) => (typeof s === "string" ? [s] : Object.keys(record(s)).filter((k) => k !== "run"))),
      });
    }
  if (file.startsWith(".gitlab-ci")) {
    const fallback = top.services ?? record(top.default).services;
    const before = text(top.before_script ?? record(top.default).before_script);
    for (const [id, job] of Object.entries(top)) {
      const j = record(job);
      if (id.startsWith(".")) continue;
      // A job that extends a template may get its services from it.
      const images = j.extends !== undefined && j.services === undefined ? undefined : declared(list(j.services ?? fallback));
      out.set(id, { images, before: j.before_script !== undefined ? text(j.before_script) : before, uses: [] });
    }
  }
  return out;
}

/** A folder between the context's top and `dir` that holds a project of the top's own kind (`forum/mix.exs` beside `mix.exs`): CI there tests another project. */
function anotherProject(repo: RepoView, dir: string, top: string): boolean {
  if (dir === top) return false;
  if (top !== "" && !dir.startsWith(`${top}/`)) return true;
  const manifests = (folder: string) =>
    new Set(
      repo.files
        .filter((f) => (folder === "" ? !f.includes("/") : f.startsWith(`${folder}/`) && !f.slice(folder.length + 1).includes("/")))
        .flatMap((f) => ecosystemManifest(f) ?? []),
    );
  const own = manifests(top);
  const parts = dir.slice(top === "" ? 0 : top.length + 1).split("/");
  return parts.some((_, i) => [...manifests(posix.join(top, ...parts.slice(0, i + 1)))].some((e) => own.has(e)));
}

/** Names a data store goes by in package and action names (`postgres`, `mysql`, `redis`, `mssql`). */
const STORE_WORDS = [
  "postgres",
  "postgis",
  "pgvector",
  "timescale",
  "mysql",
  "mariadb",
  "percona",
  "mssql",
  "sqlserver",
  "redis",
  "valkey",
  "memcache",
  "rabbitmq",
  "mongo",
  "elasticsearch",
  "opensearch",
  "minio",
  "kafka",
];
const namesStore = (text: string) => STORE_WORDS.some((w) => text.toLowerCase().includes(w));

/** A package that installs a data store's server (`postgresql`, `redis-server`), not its client or headers (`postgresql-client-16`, `libpq-dev`). */
const serverPackage = (name: string) =>
  STORE_WORDS.some((w) => name.toLowerCase().startsWith(w)) && !/(client|dev|devel|common|tools|libs?|doc)(-[\d.]+)?$/i.test(name);

/** Commands that start containers or daemons, or run what the reader cannot see (a sourced file). */
const STARTS = /^(docker|docker-compose|podman|nerdctl|systemctl|service|brew|pg_ctl|pg_ctlcluster|initdb|mysqld|mysqld_safe|mongod|redis-server|source|\.)$/;

/**
 * Whether `make [-C dir] [-f file] targets` may start a service: its targets' recipes and their
 * prerequisites', with the Makefile's variables filled in, read as scripts. A Makefile the reader
 * cannot see, or no target named (the default one), may.
 */
function makeStarts(repo: RepoView, args: readonly string[], depth: number, dir: string): boolean {
  let folder = dir;
  let file: string | undefined;
  const targets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-C") folder = posix.join(folder, args[++i] ?? "");
    else if (a === "-f" || a === "--file") file = args[++i];
    else if (!a.startsWith("-") && !a.includes("=")) targets.push(a);
  }
  // GNU make's own order of names.
  const names = file ? [file] : ["GNUmakefile", "makefile", "Makefile"];
  const text = names.map((f) => repo.read(posix.normalize(posix.join(folder, f)))).find((t) => t !== undefined);
  if (text === undefined || !targets.length || depth < 0) return true;
  const expand = makeExpander(text);
  const seen = new Set<string>();
  const recipeOf = (target: string, level: number): string[] | undefined => {
    if (seen.has(target)) return [];
    seen.add(target);
    const recipe = makeRecipe(text, target);
    if (!recipe) return undefined;
    const deps = makePrerequisites(text, target);
    const below = level < 2 ? deps.flatMap((d) => recipeOf(d, level + 1) ?? []) : [];
    return [...below, ...recipe.map((l) => expand(l.replace(/^[@+-]+/, "")))];
  };
  const lines = targets.map((t) => recipeOf(t, 0));
  if (lines.some((l) => l === undefined)) return true;
  return scriptStarts(repo, lines.flat().join("\n"), depth - 1, folder);
}

/** Whether the job may start a service other than by declaring it. */
function startsOtherwise(repo: RepoView, job: Job, scripts: readonly { script: string; dir: string }[]): boolean {
  // An action named after a store or compose, or one of the repository's own (`./.github/actions/db`), may start one.
  if (job.uses.some((u) => namesStore(u) || /compose/i.test(u) || u.startsWith("./"))) return true;
  return [...job.before.map((script) => ({ script, dir: "" })), ...scripts].some((s) => scriptStarts(repo, s.script, 2, s.dir));
}

/**
 * Whether a script may start a service: a command of STARTS, a package manager installing a data
 * store, or a script of the repository (`./scripts/ci.sh`, `bash x.sh`, `sh -c '...'`) that does,
 * read `depth` levels down. A program that is not a file of the repository (`./vendor/bin/phpunit`,
 * an installed tool) starts nothing.
 */
export function scriptStarts(repo: RepoView, script: string, depth: number, dir = ""): boolean {
  return shellCommands(script).some((command) => {
    let words = shellWords(command).map((w) => w.replace(/^(["'])([\s\S]*)\1$/, "$2"));
    // Assignments, wrappers and sudo's own flags (`sudo -E docker ...`).
    while (words.length && (/^[A-Za-z_]\w*=/.test(words[0]!) || /^(sudo|env|time|exec|nohup)$/.test(words[0]!) || /^-/.test(words[0]!))) words = words.slice(1);
    const tool = words[0] ?? "";
    // A program by absolute path (`/etc/init.d/mysql start`) is the machine's, not the repository's.
    if (STARTS.test(tool) || tool.startsWith("/")) return true;
    if (tool === "make") return makeStarts(repo, words.slice(1), depth, dir);
    if (/^(apt|apt-get|yum|dnf|apk)$/.test(tool)) return words.slice(1).some(serverPackage);
    // `sh -c '...'`, `bash x.sh`, `./x.sh`: what it runs.
    const shell = /^(ba|z|da)?sh$/.test(tool);
    if (shell && words[1] === "-c") return depth > 0 ? scriptStarts(repo, words[2] ?? "", depth - 1, dir) : true;
    const file = shell ? words.slice(1).find((w) => !w.startsWith("-")) : tool.includes("/") ? tool : undefined;
    if (file === undefined) return false;
    const text = repo.read(posix.normalize(posix.join(dir, file)));
    if (text === undefined) return shell; // a script the reader cannot see; a program installed elsewhere
    return depth > 0 ? scriptStarts(repo, text, depth - 1, dir) : true;
  });
}

/**
 * The services CI starts for the tests that `tests` run (by their runner, `pytest`, `go test`, in
 * the image's context), or undefined when no CI job runs them or one may start services the reader
 * cannot see.
 */
export function ciJobServices(repo: RepoView, tests: readonly { command: string; context: string }[]): CiJobServices | undefined {
  // A runner, or a script of the repository that runs one (`bash scripts/test.sh`).
  const runnerIn = (command: string, dir: string) => runnerOf(command) ?? scriptRunner(repo, command, dir);
  const wanted = tests.flatMap((t) =>
    shellCommands(t.command)
      .flatMap((c) => runnerIn(c, t.context === "." ? "" : t.context) ?? [])
      .map((runner) => ({ runner, top: t.context === "." ? "" : t.context })),
  );
  if (!wanted.length) return undefined;
  const scripts = ciScripts(repo).filter((s) => !s.file.startsWith(".travis"));
  const byJob = new Map<string, typeof scripts>();
  for (const s of scripts) byJob.set(`${s.file} job ${s.job}`, [...(byJob.get(`${s.file} job ${s.job}`) ?? []), s]);
  const docs = new Map<string, Map<string, Job>>();
  const matching: { from: string; job: Job | undefined; scripts: { script: string; dir: string }[] }[] = [];
  for (const [from, own] of byJob) {
    const runs = own.some((s) =>
      commandsIn(s.script, s.dir).some((c) => wanted.some((w) => w.runner === runnerIn(c.command, c.dir) && !anotherProject(repo, c.dir, w.top))),
    );
    if (!runs) continue;
    const file = own[0]!.file;
    if (!docs.has(file)) docs.set(file, jobsOf(file, parseQuietly(repo.read(file) ?? "")));
    matching.push({ from, job: docs.get(file)!.get(own[0]!.job), scripts: own });
  }
  // A job that runs the same runner in a container (`docker compose run web pytest tests/integration`) starts what it needs there.
  const inContainer = scripts.some((s) =>
    commandsIn(s.script, s.dir).some(
      (c) => /\bdocker(-compose)?\b/.test(c.command) && /\b(run|exec)\b/.test(c.command) && wanted.some((w) => c.command.includes(w.runner.split(" ")[0]!)),
    ),
  );
  if (inContainer) return undefined;
  if (!matching.length || matching.some((m) => m.job?.images === undefined || startsOtherwise(repo, m.job, m.scripts))) return undefined;
  return { from: matching[0]!.from, images: [...new Set(matching.flatMap((m) => m.job!.images!))] };
}

function parseQuietly(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/** Whether CI's `image` is the same service as compose's `other`: the same repository, or the same well-known kind. */
export function sameService(image: string, other: string): boolean {
  const [a, b] = [canonicalRepository(image), canonicalRepository(other)];
  if (a !== undefined && a === b) return true;
  const [ka, kb] = [knownService(image), knownService(other)];
  return ka !== undefined && kb !== undefined && ka.kind === kb.kind;
}
