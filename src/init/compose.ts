/**
 * Reading a compose file's services the way `docker compose` would: variables interpolated from
 * the project's .env (or its committed example), `*_FILE` secrets resolved to their values, `$$`
 * unescaped. Pure: files come through `read`.
 */
export type ComposeService = Record<string, unknown>;

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
  const secretFiles = new Map<string, string>();
  if (secrets && typeof secrets === "object") {
    for (const [name, def] of Object.entries(secrets as Record<string, { file?: unknown }>)) {
      const file = typeof def?.file === "string" ? def.file.replace(/^\.\//, "") : undefined;
      const text = file === undefined ? undefined : read(at(file));
      if (text !== undefined) secretFiles.set(name, text.trim());
    }
  }

  const interpolate = (value: string): string =>
    value.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, dollar, braced, op, word, bare) => {
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

  /** `POSTGRES_PASSWORD_FILE: /run/secrets/db-password` → `POSTGRES_PASSWORD: <the secret's file>`. */
  const fromSecret = (key: string, value: string): [string, string] | undefined => {
    const m = /^\/run\/secrets\/([\w.-]+)$/.exec(value);
    const secret = m ? secretFiles.get(m[1]!) : undefined;
    return key.endsWith("_FILE") && secret !== undefined ? [key.slice(0, -"_FILE".length), secret] : undefined;
  };

  const environment = (env: unknown): Record<string, string> => {
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
      const [key, value] = fromSecret(k, v) ?? [k, v];
      out[key] = value;
    }
    return out;
  };

  const readiness = (h: unknown): string | undefined => {
    const t = (h as { test?: unknown } | undefined)?.test;
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
  };

  return { interpolate, environment, readiness, missing, envFile };
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
