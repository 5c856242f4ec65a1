import { type Code, Codes, type Diagnostic } from "../../diagnostics.js";
import type { SourceDoc } from "../../spec/load.js";
import type { Note, Pos } from "../v1.js";

// What the parts of readV1 share: positions, diagnostics, notes and the lines they account for.
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const SECTIONS = ["machine", "checkout", "dependencies", "database", "compile", "test", "deployment", "general", "experimental", "notify"];
export const PHASES = ["pre", "override", "post"];
export const LANGUAGES = ["ruby", "node", "python", "php", "java", "go", "ghc", "xcode", "elixir", "erlang", "scala", "clojure", "rust"];

export interface ReadCtx {
  root: Obj;
  pos(path: (string | number)[], at?: "key" | "value"): Pos;
  diag(severity: "error" | "warning", code: Code, path: (string | number)[], message: string, at?: "key" | "value"): void;
  note(path: (string | number)[], what: string, why: string): void;
  /** lines of the file the model accounts for (the report lists the others) */
  lines: Set<number>;
}

export function readCtx(src: SourceDoc, root: Obj, diagnostics: Diagnostic[], notes: Note[], lines: Set<number>): ReadCtx {
  const pos = (path: (string | number)[], at: "key" | "value" = "key"): Pos => src.position(path, at);
  return {
    root,
    pos,
    diag: (severity, code, path, message, at = "key") =>
      diagnostics.push({ severity, code, message, file: src.file, ...pos(path, at), path: "/" + path.join("/") }),
    note: (path, what, why) => notes.push({ at: pos(path), what, why }),
    lines,
  };
}

export const str = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "string" ? v : String(v));

/** A mapping where one is needed; anything else is said, never dropped quietly. */
export function mapping(ctx: ReadCtx, v: unknown, path: string[], what: string): Obj {
  const { diag } = ctx;
  if (v === undefined || v === null) return {};
  if (isObj(v)) return v;
  diag("warning", Codes.v1MappingExpected, path, `'${path.join(".")}' should be a mapping of ${what}: not migrated.`);
  return {};
}
