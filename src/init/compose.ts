import { parse } from "yaml";
import type { Notes, RepoView } from "./repo.js";

/**
 * Reading a compose file's services the way `docker compose` would: variables interpolated from
 * the project's .env (or its committed example), `*_FILE` secrets resolved to their values, `$$`
 * unescaped. Pure: files come through `read`.
 */
export type ComposeService = Record<string, unknown>;

/** Compose files, in the order init looks for them. */
const COMPOSE_FILES = ["docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"];

/** Services that run the tests (their command is the test command): not services of the tests. */
export const TEST_SERVICES = ["sut", "test", "tests"];

/** The repository's compose file, read: its services (null for one written with no settings). */
export interface Compose {
  file?: string;
  services: Record<string, ComposeService | null>;
  reader: ComposeReader;
}

/** The repository's compose file; an invalid one is reported and read as empty. */
export function readCompose(repo: RepoView, notes: Notes): Compose {
  const file = COMPOSE_FILES.find((f) => repo.files.includes(f));
  let parsed: { services?: unknown; secrets?: unknown } = {};
  if (file) {
    try {
      parsed = (parse(repo.read(file) ?? "", { merge: true }) as typeof parsed) ?? {};
      notes.found.push(`compose file: ${file}`);
    } catch {
      notes.guessed.push(`${file} is not valid YAML: services not taken from it`);
    }
  }
  const services = parsed.services && typeof parsed.services === "object" ? (parsed.services as Compose["services"]) : {};
  return { file, services, reader: composeReader(repo.read, parsed.secrets) };
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

export interface ComposeReader {
  /** A value with compose's `${VAR}`, `${VAR:-default}`, `$$` read; undefined names go to `missing`. */
  interpolate(value: string): string;
  environment(env: unknown): Record<string, string>;
  readiness(healthcheck: unknown): string | undefined;
  /** Variables that had no value and no default (the caller says to set them). */
  missing: Set<string>;
  /** Where the values came from, for init's report. */
  envFile?: string;
}

export function composeReader(read: (path: string) => string | undefined, secrets: unknown, folder = ""): ComposeReader {
  const at = (p: string) => (folder ? `${folder}/${p}` : p);
  const envFile = ENV_FILES.find((f) => read(at(f)) !== undefined);
  const vars = parseEnvFile(envFile ? read(at(envFile))! : "");
  const missing = new Set<string>();
  const secretFiles = readSecrets(secrets, (file) => read(at(file)));
  const interpolate = (value: string) => interpolateWith(vars, missing, value);
  return {
    interpolate,
    environment: (env) => readEnvironment(env, interpolate, secretFiles),
    readiness: (healthcheck) => readiness(healthcheck, interpolate, secretFiles),
    missing,
    envFile,
  };
}

/** The top-level `secrets:` that have a file in the repository: name → the file's text, trimmed. */
function readSecrets(secrets: unknown, read: (path: string) => string | undefined): Map<string, string> {
  const secretFiles = new Map<string, string>();
  if (!secrets || typeof secrets !== "object") return secretFiles;
  for (const [name, def] of Object.entries(secrets as Record<string, { file?: unknown }>)) {
    const file = typeof def?.file === "string" ? def.file.replace(/^\.\//, "") : undefined;
    const text = file === undefined ? undefined : read(file);
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

/** A service's `environment:` (a list of `KEY=value` or a map), read; names a shell cannot take are left out. */
function readEnvironment(env: unknown, interpolate: (value: string) => string, secretFiles: Map<string, string>): Record<string, string> {
  const entries: [string, string][] = [];
  if (Array.isArray(env)) {
    for (const e of env) {
      const [k, ...v] = String(e).split("=");
      if (k) entries.push([k, v.join("=")]);
    }
  } else if (env && typeof env === "object") {
    for (const [k, v] of Object.entries(env)) entries.push([k, v === null || v === undefined ? "" : String(v)]);
  }
  const out: Record<string, string> = {};
  for (const [k, raw] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    const v = interpolate(raw);
    const [key, value] = fromSecret(secretFiles, k, v) ?? [k, v];
    out[key] = value;
  }
  return out;
}

/** A healthcheck's test as a shell command, or undefined when it needs a secret file. */
function readiness(healthcheck: unknown, interpolate: (value: string) => string, secretFiles: Map<string, string>): string | undefined {
  const t = (healthcheck as { test?: unknown } | undefined)?.test;
  let probe: string | undefined;
  if (typeof t === "string") probe = t;
  else if (Array.isArray(t) && t.length) {
    const [kind, ...rest] = t.map(String);
    if (kind === "CMD-SHELL") probe = rest.join(" ");
    else if (kind === "CMD") probe = rest.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
  }
  if (probe === undefined) return undefined;
  probe = interpolate(probe);
  // The secret file is not mounted in the pipeline's service: the probe reads the value instead.
  for (const [name, value] of secretFiles) {
    if (/^[\w.@%+=:,/-]+$/.test(value)) probe = probe.split(`$(cat /run/secrets/${name})`).join(value);
  }
  return /\/run\/secrets\//.test(probe) ? undefined : probe;
}

/** `KEY=value` lines (an `export ` prefix and surrounding quotes allowed), as compose reads .env. */
function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
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

/** A service's `build:` as context, dockerfile and target (paths without a leading ./). */
export function buildOf(svc: ComposeService): { context: string; dockerfile?: string; target?: string; args?: unknown } | undefined {
  if (svc.build === undefined || svc.build === null) return undefined;
  const b = typeof svc.build === "string" ? { context: svc.build } : (svc.build as Record<string, unknown>);
  const clean = (p: unknown) => (typeof p === "string" ? p.replace(/^\.\/?/, "").replace(/\/+$/, "") || "." : undefined);
  return { context: clean(b.context) ?? ".", dockerfile: clean(b.dockerfile), target: typeof b.target === "string" ? b.target : undefined, args: b.args };
}
