import { splitFlags, runMounts, type Instruction } from "./parse.js";

/**
 * A Dockerfile's stage graph, as BuildKit builds it: each `FROM` starts a stage; `FROM <stage>`
 * builds on an earlier stage (it inherits its files and tools); `COPY --from=<stage>` and
 * `RUN --mount=from=<stage>` read an earlier stage's files. Building a target builds the stages it
 * depends on, no others.
 */
export interface Stage {
  index: number;
  /** `AS name`, as written (stage names are matched without regard to case). */
  name?: string;
  /** The image FROM names, with ARG defaults and build args filled in (the stage's name when built on a stage). */
  from: string;
  /** The stage it is built on (`FROM builder AS test`). */
  parent?: number;
  /** Its instructions after FROM. */
  body: Instruction[];
  /** The stages it reads files from (COPY --from, RUN --mount from=). */
  reads: number[];
}

/** The stages of a Dockerfile; `buildArgs` override the defaults of the ARGs declared before the first FROM. */
export function dockerStages(instructions: readonly Instruction[], buildArgs: Readonly<Record<string, string>> = {}): Stage[] {
  const globals: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") stages.push(fromStage(stages, ins.args, globals));
    else if (stages.length) stages[stages.length - 1]!.body.push(ins);
    else if (ins.op === "ARG") declareArgs(globals, ins.args, buildArgs);
  }
  // A Dockerfile without FROM (a fragment): one stage of what it has.
  if (!stages.length && instructions.length) stages.push({ index: 0, from: "", body: instructions.filter((i) => i.op !== "ARG"), reads: [] });
  for (const stage of stages) stage.reads = readsOf(stages, stage);
  return stages;
}

function fromStage(stages: Stage[], args: string, globals: Record<string, string>): Stage {
  const words = splitFlags(args).rest.split(/\s+/);
  const from = expandArgs(words[0] ?? "", globals);
  const name = words.length >= 3 && /^as$/i.test(words[1]!) ? words[2] : undefined;
  const parent = stageNamed(stages, from, false)?.index;
  return { index: stages.length, name, from, parent, body: [], reads: [] };
}

/** `ARG A=1 B` before the first FROM: global defaults, a build arg for a declared name wins. */
function declareArgs(globals: Record<string, string>, args: string, buildArgs: Readonly<Record<string, string>>): void {
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
    const name = m[1]!;
    const value = buildArgs[name] ?? (m[2] === undefined ? undefined : m[2].replace(/^(["'])(.*)\1$/, "$2"));
    if (value !== undefined) globals[name] = expandArgs(value, globals);
  }
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` and `$VAR` as the Dockerfile reads them; an unset name is empty. */
function expandArgs(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, op, word, bare) => {
    const value = vars[(braced ?? bare) as string];
    if (op === "-") return value || (word as string);
    if (op === "+") return value ? (word as string) : "";
    return value ?? "";
  });
}

/** An earlier stage by name (without regard to case) or, where Docker allows it (`--from=0`), by number. */
export function stageNamed(stages: readonly Stage[], ref: string, byNumber = true): Stage | undefined {
  if (byNumber && /^\d+$/.test(ref)) return stages[Number(ref)];
  return stages.find((s) => s.name !== undefined && s.name.toLowerCase() === ref.toLowerCase());
}

function readsOf(stages: readonly Stage[], stage: Stage): number[] {
  const refs = stage.body.flatMap((i) => {
    if (i.op === "COPY") return splitFlags(i.args).flags.flatMap(([n, v]) => (n === "from" ? [v] : []));
    if (i.op === "RUN") return runMounts(i.args).flatMap((m) => (m.from ? [m.from] : []));
    return [];
  });
  const out = refs.map((r) => stageNamed(stages.slice(0, stage.index), r)?.index).filter((i): i is number => i !== undefined);
  return [...new Set(out)];
}

/** The stage and those it is built on, the first base first: what its image holds. */
export function chainOf(stages: readonly Stage[], index: number): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | undefined = stages[index]; s; s = s.parent === undefined ? undefined : stages[s.parent]) out.unshift(s);
  return out;
}

/** Every stage building `index` builds (itself included), in file order. */
export function dependenciesOf(stages: readonly Stage[], index: number): Stage[] {
  const seen = new Set<number>();
  const visit = (i: number) => {
    if (seen.has(i) || !stages[i]) return;
    seen.add(i);
    const s = stages[i]!;
    if (s.parent !== undefined) visit(s.parent);
    s.reads.forEach(visit);
  };
  visit(index);
  return stages.filter((s) => seen.has(s.index));
}

/** The stage a build stops at: the target's (by name), else the last; undefined for a target the file does not have. */
export function targetStage(stages: readonly Stage[], target?: string): Stage | undefined {
  return target === undefined ? stages[stages.length - 1] : stageNamed(stages, target, false);
}

// BuildKit's automatic platform ARGs: set in the global scope without a declaration.
const PLATFORM_ARGS = /^(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT)$/;

/**
 * The ARGs a FROM of the stages building `target` reads that nothing sets: declared before the
 * first FROM without a default (or not declared), given no build arg, and read without a
 * `${X:-default}`. Docker fills such a name in as empty, so the base image is `` or `name:-alpine`
 * and the build fails. Returns each with the stage whose FROM reads it.
 */
export function unsetBaseArgs(
  instructions: readonly Instruction[],
  buildArgs: Readonly<Record<string, string>>,
  target?: string,
): { name: string; stage: Stage }[] {
  const stages = dockerStages(instructions, buildArgs);
  const built = targetStage(stages, target);
  if (!built) return [];
  const set = new Set(Object.keys(buildArgs));
  const froms: string[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") froms.push(splitFlags(ins.args).rest.split(/\s+/)[0] ?? "");
    else if (ins.op === "ARG" && !froms.length) for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]+"|'[^']+'|[^\s"']\S*)/g)) set.add(m[1]!);
  }
  const out: { name: string; stage: Stage }[] = [];
  for (const stage of dependenciesOf(stages, built.index))
    for (const m of (froms[stage.index] ?? "").matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+?][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
      const name = (m[1] ?? m[3])!;
      if (/^:?[-+]/.test(m[2] ?? "") || set.has(name) || PLATFORM_ARGS.test(name)) continue;
      if (!out.some((o) => o.name === name)) out.push({ name, stage });
    }
  return out;
}
