import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { Codes, type Diagnostic } from "../diagnostics.js";

/** A parsed YAML file that can turn a JSON pointer back into line:column. */
export interface SourceDoc {
  file: string;
  doc: Document.Parsed;
  value: unknown;
  /**
   * Line and column of the value at `path` (or its key). With `within`, of a spot inside a scalar
   * value: `text` as it appears in the source, `offset` into it (e.g. one character of a regex).
   */
  position(path: readonly (string | number)[], at?: "key" | "value", within?: { text: string; offset: number }): { line: number; column: number };
}

export function pointer(path: readonly (string | number)[]): string {
  return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

export function parsePointer(p: string): string[] {
  if (p === "") return [];
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The key written at an offset (a duplicate key error's position). */
function duplicateKeyAt(text: string, offset: number): string {
  const m = /^\s*["']?([^"':\n]*)/.exec(text.slice(offset));
  return (m?.[1] ?? "").trim();
}

/** Parses YAML keeping source positions; syntax errors become diagnostics (all of them). */
export function load(text: string, file: string): { source?: SourceDoc; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const diagnostics: Diagnostic[] = [];
  const lines = text.split("\n");
  const seenIndent = new Set<number>();
  for (const e of doc.errors) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    const indent = indentationProblem(lines, line, e.code);
    if (indent) {
      // One clear message at the key that is out of line, instead of the parser's at the line above.
      if (!seenIndent.has(indent.line)) diagnostics.push({ code: Codes.yamlSyntax, severity: "error", file, path: "", ...indent });
      seenIndent.add(indent.line);
      continue;
    }
    const duplicate = e.code === "DUPLICATE_KEY";
    diagnostics.push({
      code: duplicate ? Codes.duplicateKey : Codes.yamlSyntax,
      severity: "error",
      message: duplicate
        ? `The key '${duplicateKeyAt(text, e.pos[0])}' appears twice in the same mapping. Keep one of them.`
        : `Invalid YAML: ${firstLine(e.message)}. Fix the syntax at this position.`,
      file,
      line,
      column: col,
      path: "",
    });
  }
  // A duplicate key is reported, but the rest of the file can still be checked.
  if (diagnostics.some((d) => d.code !== Codes.duplicateKey)) return { diagnostics };

  const position: SourceDoc["position"] = (path, at = "value", within) => {
    let offset = locate(doc.contents, path, at) ?? 0;
    if (within) {
      // Found in the source only when written as is (plain or quoted without escapes): else the
      // value's own start is as close as the source allows.
      const found = text.indexOf(within.text, offset);
      const lineEnd = text.indexOf("\n", offset);
      if (found >= 0 && (lineEnd < 0 || found + within.text.length <= lineEnd)) offset = found + within.offset;
    }
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return { source: { file, doc, value: doc.toJS({ maxAliasCount: 1000 }), position }, diagnostics };
}

const keyLine = /^(\s*)(?:- +)?(["']?[\w.-]+["']?)\s*:(\s|$)/;
const indentOf = (l: string) => l.length - l.trimStart().length;
const spaces = (n: number) => `${n} space${n === 1 ? "" : "s"}`;

/**
 * A key indented more or less than the keys of its mapping: the parser reports it at the line
 * above ("implicit keys need to be on a single line") or with its own wording; say what it is.
 */
function indentationProblem(lines: string[], line: number, code: string): { line: number; column: number; message: string } | undefined {
  const text = (n: number) => lines[n - 1] ?? "";
  const prevKey = (from: number) => {
    for (let n = from; n >= 1; n--) if (text(n).trim() && !text(n).trim().startsWith("#")) return n;
    return 0;
  };
  if (code === "BLOCK_AS_IMPLICIT_KEY" || code === "MULTILINE_IMPLICIT_KEY") {
    // Reported at `name: value`; the culprit is the next line, a key indented deeper.
    let next = line + 1;
    while (next <= lines.length && (!text(next).trim() || text(next).trim().startsWith("#"))) next++;
    const here = keyLine.exec(text(line));
    const there = keyLine.exec(text(next));
    if (!here || !there || indentOf(text(next)) <= indentOf(text(line))) return undefined;
    return {
      line: next,
      column: indentOf(text(next)) + 1,
      message: `'${there[2]}' is indented ${spaces(indentOf(text(next)))}, more than '${here[2]}' on line ${line} (${indentOf(text(line))}): the keys of one mapping start in the same column. Align it with '${here[2]}'.`,
    };
  }
  if (code === "BAD_INDENT") {
    const there = keyLine.exec(text(line));
    const before = prevKey(line - 1);
    if (!there || !before || indentOf(text(before)) <= indentOf(text(line))) return undefined;
    return {
      line,
      column: indentOf(text(line)) + 1,
      message: `'${there[2]}' is indented ${spaces(indentOf(text(line)))}, less than the line above it (${indentOf(text(before))}): the keys of one mapping start in the same column. Align it with the keys above, or with its parent's keys.`,
    };
  }
  return undefined;
}

function firstLine(s: string): string {
  return s
    .split("\n")[0]!
    .replace(/\.$/, "")
    .replace(/ at line \d+, column \d+:?$/, "");
}

/** Offset of the node at `path` (or of its key), falling back to the deepest node that exists. */
function locate(root: Node | null, path: readonly (string | number)[], at: "key" | "value"): number | undefined {
  let node: unknown = root;
  let best = rangeStart(root);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
      if (!pair) return best;
      if (last && at === "key") return rangeStart(pair.key as Node) ?? best;
      node = pair.value;
      best = rangeStart(pair.value as Node) ?? rangeStart(pair.key as Node) ?? best;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(item as Node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function keyString(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return typeof k === "string" ? k : undefined;
}

function rangeStart(n: Node | null | undefined): number | undefined {
  return n && n.range ? n.range[0] : undefined;
}
