import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, run, tmpTree } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the circleci shim (gen-circle __circleci)", () => {
  const shim = (args: string[], cwd: string, env: Record<string, string>, input = "") =>
    run(process.execPath, [CLI, "__circleci", ...args], { cwd, env: { ...process.env, ...env }, input });

  it("glob then split with the node's index and the stored timings; anything else fails", () => {
    const d = tmpTree({ "t/a.sh": "", "t/b.sh": "", "t/c.sh": "", "t/sub/d.sh": "" });
    dirs.push(d);
    const g = shim(["tests", "glob", "t/**/*.sh"], d, {});
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toBe("t/a.sh\nt/b.sh\nt/c.sh\nt/sub/d.sh\n");
    writeFileSync(join(d, "timings.json"), JSON.stringify({ "t/a.sh": 1, "t/b.sh": 1, "t/c.sh": 1, "t/sub/d.sh": 10 }));
    const env = { GEN_CIRCLE_TIMINGS: join(d, "timings.json"), CIRCLE_NODE_TOTAL: "2" };
    const s0 = shim(["tests", "split", "--split-by=timings"], d, { ...env, CIRCLE_NODE_INDEX: "0" }, g.stdout);
    const s1 = shim(["tests", "split", "--split-by", "timings"], d, { ...env, CIRCLE_NODE_INDEX: "1" }, g.stdout);
    expect([s0.status, s1.status]).toEqual([0, 0]);
    expect(s0.stdout).toBe("t/sub/d.sh\n");
    expect(s1.stdout).toBe("t/a.sh\nt/b.sh\nt/c.sh\n");
    expect(s0.stderr).toContain("Autodetected filename timings.");
    // A file with no timing (e.g. one added since the last green run) weighs --time-default.
    writeFileSync(join(d, "timings.json"), JSON.stringify({ "t/a.sh": 1, "t/b.sh": 1 }));
    const input = "t/a.sh\nt/b.sh\nt/new.sh\n";
    const t0 = shim(["tests", "split", "--split-by=timings", "--time-default", "5s"], d, { ...env, CIRCLE_NODE_INDEX: "0" }, input);
    expect(t0.status, t0.stderr).toBe(0);
    expect(t0.stdout).toBe("t/new.sh\n");
    const badTime = shim(["tests", "split", "--split-by=timings", "--time-default=10"], d, env, input);
    expect(badTime.status).toBe(1);
    expect(badTime.stderr).toContain("--time-default must be a duration such as 10s or 1m30s, not '10'");
    const bad = shim(["tests", "split", "--split-by=size"], d, env, "x\n");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("--split-by must be name, filesize or timings");
    const other = shim(["config", "validate"], d, {});
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("provides only 'circleci tests glob', 'circleci tests split' and 'circleci tests run'");
  });

  it("tests run: the command gets this node's share on its stdin, as CircleCI's does; its exit status is the step's", () => {
    const d = tmpTree({ "t/a.sh": "", "t/b.sh": "", "t/c.sh": "" });
    dirs.push(d);
    const env = { CIRCLE_NODE_TOTAL: "2" };
    const input = "t/a.sh\nt/b.sh\nt/c.sh\n";
    // The documented form for a runner started elsewhere: the share written to a file.
    const r0 = shim(["tests", "run", "--command=>share0.txt xargs echo", "--split-by=name"], d, { ...env, CIRCLE_NODE_INDEX: "0" }, input);
    const r1 = shim(["tests", "run", "--command", ">share1.txt xargs echo", "--verbose"], d, { ...env, CIRCLE_NODE_INDEX: "1" }, input);
    expect([r0.status, r1.status], r0.stderr + r1.stderr).toEqual([0, 0]);
    const share = (n: number) =>
      readFileSync(join(d, `share${n}.txt`), "utf8")
        .trim()
        .split(" ");
    expect([...share(0), ...share(1)].sort()).toEqual(["t/a.sh", "t/b.sh", "t/c.sh"]);
    expect(share(0)).not.toEqual(share(1));
    const failing = shim(["tests", "run", "--command", "xargs false"], d, { ...env, CIRCLE_NODE_INDEX: "0" }, input);
    expect(failing.status).toBe(1);
    const noCommand = shim(["tests", "run", "--split-by=name"], d, env, input);
    expect(noCommand.status).toBe(1);
    expect(noCommand.stderr).toContain("--command is required");
    const file = shim(["tests", "run", "--command", "cat", "list.txt"], d, env, input);
    expect(file.status).toBe(1);
    expect(file.stderr).toContain("takes the test names on stdin");
  });
});
