import { shellWord } from "../emit/shq.js";
import { posix } from "node:path";
import { cleanSource, copyWords, runCommand, splitFlags, type Instruction } from "./parse.js";
import { chainOf, stageNamed, type Stage } from "./stages.js";
import { simpleCommands } from "./toolchain.js";

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
  const candidates: { rank: number; root: string }[] = [];
  const workdirs: string[] = [];
  for (const ins of chain) {
    if (ins.op === "ARG" || ins.op === "ENV") declare(vars, ins);
    else if (ins.op === "WORKDIR") {
      workdir = resolve(workdir, expand(unquote(ins.args.trim()), vars));
      workdirs.push(workdir);
    } else if ((ins.op === "COPY" || ins.op === "ADD") && !splitFlags(ins.args).flags.some(([n]) => n === "from")) {
      const parts = copyParts(splitFlags(ins.args).rest).map((p) => expand(p, vars));
      if (parts.length < 2) continue;
      const dest = parts[parts.length - 1]!;
      const sources = parts.slice(0, -1).map(cleanSource);
      const intoFolder = /\/$|^\.$/.test(dest) || sources.length > 1;
      for (const src of sources) {
        const found = rootOf(src, resolve(workdir, dest), intoFolder, kinds);
        if (found) candidates.push(found);
      }
    }
  }
  // The whole context says where the repository is; a folder or a file only when the image works
  // in or under that folder (a config file copied to /etc/app is not the repository).
  const within = (root: string) => workdirs.some((w) => w === root || w.startsWith(`${root === "/" ? "" : root}/`));
  const kept = candidates.filter((c) => c.rank === 3 || within(c.root));
  const rank = Math.max(0, ...kept.map((c) => c.rank));
  const roots = [...new Set(kept.filter((c) => c.rank === rank).map((c) => c.root))];
  // Copies that disagree say nothing for sure.
  const root = roots.length === 1 && !roots[0]!.includes("$") ? roots[0] : undefined;
  return { root, workdir, whole: rank === 3 && root !== undefined };
}

const unquote = (text: string) => text.replace(/^(["'])(.*)\1$/, "$2");

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
  if (root === undefined || !root.startsWith("/") || workdir.includes("$")) return "";
  // Where the command's folder is not known, a working directory inside the repository may be it.
  if (dir === undefined && (workdir === root || workdir.startsWith(`${root === "/" ? "" : root}/`))) return "";
  const target = dir ? posix.join(root, dir) : root;
  if (target === workdir) return "";
  return `cd ${shellWord(target)} && `;
}

function resolve(dir: string, path: string): string {
  if (path.startsWith("/")) return posix.normalize(path).replace(/(.)\/$/, "$1");
  const joined = posix.normalize(posix.join(dir || ".", path)).replace(/(.)\/$/, "$1");
  return joined === "." ? "" : joined;
}

/** COPY's words, quotes removed. */
const copyParts = (rest: string): string[] => (copyWords(rest) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));

/** `ARG A=1`, `ENV A=1 B="x y"`, and the old `ENV A 1`, into `vars`. */
export function declare(vars: Map<string, string>, ins: Instruction): void {
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
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_]\w*)(?::-([^}]*))?\}|([A-Za-z_]\w*))/g, (all, braced, fallback, bare) => {
    const value = vars.get((braced ?? bare) as string);
    return value ?? (fallback as string | undefined) ?? all;
  });
}

/**
 * Whether a `COPY --from=<stage>` copies the folder where that stage holds its whole copy of the
 * repository, or one above it (`COPY --from=build /rails /rails` after the build's `WORKDIR /rails`
 * and `COPY . .`): the code comes with it. A built file copied out (`/app/server`) is no code.
 */
export function copiesRepositoryFrom(stages: readonly Stage[], stage: Stage, ins: Instruction, isCode: (src: string) => boolean): boolean {
  if (ins.op !== "COPY") return false;
  const { flags, rest } = splitFlags(ins.args);
  const from = flags.find(([n]) => n === "from")?.[1];
  const source = from === undefined ? undefined : stageNamed(stages.slice(0, stage.index), from);
  if (!source) return false;
  const { root, whole } = codeRoot(
    chainOf(stages, source.index).flatMap((s) => s.body),
    { isFolder: () => false, isCode },
  );
  if (!whole || !root?.startsWith("/")) return false;
  const paths = copyParts(rest)
    .slice(0, -1)
    .map((p) => p.replace(/(.)\/+$/, "$1"));
  return paths.some((p) => p === root || p === "/" || root.startsWith(`${p}/`));
}

/**
 * The names a stage keeps of its whole copy of the repository, when a `find` deletes every other
 * file (`find . -type f ! -name pom.xml ! -name '*.jar' -delete`): as globs of any folder. A
 * `COPY --from` it brings those files only: the dependency manifests, not the code.
 */
export function keptByFind(stages: readonly Stage[], from: string, before: number): string[] | undefined {
  const source = stageNamed(stages.slice(0, before), from);
  if (!source) return undefined;
  for (const ins of chainOf(stages, source.index).flatMap((s) => s.body)) {
    if (ins.op !== "RUN") continue;
    for (const words of simpleCommands(runCommand(ins.args))) {
      if (words[0] !== "find" || !words.some((w, i) => w === "-delete" || (w === "-exec" && /^(\/bin\/)?rm$/.test(words[i + 1] ?? "")))) continue;
      const kept: string[] = [];
      for (let i = 1; i < words.length; i++) {
        if (!/^(-name|-iname)$/.test(words[i]!)) continue;
        // Only names the find spares (`! -name x`) say what stays; a name it deletes says nothing of the rest.
        if (!/^(\\?!|-not)$/.test(words[i - 1] ?? "")) return undefined;
        kept.push(`**/${words[i + 1]!.replace(/^(["'])(.*)\1$/, "$2")}`);
      }
      if (kept.length) return kept;
    }
  }
  return undefined;
}

/**
 * A dependency recipe a stage derives from the repository's manifests (`cargo chef prepare`): a
 * `COPY --from` it brings what the recipe is made of: the workspace's manifests, its lock file, the
 * toolchain file and cargo's configuration.
 */
export function recipeOf(stages: readonly Stage[], from: string, before: number): string[] | undefined {
  const source = stageNamed(stages.slice(0, before), from);
  if (!source) return undefined;
  const runs = chainOf(stages, source.index).flatMap((s) => s.body.filter((i) => i.op === "RUN").map((i) => runCommand(i.args)));
  return runs.some((r) => simpleCommands(r).some((w) => w[0] === "cargo" && w[1] === "chef" && w[2] === "prepare"))
    ? ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "rust-toolchain", ".cargo/config.toml", ".cargo/config"]
    : undefined;
}
