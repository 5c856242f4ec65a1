import { Codes } from "../../diagnostics.js";
import type { V1Config } from "../v1.js";
import { isObj, mapping, type ReadCtx, str } from "./context.js";

/** general (branches, build_dir, artifacts), and notes for notify and experimental. */
export function readGeneral(ctx: ReadCtx): V1Config["general"] {
  const { root, pos, diag, note, lines } = ctx;
  const general: V1Config["general"] = { branchesOnly: [], branchesIgnore: [], artifacts: [] };
  const g = mapping(ctx, root.general, ["general"], "branches, build_dir and artifacts");
  if (Object.keys(g).length) {
    for (const k of Object.keys(g)) {
      lines.add(pos(["general", k]).line);
      if (!["branches", "build_dir", "artifacts"].includes(k))
        diag("warning", Codes.unknownV1Key, ["general", k], `Unknown key '${k}' in 'general:': not migrated.`);
    }
    const branches = mapping(ctx, g.branches, ["general", "branches"], "only and ignore lists");
    if (Object.keys(branches).length) {
      const list = (v: unknown, k: string) =>
        (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x, i) => {
          lines.add(pos(["general", "branches", k, i], "value").line);
          return str(x);
        });
      general.branchesOnly = list(branches.only, "only");
      general.branchesIgnore = list(branches.ignore, "ignore");
    }
    if (g.build_dir !== undefined) general.buildDir = str(g.build_dir);
    const a = g.artifacts;
    (Array.isArray(a) ? a : a ? [a] : []).forEach((p, i) => general.artifacts.push({ path: str(p), at: pos(["general", "artifacts", i], "value") }));
  }
  for (const key of ["experimental", "notify"]) {
    if (root[key] === undefined) continue;
    note(
      [key],
      `${key}:`,
      key === "notify"
        ? "Webhook notifications are set in the project settings (or a notification orb) in CircleCI 2; the URLs are in this file for reference."
        : "experimental.notify (branch notification filters) has no 2.0 equivalent in the config: set notifications in the project settings.",
    );
    walkLines(root[key], [key], (p) => lines.add(pos(p).line));
  }
  return general;
}

function walkLines(v: unknown, path: (string | number)[], f: (p: (string | number)[]) => void): void {
  f(path);
  if (Array.isArray(v)) v.forEach((x, i) => walkLines(x, [...path, i], f));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) walkLines(x, [...path, k], f);
}
