import type { Filters } from "../run/expand.js";
import { matchesAny } from "../run/filters.js";

/** A branch or tag the estimate is made for, and why it was chosen. */
export interface Ref {
  branch?: string;
  tag?: string;
  /** the filter pattern it stands for ("" for a branch no filter names) */
  pattern: string;
}

/**
 * One ref per kind of push the workflow tells apart: every branch and tag pattern its filters
 * name (a literal as it is, a /regex/ by its shortest match) and one branch that none names.
 * Refs that select the same jobs are the same scenario: only the first is kept by `distinctRefs`.
 */
export function refsOf(filters: Filters[]): Ref[] {
  const branchPatterns = unique(filters.flatMap((f) => [...(f.branches?.only ?? []), ...(f.branches?.ignore ?? [])]));
  const tagPatterns = unique(filters.flatMap((f) => [...(f.tags?.only ?? []), ...(f.tags?.ignore ?? [])]));
  const refs: Ref[] = [{ branch: otherBranch(branchPatterns), pattern: "" }];
  for (const p of branchPatterns) {
    const name = sampleOf(p);
    if (name !== undefined) refs.push({ branch: name, pattern: p });
  }
  for (const p of tagPatterns) {
    const name = sampleOf(p);
    if (name !== undefined) refs.push({ tag: name, pattern: p });
  }
  return refs;
}

/** Keeps the first ref of each set of selected jobs (the jobs as `select` returns them for the ref). */
export function distinctRefs<T>(refs: Ref[], select: (r: Ref) => T[], same: (a: T[], b: T[]) => boolean): Ref[] {
  const seen: T[][] = [];
  return refs.filter((r) => {
    const jobs = select(r);
    if (!jobs.length || seen.some((s) => same(s, jobs))) return false;
    seen.push(jobs);
    return true;
  });
}

export const refLabel = (r: Ref) =>
  r.tag !== undefined
    ? `tag ${r.tag}${r.pattern && r.pattern !== r.tag ? ` (${r.pattern})` : ""}`
    : `branch ${r.branch}${r.pattern && r.pattern !== r.branch ? ` (${r.pattern})` : r.pattern ? "" : " (no filter names it)"}`;

const unique = (xs: string[]) => [...new Set(xs)];

// A branch no pattern names; a pattern that matches every name (`/.*/`) names none in particular.
function otherBranch(patterns: string[]): string {
  const candidates = ["feature/change", "topic", "fix-1", "x"];
  const specific = patterns.filter((p) => !candidates.every((c) => matchesAny(c, [p])));
  return candidates.find((c) => !matchesAny(c, specific)) ?? candidates[0]!;
}

/** A name the pattern matches: the literal, or the shortest match of a /regex/ (undefined when none is found). */
export function sampleOf(pattern: string): string | undefined {
  if (!(pattern.length >= 2 && pattern.startsWith("/") && pattern.endsWith("/"))) return pattern;
  const body = pattern.slice(1, -1);
  const sample = shortest(body, { i: 0 });
  return sample !== undefined && matchesAny(sample, [pattern]) && sample !== "" ? sample : undefined;
}

/**
 * The shortest string of the portable regex subset (src/spec/regex.ts): literals, `.`, bracket
 * expressions, groups, `|`, anchors and greedy quantifiers; each atom repeated its least count.
 */
function shortest(body: string, at: { i: number }): string | undefined {
  const branches: string[] = [];
  let cur = "";
  while (at.i < body.length) {
    const c = body[at.i]!;
    if (c === ")") break;
    if (c === "|") {
      branches.push(cur);
      cur = "";
      at.i++;
      continue;
    }
    let atom: string | undefined;
    if (c === "(") {
      at.i++;
      if (body.startsWith("?:", at.i)) at.i += 2;
      atom = shortest(body, at);
      at.i++; // the ")"
    } else if (c === "[") {
      const end = body.indexOf("]", at.i + 2);
      if (end < 0) return undefined;
      atom = classSample(body.slice(at.i + 1, end));
      at.i = end + 1;
    } else if (c === "\\") {
      atom = body[at.i + 1];
      at.i += 2;
    } else if (c === "^" || c === "$") {
      atom = "";
      at.i++;
    } else {
      atom = c === "." ? "x" : c;
      at.i++;
    }
    if (atom === undefined) return undefined;
    const q = /^(\*|\+|\?|\{(\d+)(,\d*)?\})/.exec(body.slice(at.i));
    let times = 1;
    if (q) {
      at.i += q[0].length;
      times = q[1] === "*" || q[1] === "?" ? 0 : q[1] === "+" ? 1 : Number(q[2]);
    }
    cur += atom.repeat(times);
  }
  branches.push(cur);
  return branches.reduce((a, b) => (b.length < a.length ? b : a));
}

function classSample(set: string): string | undefined {
  const negated = set.startsWith("^");
  const items = negated ? set.slice(1) : set;
  const allowed = (ch: string) => {
    let hit = false;
    for (let k = 0; k < items.length; k++) {
      if (items[k + 1] === "-" && k + 2 < items.length) {
        if (ch >= items[k]! && ch <= items[k + 2]!) hit = true;
        k += 2;
      } else if (items[k] === ch) hit = true;
    }
    return negated ? !hit : hit;
  };
  return [..."0aAx1-_."].find(allowed) ?? (negated ? undefined : items[0]);
}
