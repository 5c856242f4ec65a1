import { execFileSync, spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// The unit project's setup (test/unit/no-process.ts) makes every way to start a process throw:
// a test that needs one belongs to test/cli or test/tools.
describe("a unit test starts no process", () => {
  it("spawn, spawnSync and execFileSync throw, naming where such a test goes", () => {
    for (const start of [() => spawnSync("true"), () => spawn("true"), () => execFileSync("true")]) {
      expect(start).toThrow(/a unit test starts no process .*test\/cli or test\/tools/);
    }
  });
});
