/**
 * Reading a Dockerfile for what decides its dependency layers. Pure: the text comes from the
 * caller (the CLI reads the file).
 */
export interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
export function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let cur = "";
  let heredoc: string | undefined; // the delimiter of a `RUN <<EOF` body being skipped
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (heredoc !== undefined) {
      if (line === heredoc) heredoc = undefined;
      continue;
    }
    if (!cur && (line.startsWith("#") || !line)) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      cur += line.slice(0, -1) + " ";
      continue;
    }
    cur += line;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(cur);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() });
    // A heredoc body (BuildKit syntax) is the instruction's, not instructions of its own.
    heredoc = /<<-?\s*["']?(\w+)["']?/.exec(cur)?.[1];
    cur = "";
  }
  return out;
}

export function copySources(args: string): string[] | undefined {
  if (/--from[= ]/.test(args)) return undefined;
  const rest = args.replace(/--[a-z-]+(=\S+)?\s+/g, "");
  let parts: string[];
  if (rest.startsWith("[")) {
    try {
      parts = JSON.parse(rest) as string[];
    } catch {
      return undefined;
    }
  } else parts = rest.split(/\s+/);
  return parts.slice(0, -1).map((p) => p.replace(/^\.\//, ""));
}

/**
 * What the Dockerfile copies before its dependency-install steps: per stage, the COPY/ADD sources
 * (relative to the context) before the stage's last RUN that comes before its first copy of the
 * whole context. A stage that never copies the whole context (`COPY pom.xml`, `RUN mvn
 * dependency:go-offline`, `COPY src`, `RUN mvn package`) installs at the first RUN after its first
 * copy: what it copies later is code, and hashing it would save the archive on every commit.
 * These decide whether the install layers can be reused: they are hash inputs, whatever their
 * names (`COPY requirements/ ...` holds base.txt and test.txt). `--from` copies come from another
 * stage or image, whose own copies are read as its stage. `wholeContextFirst` says a stage copied
 * the whole context before any install step (then every code change reinstalls).
 */
export function dependencyInputs(instructions: Instruction[]): { sources: string[]; wholeContextFirst: boolean } {
  const sources: string[] = [];
  let wholeContextFirst = false;
  const stages: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM" || !stages.length) stages.push([]);
    if (ins.op !== "FROM") stages[stages.length - 1]!.push(ins);
  }
  for (const stage of stages) {
    const whole = stage.findIndex((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args) ?? []).some((s) => s === "." || s === "./" || s === "*"));
    const isContextCopy = (i: Instruction) => (i.op === "COPY" || i.op === "ADD") && copySources(i.args) !== undefined;
    const firstCopy = stage.findIndex(isContextCopy);
    const prefix =
      whole !== -1 ? stage.slice(0, whole) : firstCopy === -1 ? [] : stage.slice(0, stage.findIndex((i, n) => n > firstCopy && i.op === "RUN") + 1);
    const lastRun = prefix.map((i) => i.op).lastIndexOf("RUN");
    if (whole !== -1 && lastRun === -1 && stage.slice(whole).some((i) => i.op === "RUN")) wholeContextFirst = true;
    for (const ins of prefix.slice(0, Math.max(lastRun, 0))) {
      if (ins.op !== "COPY" && ins.op !== "ADD") continue;
      for (const src of copySources(ins.args) ?? []) {
        if (/^[a-z]+:\/\//i.test(src)) continue; // ADD of a URL
        const clean = src.replace(/^\.\//, "").replace(/\/+$/, "");
        if (clean && !sources.includes(clean)) sources.push(clean);
      }
    }
  }
  return { sources, wholeContextFirst };
}
