import type { V1Config } from "../v1.js";
import { phases } from "./commands.js";
import { isObj, type ReadCtx, str } from "./context.js";

/** dependencies: its phases, cache_directories (one path or a list) and bundler.without. */
export function readDependencies(ctx: ReadCtx): V1Config["dependencies"] {
  const { pos, lines } = ctx;
  const { rest, ...deps } = phases(ctx, "dependencies", ["cache_directories", "bundler"]);
  const cacheDirectories: V1Config["dependencies"]["cacheDirectories"] = [];
  const cd = rest.cache_directories;
  (Array.isArray(cd) ? cd : cd ? [cd] : []).forEach((p, i) => {
    lines.add(pos(["dependencies", "cache_directories", i], "value").line);
    cacheDirectories.push({ path: str(p), at: pos(["dependencies", "cache_directories", Array.isArray(cd) ? i : 0], "value") });
  });
  let bundlerWithout: string[] | undefined;
  if (isObj(rest.bundler)) {
    lines.add(pos(["dependencies", "bundler"]).line);
    const w = rest.bundler.without;
    bundlerWithout = (Array.isArray(w) ? w : w ? [w] : []).map(str);
  }
  return { ...deps, cacheDirectories, bundlerWithout };
}
