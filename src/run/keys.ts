/**
 * Cache key templates as CircleCI renders them.
 * @see https://circleci.com/docs/caching/#using-keys-and-templates
 */
export interface KeyContext {
  branch: string;
  revision: string;
  buildNum: string;
  environment: Record<string, string | undefined>;
  epoch: number;
  arch: string;
  /** checksum of a file (its content hash); throws when the file is missing */
  checksum(path: string): string;
}

export function renderKey(template: string, ctx: KeyContext): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    const cs = /^checksum\s+"([^"]+)"$/.exec(expr);
    if (cs) return ctx.checksum(cs[1]!);
    if (expr === ".Branch") return ctx.branch;
    if (expr === ".Revision") return ctx.revision;
    if (expr === ".BuildNum") return ctx.buildNum;
    if (expr === "epoch") return String(ctx.epoch);
    if (expr === "arch") return ctx.arch;
    const env = /^\.Environment\.(\w+)$/.exec(expr);
    if (env) return ctx.environment[env[1]!] ?? "<no value>";
    throw new Error(`unsupported cache key template {{ ${expr} }}`);
  });
}

export interface StoredCache {
  key: string;
  created: number;
}

/**
 * Which stored cache a restore_cache step gets, by CircleCI's rule: for each key in order, the
 * most recent cache whose key starts with it (a key equal to it starts with it too, and wins only
 * when it is the newest).
 */
export function pickCache(keys: string[], stored: readonly StoredCache[]): StoredCache | undefined {
  for (const key of keys) {
    const prefixed = stored.filter((s) => s.key.startsWith(key)).sort((a, b) => b.created - a.created || b.key.localeCompare(a.key));
    if (prefixed.length) return prefixed[0];
  }
  return undefined;
}
