import { shellWord } from "../emit/shq.js";
import { ciComposeRun, type CiComposeRun } from "./ci-tests.js";
import { baseOf, composeCandidates, folderOf, joinPath, mergeService, overrideOf, parseCompose, settle, withRepoPaths } from "./compose-files.js";
import type { Notes, RepoView } from "./repo.js";

/**
 * Reading a compose file's services the way `docker compose` would: variables interpolated from
 * the project's .env (or its committed example), `*_FILE` secrets resolved to their values, `$$`
 * unescaped. Pure: files come through `read`.
 */
export type ComposeService = Record<string, unknown>;

/** Services that run the tests (their command is the test command): not services of the tests. */
export const TEST_SERVICES = ["sut", "test", "tests"];

/** The repository's compose model, read: its services (null for one written with no settings). */
export interface Compose {
  /** The file read first (the base); undefined when the repository has none. */
  file?: string;
  /** Every file read, in merge order (the base, a variant or override over it, included files). */
  files: string[];
  /** The project folder: the first file's, where relative paths and `.env` are read from. */
  folder: string;
  /** Each service with its paths (build context, env_file, bind mounts) as repository paths. */
  services: Record<string, ComposeService | null>;
  reader: ComposeReader;
  /** The service the project's CI runs its tests in (`docker compose run django python manage.py test`), and that command. */
  ciRun?: { service: string; command: string; file: string; prepare: string[] };
  /**
   * Services these files run by image that another compose file of the folder builds (the
   * override builds `pwa` from ./pwa): the project's own code whichever files a run picks.
   */
  builtElsewhere?: Record<string, ComposeService>;
}

/** The compose services the tests run in: the one CI runs them in, then `sut`, `test`, `tests`. */
export const testServices = (compose: Compose): string[] => [...(compose.ciRun ? [compose.ciRun.service] : []), ...TEST_SERVICES];

interface ComposeDocument {
  services?: unknown;
  secrets?: unknown;
  include?: unknown;
}

/** A parsed compose file; undefined (and a note) when it is not valid YAML. */
function parseFile(repo: RepoView, path: string, notes: Notes): ComposeDocument | undefined {
  try {
    const doc = parseCompose(repo.read(path) ?? "");
    return doc && typeof doc === "object" ? (doc as ComposeDocument) : {};
  } catch {
    notes.guessed.push(`${path} is not valid YAML: services not taken from it`);
    return undefined;
  }
}

/**
 * The compose files init reads: the first candidate (see composeCandidates), over its base file
 * when it is a fragment that only makes sense on top of it (`docker compose -f compose.yml -f
 * compose.test.yml`), and the base's override file, as `docker compose` merges it by default.
 */
function chooseFiles(repo: RepoView, notes: Notes, run: CiComposeRun | undefined): string[] {
  // The files CI runs the tests with (`docker compose -f ci.yml run ...`) come first, whatever their names.
  if (run?.files.length && run.files.every((f) => repo.files.includes(f))) {
    notes.found.push(
      `compose file${run.files.length > 1 ? "s" : ""} ${run.files.join(", ")}: ${run.file} runs the tests with ${run.files.length > 1 ? "them" : "it"}`,
    );
    return run.files;
  }
  const [first] = composeCandidates(repo.files);
  if (!first) return [];
  const base = baseOf(first, repo.files);
  const doc = base ? parseFile(repo, first, { found: [], guessed: [], todo: [] }) : undefined;
  const fragment = (svc: unknown) => !svc || (typeof svc === "object" && !("image" in svc) && !("build" in svc) && !("extends" in svc));
  const named = doc?.services && typeof doc.services === "object" ? (doc.services as Record<string, unknown>) : {};
  const services = Object.values(named);
  if (base && services.some(fragment)) {
    notes.found.push(`${first} holds fragments of services: read over ${base}, as 'docker compose -f ${base} -f ${first}' would`);
    return [base, first];
  }
  // Compose refuses a depends_on on a service the project does not define: such a file is used over its base.
  // Not one marked `required: false` (compose skips it), nor when the file includes others (they may define it).
  const required = (svc: ComposeService) => {
    const d = svc.depends_on;
    const map = d && typeof d === "object" && !Array.isArray(d) ? (d as Record<string, { required?: unknown } | null>) : {};
    return dependsOn(svc).filter((name) => map[name]?.required !== false);
  };
  const missing = services.flatMap((svc) => (svc && typeof svc === "object" ? required(svc as ComposeService) : [])).filter((d) => !Object.hasOwn(named, d));
  if (base && missing.length && doc?.include === undefined) {
    notes.found.push(
      `${first} waits for ${[...new Set(missing)].join(", ")}, which it does not define: read over ${base}, as 'docker compose -f ${base} -f ${first}' would`,
    );
    return [base, first];
  }
  const override = overrideOf(first, repo.files);
  return override ? [first, override] : [first];
}

/** The repository's compose model; an invalid file is reported and read as empty. */
export function readCompose(repo: RepoView, notes: Notes): Compose {
  const run = ciComposeRun(repo);
  const files = chooseFiles(repo, notes, run);
  const folder = files[0] ? folderOf(files[0]) : ".";
  let services: Record<string, ComposeService | null> = {};
  const secrets: Record<string, unknown> = {};
  const read: string[] = [];
  for (const file of files) {
    const model = readModel(repo, file, notes, read);
    for (const [name, svc] of Object.entries(model.services)) {
      const old = services[name];
      services[name] = old && svc ? mergeService(old, svc) : (svc ?? old ?? null);
    }
    Object.assign(secrets, model.secrets);
  }
  services = resolveExtends(repo, services, notes, read);
  // Compose's `!reset` and `!override` tags, once every file and `extends:` is merged.
  services = Object.fromEntries(Object.entries(services).map(([name, svc]) => [name, settle(svc) as ComposeService | null]));
  if (read.length) notes.found.push(`compose file${read.length > 1 ? "s" : ""}: ${read.join(", ")}`);
  // CI's run names a service of these files: where the tests run, and how.
  // `docker exec <container>`: the service of that container_name.
  const service = run?.container !== undefined ? Object.keys(services).find((n) => services[n]?.container_name === run.container) : run?.service;
  const ciRun =
    run && service && services[service] && (run.files.length ? run.files.every((f) => read.includes(f)) : true)
      ? { service, command: run.command, file: run.file, prepare: run.prepare }
      : undefined;
  if (ciRun) notes.found.push(`${ciRun.file} runs the tests in compose's ${ciRun.service}: ${ciRun.command}`);
  const elsewhere = builtElsewhere(repo, folder, read, services);
  return {
    file: files[0],
    files: read,
    folder,
    services,
    reader: composeReader(repo.read, secrets, folder),
    ...(ciRun ? { ciRun } : {}),
    ...(Object.keys(elsewhere).length ? { builtElsewhere: elsewhere } : {}),
  };
}

/** The builds (repository paths) that the folder's other compose files give services these files run by image. */
function builtElsewhere(
  repo: RepoView,
  folder: string,
  read: readonly string[],
  services: Record<string, ComposeService | null>,
): Record<string, ComposeService> {
  const out: Record<string, ComposeService> = {};
  const others = composeCandidates(repo.files).filter((f) => folderOf(f) === folder && !read.includes(f));
  for (const file of others) {
    const doc = parseFile(repo, file, { found: [], guessed: [], todo: [] });
    const named = doc?.services && typeof doc.services === "object" ? (doc.services as Record<string, unknown>) : {};
    for (const [name, svc] of Object.entries(named)) {
      const mine = Object.hasOwn(services, name) ? services[name] : undefined;
      if (!mine || mine.build !== undefined || Object.hasOwn(out, name) || !svc || typeof svc !== "object") continue;
      const theirs = withRepoPaths(svc as ComposeService, folder);
      if (theirs.build !== undefined && theirs.build !== null) out[name] = { build: theirs.build };
    }
  }
  return out;
}

/** One file's services (with repository paths) and secrets, with the files it includes. */
function readModel(
  repo: RepoView,
  file: string,
  notes: Notes,
  read: string[],
  depth = 0,
): { services: Record<string, ComposeService | null>; secrets: Record<string, unknown> } {
  const doc = read.includes(file) || depth > 4 ? undefined : parseFile(repo, file, notes);
  const out = { services: {} as Record<string, ComposeService | null>, secrets: {} as Record<string, unknown> };
  if (!doc) return out;
  read.push(file);
  const folder = folderOf(file);
  // Included files first: their services are the project's too (compose refuses a name defined twice).
  for (const inc of includes(doc.include, folder)) {
    if (!repo.files.includes(inc)) continue;
    const model = readModel(repo, inc, notes, read, depth + 1);
    Object.assign(out.services, model.services);
    Object.assign(out.secrets, model.secrets);
  }
  if (doc.services && typeof doc.services === "object") {
    for (const [name, svc] of Object.entries(doc.services as Record<string, unknown>)) {
      out.services[name] = svc && typeof svc === "object" ? withRepoPaths(svc as ComposeService, folder) : null;
    }
  }
  if (doc.secrets && typeof doc.secrets === "object") {
    for (const [name, def] of Object.entries(doc.secrets as Record<string, { file?: unknown }>)) {
      out.secrets[name] = typeof def?.file === "string" ? { ...def, file: joinPath(folder, def.file) } : def;
    }
  }
  return out;
}

/** The files of a top-level `include:` (a path, or `{path}` with one or several). */
function includes(include: unknown, folder: string): string[] {
  if (!Array.isArray(include)) return [];
  return include.flatMap((i) => {
    const paths = typeof i === "string" ? [i] : i && typeof i === "object" ? [(i as { path?: unknown }).path].flat() : [];
    return paths.filter((p): p is string => typeof p === "string").map((p) => joinPath(folder, p));
  });
}

/** `extends:` followed: the service it names (in this model or another file) under the service's own settings. */
function resolveExtends(repo: RepoView, services: Record<string, ComposeService | null>, notes: Notes, read: string[]): Record<string, ComposeService | null> {
  const resolve = (svc: ComposeService, seen: string[]): ComposeService => {
    const ext = svc.extends;
    const { extends: _, ...own } = svc;
    const spec = typeof ext === "string" ? { service: ext } : (ext as { service?: unknown; file?: unknown } | undefined);
    if (!spec || typeof spec.service !== "string" || seen.length > 4) return svc;
    if (typeof spec.file === "string" && !read.includes(spec.file)) read.push(spec.file);
    const from = typeof spec.file === "string" ? readModel(repo, spec.file, notes, []).services : services;
    const base = Object.hasOwn(from, spec.service) ? from[spec.service] : undefined;
    if (!base || seen.includes(`${String(spec.file)}:${spec.service}`)) return own;
    return mergeService(resolve(base, [...seen, `${String(spec.file)}:${spec.service}`]), own);
  };
  return Object.fromEntries(Object.entries(services).map(([name, svc]) => [name, svc && svc.extends !== undefined ? resolve(svc, []) : svc]));
}

/** Where the compose variables came from, and those left unset; once every value is read. */
export function noteVariables({ file, reader }: Compose, notes: Notes): void {
  if (reader.envFile && file) notes.found.push(`compose variables from ${reader.envFile}`);
  if (reader.missing.size)
    notes.guessed.push(
      `compose variables with no value${reader.envFile ? ` in ${reader.envFile}` : ""} and no default, left as written: ${[...reader.missing].sort().join(", ")}; set them in the spec`,
    );
}

/** Files compose reads variables from (`.env`), then the example files projects commit instead. */
const ENV_FILES = [".env", ".env.example", ".env.sample", ".env.dist", "env.example"];

/** Environment names a shell takes (build args, the test's environment). */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Environment names `docker run -e` takes: a service's (`discovery.type`). */
const DOCKER_NAME = /^[^=\s]+$/;

export interface ComposeReader {
  /** A value with compose's `${VAR}`, `${VAR:-default}`, `$$` read; undefined names go to `missing`. */
  interpolate(value: string): string;
  /** The variables of a value that have no value and no default. */
  unresolved(value: string): string[];
  environment(env: unknown): Record<string, string>;
  /**
   * A service's environment as its container gets it: its `env_file`s (each, when the repository
   * has not got it, from its committed example) under its `environment:`; `keep` filters the
   * env_file's names (a database takes its own from a file shared with the app).
   */
  serviceEnvironment(svc: ComposeService, keep?: (name: string) => boolean): { environment: Record<string, string>; envFiles: string[] };
  /** The readers of values that leave `missing` as it is. */
  quiet: Pick<ComposeReader, "interpolate" | "environment" | "serviceEnvironment">;
  readiness(healthcheck: unknown): string | undefined;
  /** Variables that had no value and no default (the caller says to set them). */
  missing: Set<string>;
  /** Where the values came from, for init's report. */
  envFile?: string;
}

export function composeReader(read: (path: string) => string | undefined, secrets: unknown, folder = "."): ComposeReader {
  const envFile = ENV_FILES.map((f) => joinPath(folder, f)).find((f) => read(f) !== undefined);
  const vars = parseEnvFile(envFile ? read(envFile)! : "");
  const missing = new Set<string>();
  const secretFiles = readSecrets(secrets, read);
  const recording = (names: Set<string>) => (value: string) => interpolateWith(vars, names, value);
  const interpolate = recording(missing);
  const serviceEnvironment = (interp: (value: string) => string) => (svc: ComposeService, keep?: (name: string) => boolean) => {
    const files = envFilesOf(svc, read);
    const fromFiles = files.flatMap((f) => [...parseEnvFile(read(f) ?? "")].filter(([k]) => !keep || keep(k)));
    // Values of an env_file are taken as written.
    const environment = { ...Object.fromEntries(fromFiles), ...readEnvironment(svc.environment, interp, secretFiles, DOCKER_NAME) };
    return { environment, envFiles: files };
  };
  return {
    interpolate,
    unresolved: (value) => {
      const names = new Set<string>();
      recording(names)(value);
      return [...names];
    },
    environment: (env) => readEnvironment(env, interpolate, secretFiles, SHELL_NAME),
    serviceEnvironment: serviceEnvironment(interpolate),
    // For reading what a service points at: a variable of a service that is not taken is not reported.
    quiet: {
      interpolate: recording(new Set()),
      environment: (env) => readEnvironment(env, recording(new Set()), secretFiles, SHELL_NAME),
      serviceEnvironment: serviceEnvironment(recording(new Set())),
    },
    readiness: (healthcheck) => readiness(healthcheck, interpolate, secretFiles),
    missing,
    envFile,
  };
}

/** A service's env_file paths that the repository has, or their committed examples (`.env` → `.env.example`). */
function envFilesOf(svc: ComposeService, read: (path: string) => string | undefined): string[] {
  const list = Array.isArray(svc.env_file) ? (svc.env_file as unknown[]) : [];
  return list.flatMap((e) => {
    const path = (e as { path?: unknown }).path;
    if (typeof path !== "string") return [];
    const folder = folderOf(path);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const examples = name === ".env" ? ENV_FILES : [name, ...["example", "sample", "dist"].map((x) => `${name}.${x}`)];
    const found = [path, ...examples.map((x) => joinPath(folder, x))].find((p) => read(p) !== undefined);
    return found ? [found] : [];
  });
}

/** The top-level `secrets:` that have a file in the repository: name → the file's text, trimmed. */
function readSecrets(secrets: unknown, read: (path: string) => string | undefined): Map<string, string> {
  const secretFiles = new Map<string, string>();
  if (!secrets || typeof secrets !== "object") return secretFiles;
  for (const [name, def] of Object.entries(secrets as Record<string, { file?: unknown }>)) {
    const text = typeof def?.file === "string" ? read(def.file) : undefined;
    if (text !== undefined) secretFiles.set(name, text.trim());
  }
  return secretFiles;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`, `$VAR` and `$$` as compose reads them; names with no value go to `missing`. */
function interpolateWith(vars: Map<string, string>, missing: Set<string>, value: string): string {
  return value.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, dollar, braced, op, word, bare) => {
    if (dollar === "$") return "$";
    const name = (braced ?? bare) as string;
    const set = vars.get(name);
    const empty = set === undefined || (set === "" && typeof op === "string" && op.startsWith(":"));
    if (op?.endsWith("+")) return empty ? "" : (word as string);
    if (op?.endsWith("-") && empty) return word as string;
    if (set === undefined) {
      missing.add(name);
      return all;
    }
    return set;
  });
}

/** `POSTGRES_PASSWORD_FILE: /run/secrets/db-password` → `POSTGRES_PASSWORD: <the secret's file>`. */
function fromSecret(secretFiles: Map<string, string>, key: string, value: string): [string, string] | undefined {
  const m = /^\/run\/secrets\/([\w.-]+)$/.exec(value);
  const secret = m ? secretFiles.get(m[1]!) : undefined;
  return key.endsWith("_FILE") && secret !== undefined ? [key.slice(0, -"_FILE".length), secret] : undefined;
}

/** An `environment:` (a list of `KEY=value` or a map), read; names `valid` refuses are left out. */
function readEnvironment(env: unknown, interpolate: (value: string) => string, secretFiles: Map<string, string>, valid: RegExp): Record<string, string> {
  const entries: [string, string][] = [];
  // A name without a value (`- DEBUG`, `DEBUG:`) takes the shell's or the environment file's value, as `${DEBUG}` would.
  if (Array.isArray(env)) {
    for (const e of env) {
      const [k, ...v] = String(e).split("=");
      if (k) entries.push([k.trim(), v.length ? v.join("=") : `\${${k.trim()}}`]);
    }
  } else if (env && typeof env === "object") {
    for (const [k, v] of Object.entries(env)) entries.push([k, v === null || v === undefined ? `\${${k}}` : String(v)]);
  }
  const out: Record<string, string> = {};
  for (const [k, raw] of entries) {
    if (!valid.test(k)) continue;
    const v = interpolate(raw);
    const [key, value] = fromSecret(secretFiles, k, v) ?? [k, v];
    out[key] = value;
  }
  return out;
}

/** A healthcheck's test as a shell command, or undefined when it needs a secret file or is disabled. */
function readiness(healthcheck: unknown, interpolate: (value: string) => string, secretFiles: Map<string, string>): string | undefined {
  const h = healthcheck as { test?: unknown; disable?: unknown } | undefined;
  if (h?.disable === true) return undefined;
  const t = h?.test;
  let probe: string | undefined;
  if (typeof t === "string") probe = t;
  else if (Array.isArray(t) && t.length) {
    const [kind, ...rest] = t.map(String);
    if (kind === "CMD-SHELL") probe = rest.join(" ");
    else if (kind === "CMD") probe = rest.map(shellWord).join(" ");
  }
  if (probe === undefined || probe.trim() === "" || probe === "NONE") return undefined;
  probe = interpolate(probe);
  // The secret file is not mounted in the pipeline's service: the probe reads the value instead.
  for (const [name, value] of secretFiles) {
    if (/^[\w.@%+=:,/-]+$/.test(value)) probe = probe.split(`$(cat /run/secrets/${name})`).join(value);
  }
  return /\/run\/secrets\//.test(probe) ? undefined : probe;
}

/** `KEY=value` lines (an `export ` prefix and surrounding quotes allowed), as compose reads .env and env_file. */
function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([^\s=#][^\s=]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    vars.set(m[1]!, v);
  }
  return vars;
}

/** Names a service waits for (`depends_on` as a list or a map). */
export function dependsOn(svc: ComposeService): string[] {
  const d = svc.depends_on;
  if (Array.isArray(d)) return d.map(String);
  return d && typeof d === "object" ? Object.keys(d) : [];
}

/** A build's Dockerfile as a repository path, with compose's variables filled in (`${DF:-./Dockerfile.dev}`). */
export const dockerfileOf = (compose: Pick<Compose, "reader">, build: { path: string }): string => joinPath(".", compose.reader.quiet.interpolate(build.path));

/**
 * A service's `build:` as context (a repository path: compose files in a folder are read from
 * there), dockerfile (relative to the context, as compose writes it), `path` (the Dockerfile's
 * repository path), target and args.
 */
export function buildOf(svc: ComposeService): { context: string; dockerfile?: string; path: string; target?: string; args?: unknown } | undefined {
  if (svc.build === undefined || svc.build === null) return undefined;
  const b = typeof svc.build === "string" ? { context: svc.build } : (svc.build as Record<string, unknown>);
  const context = typeof b.context === "string" ? joinPath(".", b.context) : ".";
  const dockerfile = typeof b.dockerfile === "string" ? b.dockerfile.replace(/^\.\//, "") : undefined;
  const path = joinPath(context, dockerfile ?? "Dockerfile");
  return { context, dockerfile, path, target: typeof b.target === "string" ? b.target : undefined, args: b.args };
}
