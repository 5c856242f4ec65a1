import { describe, expect, it } from "vitest";
import { type Finished, nextMove, selectJobs } from "../../src/run/schedule.js";

const job = (name: string, ...requires: string[]) => ({ name, requires });
const names = (m: { start: { name: string }[]; skip: { name: string }[] }) => ({ start: m.start.map((j) => j.name), skip: m.skip.map((j) => j.name) });

describe("the run's schedule (pure)", () => {
  const build = job("build");
  const testA = job("test-a", "build");
  const testB = job("test-b", "build");
  const deploy = job("deploy", "test-a", "test-b");
  const all = [build, testA, testB, deploy];

  it("selects a job only when its filters and those of every job it requires pass", () => {
    expect([...selectJobs(all, (j) => j.name !== "test-b")]).toEqual(["build", "test-a"]);
    expect([...selectJobs([job("a", "b"), job("b", "a")], () => true)]).toEqual([]); // a cycle runs nothing
  });

  it("starts what is ready, in workflow order, up to the free slots", () => {
    expect(names(nextMove(all, new Map(), 0, 2, false))).toEqual({ start: ["build"], skip: [] });
    const built = new Map<string, Finished>([["build", "passed"]]);
    expect(names(nextMove([testA, testB, deploy], built, 0, 2, false))).toEqual({ start: ["test-a", "test-b"], skip: [] });
    expect(names(nextMove([testA, testB, deploy], built, 1, 2, false))).toEqual({ start: ["test-a"], skip: [] });
  });

  it("skips a job whose requirement failed or did not run, and what waits on it; a stop skips all that is ready", () => {
    const failed = new Map<string, Finished>([
      ["build", "passed"],
      ["test-a", "failed"],
      ["test-b", "passed"],
    ]);
    expect(names(nextMove([deploy], failed, 0, 2, false))).toEqual({ start: [], skip: ["deploy"] });
    // Nothing running, nothing ready: the rest waits on a job that will never run.
    expect(names(nextMove([testA, deploy], new Map([["build", "not run" as Finished]]), 0, 2, false))).toEqual({ start: [], skip: ["test-a", "deploy"] });
    expect(names(nextMove([testA, testB], new Map([["build", "passed" as Finished]]), 0, 2, true))).toEqual({ start: [], skip: ["test-a", "test-b"] });
  });
});
