import type { Code, Diagnostic } from "../../diagnostics.js";
import { Codes } from "../../diagnostics.js";
import type { SourceDoc } from "../load.js";
import type { Scalar } from "../types.js";

/** Where the parts of normalize report: errors and warnings at a path of the spec, with its position. */
export interface Reporter {
  report(code: Code, path: (string | number)[], message: string, at?: "key" | "value", within?: { text: string; offset: number }): void;
  warn(code: Code, path: (string | number)[], message: string): void;
}

export function reporter(src: SourceDoc, diagnostics: Diagnostic[]): Reporter {
  // The top level's services are read once for each image: a problem there is said once.
  const push = (d: Diagnostic) => {
    if (!diagnostics.some((o) => o.code === d.code && o.path === d.path && o.message === d.message && o.line === d.line && o.column === d.column))
      diagnostics.push(d);
  };
  return {
    report: (code, path, message, at = "value", within) => {
      push({ code, severity: "error", message, file: src.file, ...src.position(path, at, within), path: "/" + path.join("/") });
    },
    warn: (code, path, message) => {
      push({ code, severity: "warning", message, file: src.file, ...src.position(path, "value"), path: "/" + path.join("/") });
    },
  };
}

/** A repository path without `./` and empty parts; one that leaves the repository is an error. */
export function cleanPath(r: Reporter, p: string, path: (string | number)[]): string {
  const parts = p.split("/");
  if (p.startsWith("/") || parts.includes("..")) {
    r.report(Codes.pathEscapes, path, `Path ${JSON.stringify(p)} must stay inside the repository: use a relative path without '..'.`);
  }
  const out = parts.filter((s, i) => s !== "" && !(s === "." && parts.length > 1 && i < parts.length)).join("/");
  return out === "" ? "." : out;
}

/** A mapping of literal values as sorted name/text pairs. */
export function entries(rec: Record<string, Scalar> | undefined): [string, string][] {
  return Object.keys(rec ?? {})
    .sort()
    .map((k) => [k, String(rec![k])]);
}

export function joinPath(dir: string, file: string): string {
  return dir === "." ? file : `${dir}/${file}`;
}
