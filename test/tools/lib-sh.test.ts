import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "../helpers.js";

// The scripts find their folder and time their steps with bash alone (no dirname, date or awk
// process): the paths they find and the timings they print, as the generated example has them.
const DEMO = join(ROOT, "examples/demo");
const SCRIPTS = join(DEMO, ".circleci/gen-circle");
const bash = (script: string, cwd = ROOT) => run("bash", ["-c", script], { cwd });

describe("lib.sh and hash.sh: their folder without dirname", () => {
  it("the repository root, whether the script is named by a path or from its own folder", () => {
    const byPath = bash(`. ${SCRIPTS}/lib.sh; printf '%s' "$GC_ROOT"`);
    const here = bash(`. lib.sh; printf '%s' "$GC_ROOT"`, SCRIPTS);
    expect(byPath.stdout).toBe(DEMO);
    expect(here.stdout).toBe(DEMO);
  });

  it("hash.sh gives the same hash run from its folder as by its path", () => {
    const byPath = bash(`bash ${SCRIPTS}/hash.sh app`);
    const here = bash("bash hash.sh app", SCRIPTS);
    expect(byPath.status, byPath.stderr).toBe(0);
    expect(byPath.stdout).toMatch(/^[0-9a-f]{16}\n$/);
    expect(here.stdout).toBe(byPath.stdout);
  });
});

describe("lib.sh: step timings without date or awk", () => {
  it("gc_since prints the tenths of a second since gc_now", () => {
    const r = bash(`. ${SCRIPTS}/lib.sh; s=$(gc_now); sleep 0.35; gc_since "$s"`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0\.[3-9] s$/);
  });

  it("without EPOCHREALTIME (bash before 5): whole seconds from date", () => {
    const r = bash(`. ${SCRIPTS}/lib.sh; unset EPOCHREALTIME; s=$(gc_now); printf '%s ' "$s"; gc_since "$((s - 2000000))"`);
    expect(r.status, r.stderr).toBe(0);
    // (3.0 s if the second turned between the two readings)
    expect(r.stdout).toMatch(/^\d{10,}000000 [23]\.0 s$/);
  });
});
