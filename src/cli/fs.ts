import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Codes, formatDiagnostic } from "../diagnostics.js";
import { ExitError, ExitStatus } from "./exit.js";

export interface SpecInput {
  /** Repository root: the folder that holds the spec. */
  root: string;
  /** Spec path as the user sees it (for diagnostics). */
  display: string;
  /** Spec path relative to the root, '/'-separated (for generated headers: the same from any folder). */
  fromRoot: string;
  text: string;
}

/**
 * An input file's text, or exit 2 with `file:1:1 error GC1028` and what to do: the one way the
 * CLI reads the files it is given (a spec, a config to run, a circle.yml to migrate).
 */
export function readInput(path: string, display: string, hint: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "this is a folder, not a file" : `cannot be read (${code ?? (e as Error).message})`;
    const d = { file: display, line: 1, column: 1, severity: "error", code: Codes.fileUnreadable, message: `${why}. ${hint}` } as const;
    throw new ExitError(formatDiagnostic(d), ExitStatus.InvalidInput);
  }
}

export function readSpec(dir: string | undefined, spec: string | undefined): SpecInput {
  const root = resolve(dir ?? ".");
  const path = resolve(root, spec ?? "gen-circle.yml");
  const display = relative(process.cwd(), path) || path;
  const text = readInput(path, display, "Run 'gen-circle init' to write one, or pass --spec FILE.");
  return { root, display, fromRoot: relative(root, path).split(sep).join("/"), text };
}

/**
 * Regular files below `base` (relative to `root`, '/'-separated), as the hash script sees them:
 * symlinks and .git folders are left out.
 */
export function walkFiles(root: string, base = "."): string[] {
  const out: string[] = [];
  const start = join(root, base);
  let st;
  try {
    st = lstatSync(start);
  } catch {
    return out;
  }
  if (st.isFile()) return [base];
  if (!st.isDirectory()) return out;
  const stack = [base === "." ? "" : base.replace(/\/+$/, "")];
  while (stack.length) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name === ".git") continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) out.push(p);
    }
  }
  return out;
}

export interface PlannedWrite {
  path: string;
  content?: string;
  executable?: boolean;
  remove?: boolean;
}

/**
 * Applies writes all or nothing as far as a file system allows: every new file is written to a
 * temporary sibling first, then all are renamed into place, then removals happen.
 */
export function applyWrites(root: string, writes: PlannedWrite[]): void {
  const staged: [string, string][] = [];
  try {
    for (const w of writes) {
      if (w.remove) continue;
      const target = join(root, w.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.gen-circle-tmp-${process.pid}`;
      writeFileSync(tmp, w.content ?? "", { mode: w.executable ? 0o755 : 0o644 });
      chmodSync(tmp, w.executable ? 0o755 : 0o644);
      staged.push([tmp, target]);
    }
  } catch (e) {
    for (const [tmp] of staged) rmQuiet(tmp);
    throw e;
  }
  for (const [tmp, target] of staged) renameSync(tmp, target);
  for (const w of writes) if (w.remove) rmQuiet(join(root, w.path));
}

function rmQuiet(p: string) {
  try {
    unlinkSync(p);
  } catch {
    /* already gone */
  }
}

export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function isExecutable(path: string): boolean {
  try {
    return (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
