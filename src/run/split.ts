import picomatch from "picomatch";
import type { SplitBy } from "../spec/types.js";

/**
 * `circleci tests glob` and `circleci tests split` as `gen-circle run` gives them to a job's steps.
 * Pure: the CLI lists the files and reads the timings. CircleCI's rules (its test-splitting docs):
 * `*` and `?` stop at `/`, `**` crosses folders, `{a,b}` alternates; `split` reads names one per
 * line and prints this node's share; by name (the default) in alphabetical order, by file size, or
 * by the timings of the job's last green run (greedy: longest first, each to the least loaded node),
 * a file with no timing taking `--time-default` (CircleCI: "a random small value" unless that flag
 * is given; here the others' mean, which is repeatable), and no timing at all falling back to name.
 */
export function globTests(patterns: readonly string[], files: readonly string[]): string[] {
  const matchers = patterns.map((p) => picomatch(p.replace(/^\.\//, ""), { dot: false }));
  return files.filter((f) => matchers.some((m) => m(f))).sort();
}

export type { SplitBy };
// Every mode of the spec's schema, each once (a Record: the build fails when one is missing or extra).
const MODES: Record<SplitBy, true> = { name: true, filesize: true, timings: true };
/** The --split-by modes. */
export const SPLIT_MODES = Object.keys(MODES) as SplitBy[];
export const isSplitBy = (v: string): v is SplitBy => Object.hasOwn(MODES, v);

export interface SplitInput {
  names: readonly string[];
  by: SplitBy;
  index: number;
  total: number;
  /** bytes per name, for filesize */
  sizes?: ReadonlyMap<string, number>;
  /** seconds per name, for timings (the job's last green run) */
  timings?: ReadonlyMap<string, number>;
  /** seconds a name without a timing weighs (`--time-default`); else the mean of the known ones */
  timeDefault?: number;
}

export interface SplitResult {
  share: string[];
  /** What CircleCI would print on the step's stderr. */
  notes: string[];
}

export function splitTests(input: SplitInput): SplitResult {
  const names = [...new Set(input.names.map((n) => n.trim()).filter(Boolean))].sort();
  const notes: string[] = [];
  let weight: (n: string) => number = () => 1;
  let by = input.by;
  if (by === "timings") {
    const known = names.filter((n) => input.timings?.has(clean(n)));
    if (!known.length) {
      notes.push("No timing data found for these tests (none stored by an earlier green run of this job): splitting by name");
      by = "name";
    } else {
      notes.push("Autodetected filename timings.");
      for (const n of names) if (!input.timings!.has(clean(n))) notes.push(`No timing found for "${n}"`);
      const mean = known.reduce((s, n) => s + input.timings!.get(clean(n))!, 0) / known.length;
      const missing = input.timeDefault ?? mean;
      weight = (n) => input.timings!.get(clean(n)) ?? missing;
    }
  } else if (by === "filesize") weight = (n) => input.sizes?.get(n) ?? 0;

  const order = by === "name" ? names : [...names].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
  const load = Array.from({ length: input.total }, () => 0);
  const count = Array.from({ length: input.total }, () => 0);
  const share: string[] = [];
  for (const n of order) {
    let best = 0;
    for (let b = 1; b < input.total; b++) if (load[b]! < load[best]! || (load[b] === load[best] && count[b]! < count[best]!)) best = b;
    load[best]! += weight(n);
    count[best]! += 1;
    if (best === input.index) share.push(n);
  }
  return { share: share.sort(), notes };
}

const clean = (n: string) => n.replace(/^\.\//, "");

/**
 * Seconds per test file from JUnit XML: the `file` attribute of each testcase (or its testsuite),
 * summed. Reports without file names give nothing (CircleCI needs them for filename timings too).
 */
export function junitTimings(xml: string, into = new Map<string, number>()): Map<string, number> {
  for (const suite of xml.matchAll(/<testsuite\b([^>]*)>([\s\S]*?)<\/testsuite>/g)) {
    const suiteFile = attr(suite[1]!, "file");
    for (const tc of suite[2]!.matchAll(/<testcase\b([^>]*?)\/?>/g)) {
      const file = attr(tc[1]!, "file") ?? suiteFile;
      const time = Number(attr(tc[1]!, "time") ?? "0");
      if (file && Number.isFinite(time)) into.set(clean(file), (into.get(clean(file)) ?? 0) + time);
    }
  }
  return into;
}

const attr = (attrs: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1];

/**
 * `--time-default`'s value in seconds: a Go duration as CircleCI's CLI (a Go program) reads it,
 * "10s", "1m30s", "500ms", "1.5h"; undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (text === "0") return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}
