import { posix } from "node:path";
import { cleanSource, splitFlags, type Instruction } from "./parse.js";

/**
 * Where an image holds the build context's root, and the working directory its command starts in:
 * a test command found from the repository's files (`dotnet test App.sln`, `make test`) names paths
 * from the root, and runs in the last WORKDIR (`WORKDIR /app/src/Web` after `COPY . /app`). Read
 * from the test stage's chain: WORKDIR, and where each COPY puts a context path (ARG and ENV values
 * filled in). Paths that stay relative are relative to the base image's own working directory.
 */
export interface CodeRoot {
  /** The root's path in the image; undefined when no copy says where it is. */
  root?: string;
  /** The working directory at the end of the chain ("" for the base image's own). */
  workdir: string;
  /** The root is where the whole context was copied (not inferred from a folder or a file). */
  whole: boolean;
}

/** Whether a context path is a folder (`src` of `COPY src/ ./src`), and whether it is code. */
export interface ContextKinds {
  isFolder(src: string): boolean;
  isCode(src: string): boolean;
}

export function codeRoot(chain: readonly Instruction[], kinds: ContextKinds): CodeRoot {
  const vars = new Map<string, string>();
  let workdir = "";
  // The best guess so far: the whole context (3), a folder of code (2), any other file or folder (1).
  let best: { rank: number; root: string } | undefined;
  for (const ins of chain) {
    if (ins.op === "ARG" || ins.op === "ENV") declare(vars, ins);
    else if (ins.op === "WORKDIR") workdir = resolve(workdir, expand(ins.args.trim(), vars));
    else if ((ins.op === "COPY" || ins.op === "ADD") && !splitFlags(ins.args).flags.some(([n]) => n === "from")) {
      const parts = copyParts(splitFlags(ins.args).rest).map((p) => expand(p, vars));
      if (parts.length < 2) continue;
      const dest = parts[parts.length - 1]!;
      const sources = parts.slice(0, -1).map(cleanSource);
      const intoFolder = /\/$|^\.$/.test(dest) || sources.length > 1;
      for (const src of sources) {
        const found = rootOf(src, resolve(workdir, dest), intoFolder, kinds);
        if (found && (!best || found.rank >= best.rank)) best = found;
      }
    }
  }
  return { root: best?.root, workdir, whole: best?.rank === 3 };
}

/** The root a copy of `src` to `dest` implies, with how sure it is. */
function rootOf(src: string, dest: string, intoFolder: boolean, kinds: ContextKinds): { rank: number; root: string } | undefined {
  if (src === "." || src === "") return { rank: 3, root: dest };
  if (/^[a-z]+:\/\//i.test(src)) return undefined;
  const glob = /[*?[]/.test(src);
  // A file (or a glob of files) into a folder lands under its own name; a folder's contents become dest.
  const folder = !glob && kinds.isFolder(src);
  const landed = folder || !intoFolder ? dest : posix.join(dest, posix.basename(src));
  const tail = glob ? posix.basename(src) : src;
  if (glob && src.includes("/")) return undefined;
  if (!glob && !landed.endsWith(`/${tail}`) && landed !== tail) return undefined;
  const root = glob ? dest : landed.slice(0, landed.length - tail.length).replace(/\/$/, "") || (landed.startsWith("/") ? "/" : "");
  return { rank: !glob && kinds.isCode(src) ? 2 : 1, root };
}

/**
 * `cd <root>/<dir> && ` for a command found from the repository's files (run from its root, or from
 * the folder `dir` of it), when the image starts elsewhere; "" when it starts there or where is not
 * known. With `dir` undefined (which folder the command belongs to is not known), only when the
 * image starts outside the repository.
 */
export function cdToRoot({ root, workdir }: CodeRoot, dir?: string): string {
  if (root === undefined || !root.startsWith("/")) return "";
  // Where the command's folder is not known, a working directory inside the repository may be it.
  if (dir === undefined && (workdir === root || workdir.startsWith(`${root === "/" ? "" : root}/`))) return "";
  const target = dir ? posix.join(root, dir) : root;
  if (target === workdir) return "";
  return `cd ${/^[\w@%+=:,./-]+$/.test(target) ? target : `'${target.replace(/'/g, `'\\''`)}'`} && `;
}

function resolve(dir: string, path: string): string {
  if (path.startsWith("/")) return posix.normalize(path).replace(/(.)\/$/, "$1");
  const joined = posix.normalize(posix.join(dir || ".", path)).replace(/(.)\/$/, "$1");
  return joined === "." ? "" : joined;
}

/** COPY's words: the JSON form, or split at spaces (quotes removed). */
function copyParts(rest: string): string[] {
  if (rest.startsWith("[")) {
    try {
      return (JSON.parse(rest) as unknown[]).map(String);
    } catch {
      return [];
    }
  }
  return rest
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
}

/** `ARG A=1`, `ENV A=1 B="x y"`, and the old `ENV A 1`. */
function declare(vars: Map<string, string>, ins: Instruction): void {
  const old = ins.op === "ENV" && /^([A-Za-z_]\w*)\s+([^=\s][\s\S]*)$/.exec(ins.args.trim());
  if (old && !old[1]!.includes("=")) {
    vars.set(old[1]!, expand(old[2]!.trim(), vars));
    return;
  }
  for (const m of ins.args.matchAll(/([A-Za-z_]\w*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
    if (m[2] === undefined) continue;
    if (ins.op === "ARG" && vars.has(m[1]!)) continue;
    vars.set(m[1]!, expand(m[2].replace(/^(["'])([\s\S]*)\1$/, "$2"), vars));
  }
}

/** `$VAR`, `${VAR}`, `${VAR:-default}`; an unknown name is left as written. */
function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_]\w*)(?::-([^}]*))?\}|([A-Za-z_]\w*))/g, (all, braced, fallback, bare) => {
    const value = vars.get((braced ?? bare) as string);
    return value ?? (fallback as string | undefined) ?? all;
  });
}
