import { describe, expect, it } from "vitest";
import type { Code } from "../../src/diagnostics.js";
import { evalCondition } from "../../src/run/expand/conditions.js";
import type { Ctx } from "../../src/run/expand/context.js";
import { resolveExecutor } from "../../src/run/expand/executors.js";
import { bindParams, substitute } from "../../src/run/expand/params.js";
import { expandSteps } from "../../src/run/expand/steps.js";
import { duration } from "../../src/run/expand/values.js";

// The parts of gen-circle run's expansion (src/run/expand/), each on its own with a context whose
// fail throws the code and the path.
const ctx = (over: Partial<Ctx> = {}): Ctx => ({
  fail: (code: Code, path: (string | number)[], message: string) => {
    throw new Error(`${code} ${path.join(".")}: ${message}`);
  },
  commands: {},
  executors: {},
  pipelineValues: { "pipeline.git.branch": "main", "pipeline.git.tag": "", "pipeline.git.revision": "abc", "pipeline.number": "7" },
  ...over,
});

describe("run's expansion, part by part", () => {
  it("params: a whole << parameters.x >> keeps its type, inside text it is a string; defaults, types and unknown names", () => {
    expect(substitute(ctx(), { n: "<< parameters.n >>", s: "build << parameters.n >> on << pipeline.git.branch >>" }, { n: 3 }, [])).toEqual({
      n: 3,
      s: "build 3 on main",
    });
    expect(() => substitute(ctx(), "<< pipeline.trigger_source >>", {}, ["jobs", "t"])).toThrow(/^GC3001 jobs\.t: .*does not know/);
    const decl = { n: { type: "integer", default: 1 }, flag: { type: "boolean" } };
    expect(bindParams(ctx(), decl, { flag: true }, [])).toEqual({ n: 1, flag: true });
    expect(() => bindParams(ctx(), decl, { flag: "yes" }, ["x"])).toThrow(/^GC3003 x: Parameter 'flag' must be a boolean/);
    expect(() => bindParams(ctx(), decl, { flag: true, nope: 1 }, ["x"])).toThrow(/Unknown parameter 'nope'/);
  });

  it("conditions: and, or, not, equal, and matches on the whole value", () => {
    const c = ctx();
    expect(evalCondition(c, { and: [true, { not: { equal: ["a", "b"] } }] }, [])).toBe(true);
    expect(evalCondition(c, { or: [false, ""] }, [])).toBe(false);
    expect(evalCondition(c, { matches: { pattern: "v[0-9]+", value: "v12" } }, [])).toBe(true);
    expect(evalCondition(c, { matches: { pattern: "v[0-9]+", value: "xv12" } }, [])).toBe(false);
    expect(() => evalCondition(c, { equal: "x" }, ["when"])).toThrow(/^GC3004 when\.equal/);
  });

  it("steps: a command invoked with its parameters, a when step decided, an unknown step refused", () => {
    const c = ctx({ commands: { greet: { parameters: { who: { type: "string", default: "you" } }, steps: [{ run: "echo hi << parameters.who >>" }] } } });
    const steps = expandSteps(c, ["checkout", { greet: { who: "ci" } }, { when: { condition: false, steps: ["checkout"] } }], {}, ["jobs", "t", "steps"], 0);
    expect(steps.map((s) => (s.kind === "run" ? s.command : s.kind))).toEqual(["checkout", "echo hi ci"]);
    expect(() => expandSteps(c, ["teleport"], {}, ["s"], 0)).toThrow(/^GC3005 s\.0: Unknown step 'teleport'/);
  });

  it("executors: a named executor with parameters, the job's environment over the executor's", () => {
    const c = ctx({
      executors: { vm: { parameters: { img: { type: "string" } }, machine: { image: "<< parameters.img >>" }, environment: { A: "1", B: "1" } } },
    });
    const r = resolveExecutor(c, { executor: { name: "vm", img: "ubuntu-2404:current" }, environment: { B: "2" } }, {}, ["jobs", "t"]);
    expect(r).toEqual({
      executor: { type: "machine", image: "ubuntu-2404:current", resourceClass: "medium" },
      environment: { A: "1", B: "2" },
      workingDirectory: undefined,
    });
  });

  it("values: Go durations as CircleCI reads no_output_timeout", () => {
    expect(["20m", "1h30m", "1.5h", "90s", "600"].map(duration)).toEqual([1200, 5400, 5400, 90, null]);
  });
});
