import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ROOT, run } from "../helpers.js";
import { expectCostAgrees } from "./cost-agreement.js";
import { ENGINE_PATH } from "./engine.js";
import { Project } from "./project.js";

// `circleci tests split` inside the jobs of `gen-circle run`: the generated test.sh calls
// CircleCI's CLI where it exists, and the runner gives each job one. The first run has no timings
// and splits by name; its green run stores the JUnit timings; the second run splits by them.
const p = new Project({
  name: "runsplit",
  spec: (base) => ({
    ...base,
    services: {},
    test: {
      // Each file says how long it "took"; the JUnit report carries that time and the file name.
      command:
        'set -e; mkdir -p /results; { echo "<testsuites><testsuite name=split>"; for f in $TEST_FILES; do echo "<testcase name=\\"$f\\" file=\\"$f\\" time=\\"$(cat "/app/$f")\\"/>"; done; echo "</testsuite></testsuites>"; } > /results/junit-$CIRCLE_NODE_INDEX.xml; echo "ran: $TEST_FILES"',
      parallelism: 2,
      split: { glob: ["tests/t*.sh"], by: "timings" },
      results: "/results",
    },
  }),
});
const out = join(p.state, "run-output");
const gcRun = () => cli(["run", "--branch", "main", "--cache-dir", join(out, "cache"), "--output", join(out, "run")], p.dir, { PATH: ENGINE_PATH });
const git = (...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd: p.dir });
const ran = (stdout: string, node: number) => new RegExp(`^\\[test-app/${node}\\] .*ran: (.*)$`, "m").exec(stdout)?.[1]?.trim().split(" ");

beforeAll(() => {
  const times: Record<string, string> = { "tests/ta.sh": "9", "tests/tb.sh": "1", "tests/tc.sh": "1", "tests/td.sh": "1", "tests/te.sh": "6" };
  for (const [f, t] of Object.entries(times)) p.write(f, `${t}\n`);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "split by timings");
});
afterAll(() => p.cleanup());

describe("gen-circle run: circleci tests split in the jobs", () => {
  it("first run: no timings yet, so by name; the second run splits by the timings the first stored", () => {
    const first = gcRun();
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain("No timing data found");
    expect(ran(first.stdout, 0)).toEqual(["tests/ta.sh", "tests/tc.sh", "tests/te.sh"]);
    expect(ran(first.stdout, 1)).toEqual(["tests/tb.sh", "tests/td.sh"]);
    expectCostAgrees(p.dir, join(out, "run"), join(out, "cache"), ["--branch", "main"], "first");

    const second = gcRun();
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain("Autodetected filename timings.");
    // ta (9) alone on node 0; te (6) and the three 1 s files on node 1
    expect(ran(second.stdout, 0)).toEqual(["tests/ta.sh"]);
    expect(ran(second.stdout, 1)).toEqual(["tests/tb.sh", "tests/tc.sh", "tests/td.sh", "tests/te.sh"]);
    expect(second.stdout).toContain("tests: 5 passed, 0 failed");
    expectCostAgrees(p.dir, join(out, "run"), join(out, "cache"), ["--branch", "main"], "rerun");
  });
});

describe("gen-circle run from a copy of gen-circle under /tmp (a clone tried there)", () => {
  // A job's /tmp is its own (a mount namespace as root): the circleci shim, which runs this CLI by
  // its path, would not find it there. The run keeps the jobs' /tmp by path only, and says why.
  let pkg: string;
  beforeAll(() => {
    pkg = mkdtempSync("/tmp/gc-clone-");
    for (const f of ["bin", "dist", "package.json", "schemas", "templates"]) cpSync(join(ROOT, f), join(pkg, f), { recursive: true });
  });
  afterAll(() => rmSync(pkg, { recursive: true, force: true }));

  it("the split runs in every node, and the run names the folder it could not hide", () => {
    const r = run(
      process.execPath,
      [join(pkg, "bin/gen-circle.js"), "run", "--branch", "main", "--cache-dir", join(out, "cache"), "--output", join(out, "run-tmp")],
      {
        cwd: p.dir,
        env: { ...process.env, PATH: ENGINE_PATH },
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    if (process.getuid?.() === 0) expect(r.stdout).toContain(`gen-circle's own folder, ${pkg}, is under /tmp`);
    expect([...(ran(r.stdout, 0) ?? []), ...(ran(r.stdout, 1) ?? [])].sort()).toEqual([
      "tests/ta.sh",
      "tests/tb.sh",
      "tests/tc.sh",
      "tests/td.sh",
      "tests/te.sh",
    ]);
    expect(r.stdout).toContain("tests: 5 passed, 0 failed");
  });
});
