import { posix } from "node:path";
import { Pair, parseDocument, Scalar, visit, YAMLMap } from "yaml";

/**
 * Which compose file(s) init reads, and how several become one, as `docker compose` does: an
 * override file merged over its base, `include:` and `extends:` followed, and every relative path
 * (build context, env_file, bind mount, secret file) taken from the folder of the file that
 * writes it. Pure: files come through the RepoView.
 */

/** `compose.yaml`, `docker-compose.yml`, and their variants (`compose.test.yml`, `docker-compose-dev.yaml`). */
const COMPOSE_NAME = /^(?:docker-)?compose(?:[._-]([\w.-]+?))?\.ya?ml$/;

/** Folders whose compose files are not the project's (dependencies, samples, documentation). */
const SKIPPED = /(^|\/)(node_modules|vendor|third_party|\.git|examples?|samples?|docs?|test\/fixtures|testdata)\//;

/** The names compose itself looks for, in its order: the tie-break between two files of one rank. */
const DEFAULT_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

const words = (variant: string) => variant.toLowerCase().split(/[._-]/);
const TEST = ["test", "tests", "testing", "ci", "integration", "e2e"];
const DEV = ["dev", "development", "local", "debug"];
const EXAMPLE = ["example", "sample", "dist", "template", "default"];

/**
 * Rank of a compose file in its folder: a test or CI variant first (what the tests run with), then
 * the base file (or its committed example), then development variants, then the others
 * (production, staging); an override file alone, which holds only fragments, last.
 */
function rank(variant: string | undefined): number {
  if (variant === undefined) return 1;
  const w = words(variant);
  if (w.includes("override")) return 5;
  if (w.some((x) => TEST.includes(x))) return 0;
  if (w.some((x) => EXAMPLE.includes(x))) return 2;
  if (w.some((x) => DEV.includes(x))) return 3;
  return 4;
}

/** The rank of a compose file named freely (`ci.yml`, `local.yml`, `compose.test.yml`): its words, as a variant's. */
export function fileRank(path: string): number {
  const stem = path
    .slice(path.lastIndexOf("/") + 1)
    .replace(/\.ya?ml$/, "")
    .replace(/^(docker-)?compose[._-]?/, "");
  return rank(stem || undefined);
}

export const folderOf = (path: string): string => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
const depth = (path: string) => (path.startsWith(".devcontainer/") ? 99 : path.split("/").length);
const variantOf = (path: string) => COMPOSE_NAME.exec(path.slice(path.lastIndexOf("/") + 1))?.[1];

/** Compose files of the repository, the one to read first: shallowest folder, then by rank. */
export function composeCandidates(files: readonly string[]): string[] {
  const named = (p: string) => COMPOSE_NAME.test(p.slice(p.lastIndexOf("/") + 1));
  const order = (p: string) => {
    const i = DEFAULT_NAMES.indexOf(p.slice(p.lastIndexOf("/") + 1));
    return i < 0 ? DEFAULT_NAMES.length : i;
  };
  return files
    .filter((f) => named(f) && !SKIPPED.test(f))
    .sort(
      (a, b) =>
        depth(a) - depth(b) || folderOf(a).localeCompare(folderOf(b)) || rank(variantOf(a)) - rank(variantOf(b)) || order(a) - order(b) || a.localeCompare(b),
    );
}

/** The base file next to a variant (`compose.test.yml` → `compose.yml`), if the folder has one. */
export function baseOf(path: string, files: readonly string[]): string | undefined {
  const folder = folderOf(path);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const prefix = name.startsWith("docker-") ? "docker-compose" : "compose";
  const bases = [".yaml", ".yml"].map((ext) => joinPath(folder, prefix + ext));
  return [...bases, ...DEFAULT_NAMES.map((n) => joinPath(folder, n))].find((b) => b !== path && files.includes(b));
}

/** The override file compose merges over a base file by default (`docker-compose.override.yml`). */
export function overrideOf(base: string, files: readonly string[]): string | undefined {
  const name = base.slice(base.lastIndexOf("/") + 1);
  if (!DEFAULT_NAMES.includes(name)) return undefined;
  const prefix = name.replace(/\.ya?ml$/, "");
  return [".yaml", ".yml"].map((ext) => joinPath(folderOf(base), `${prefix}.override${ext}`)).find((f) => files.includes(f));
}

/** A compose file by its name, in any folder (`compose.yaml`, `deploy/docker-compose.build.yml`). */
export const isComposeFile = (path: string): boolean => COMPOSE_NAME.test(path.slice(path.lastIndexOf("/") + 1));

/** A path relative to a folder of the repository, as a repository path (`docker` + `../app` → `app`). */
export function joinPath(folder: string, path: string): string {
  if (path.startsWith("/")) return path;
  const joined = posix.normalize(folder === "." ? path : `${folder}/${path}`).replace(/\/+$/, "");
  return joined === "" || joined === "./" ? "." : joined;
}

/** A build context that is not a folder of the repository (a git URL, a remote tarball). */
const isRemote = (context: string) => /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(context);

/** One service with its paths made repository paths (from the folder of its compose file). */
export function withRepoPaths(svc: Record<string, unknown>, folder: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...svc };
  // Compose's tags stay for the merge: a reset as it is, an override around its paths made the repository's.
  for (const key of ["build", "env_file", "volumes", "extends"]) {
    const value = svc[key];
    if (value === undefined || value === RESET) continue;
    const override = isMapping(value) && OVERRIDE in value;
    const paths = pathsFromFolder({ [key]: override ? value[OVERRIDE] : value }, folder)[key];
    out[key] = override ? { [OVERRIDE]: paths } : paths;
  }
  return out;
}

function pathsFromFolder(svc: Record<string, unknown>, folder: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...svc };
  if (typeof svc.build === "string" || (svc.build && typeof svc.build === "object")) {
    const b = typeof svc.build === "string" ? { context: svc.build } : (svc.build as Record<string, unknown>);
    const context = typeof b.context === "string" ? b.context : ".";
    out.build = { ...b, context: isRemote(context) ? context : joinPath(folder, context) };
  }
  if (svc.env_file !== undefined && svc.env_file !== null) {
    const list = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
    out.env_file = list.map((e) => {
      const entry = typeof e === "string" ? { path: e } : (e as { path?: unknown; required?: unknown });
      return { ...entry, path: typeof entry.path === "string" ? joinPath(folder, entry.path) : entry.path };
    });
  }
  if (Array.isArray(svc.volumes)) out.volumes = svc.volumes.map((v) => volumeWithRepoPath(v, folder));
  const ext = svc.extends as { file?: unknown } | undefined;
  if (ext && typeof ext === "object" && typeof ext.file === "string") out.extends = { ...ext, file: joinPath(folder, ext.file) };
  return out;
}

/** A mount, as `{type, source, target}`: a bind mount's host path made a repository path. */
export interface Mount {
  type: string;
  source?: string;
  target: string;
}

function volumeWithRepoPath(v: unknown, folder: string): unknown {
  const m = mountOf(v);
  if (!m) return v;
  return m.type === "bind" && m.source !== undefined && !m.source.startsWith("~") ? { ...m, source: joinPath(folder, m.source) } : m;
}

/** A compose volume in its short (`./db:/docker-entrypoint-initdb.d:ro`) or long syntax. */
export function mountOf(v: unknown): Mount | undefined {
  if (typeof v === "string") {
    const parts = v.split(":");
    // A Windows drive (`C:\x:/y`) is not split at its colon.
    if (/^[A-Za-z]$/.test(parts[0]!) && parts.length > 2) parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
    if (parts.length === 1) return { type: "volume", target: parts[0]! };
    const source = parts[0]!;
    const bind = /^[./~]/.test(source) || /^[A-Za-z]:/.test(source);
    return { type: bind ? "bind" : "volume", source, target: parts[1]! };
  }
  if (v && typeof v === "object" && typeof (v as Mount).target === "string") {
    const o = v as Mount;
    return { type: typeof o.type === "string" ? o.type : "volume", source: typeof o.source === "string" ? o.source : undefined, target: o.target };
  }
  return undefined;
}

type Service = Record<string, unknown>;

/** Compose's `!reset` (the key is removed, as if never written) and `!override` (replaces, not merged), as read. */
const RESET = "\u0000!reset";
const OVERRIDE = "\u0000!override";

/**
 * A compose file's YAML, with compose's own tags kept for the merge: `!reset` as a value that
 * removes its key, `!override` as one that replaces the value below it. Throws on invalid YAML.
 */
export function parseCompose(text: string): unknown {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length) throw doc.errors[0];
  visit(doc, {
    Node(_key, node) {
      if (node.tag === "!reset") return new Scalar(RESET);
      if (node.tag !== "!override") return undefined;
      node.tag = undefined;
      const wrapper = new YAMLMap();
      wrapper.items.push(new Pair(new Scalar(OVERRIDE), node));
      return wrapper;
    },
  });
  return doc.toJS();
}

/** A merged service with compose's tags applied: keys reset are gone, overrides are their values. */
export function settle(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== RESET).map(settle);
  if (!isMapping(value)) return value;
  if (OVERRIDE in value) return settle(value[OVERRIDE]);
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === RESET ? [] : [[k, settle(v)]])));
}

/** Keys whose list form (`KEY=value`) compose reads as a mapping before merging. */
const KEYED = new Set(["environment", "labels", "annotations", "args"]);
/** Keys an override replaces rather than extends. */
const REPLACED = new Set(["command", "entrypoint", "test"]);

/** `- KEY=value` as `{KEY: value}`. */
export function asMapping(v: unknown): Record<string, unknown> {
  if (!Array.isArray(v)) return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const e of v) {
    const [k, ...rest] = String(e).split("=");
    if (k) out[k] = rest.length ? rest.join("=") : null;
  }
  return out;
}

/**
 * `over` merged onto `base` as compose merges files: mappings key by key, lists appended
 * (without repeats), environment and labels by name, mounts by their target, depends_on as a
 * mapping, and command, entrypoint and a healthcheck's test replaced.
 */
export function mergeService(base: Service, over: Service): Service {
  return mergeMapping(base, over, "");
}

function mergeMapping(base: Record<string, unknown>, over: Record<string, unknown>, parent: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const old = out[key];
    if (value === RESET) delete out[key];
    else if (isMapping(value) && OVERRIDE in value) out[key] = value[OVERRIDE];
    else if (old === undefined || old === null || value === null || REPLACED.has(key)) out[key] = value;
    else if (KEYED.has(key) || key === "depends_on") out[key] = { ...asDependencies(key, old), ...asDependencies(key, value) };
    else if (key === "volumes" && parent === "" && Array.isArray(old) && Array.isArray(value)) out[key] = mergeMounts(old, value);
    else if (Array.isArray(old) && Array.isArray(value)) out[key] = [...old, ...value.filter((x) => !old.some((o) => JSON.stringify(o) === JSON.stringify(x)))];
    else if (isMapping(old) && isMapping(value)) out[key] = mergeMapping(old, value, key);
    else out[key] = value;
  }
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const asDependencies = (key: string, v: unknown) =>
  key === "depends_on" && Array.isArray(v) ? Object.fromEntries(v.map((d) => [String(d), { condition: "service_started" }])) : asMapping(v);

function mergeMounts(old: unknown[], value: unknown[]): unknown[] {
  const target = (v: unknown) => mountOf(v)?.target;
  return [...old.filter((o) => !value.some((v) => target(v) !== undefined && target(v) === target(o))), ...value];
}
