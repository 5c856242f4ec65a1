import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { chooseIsolation, describeIsolation, onMachine } from "../../src/cli/run/machine.js";

// How gen-circle run gives each job a /tmp of its own. The end-to-end proof, jobs that
// write /tmp by name on the real engine, is test/docker/run.test.ts.
describe("a job's machine: its own /tmp", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("not root: by path only, and the run says so", () => {
    const i = chooseIsolation("/var/tmp/x", 1000);
    expect(i).toEqual({ mode: "paths", why: "not root (a mount namespace needs root)" });
    expect(describeIsolation(i)).toMatch(/by path only: not root .*a command that writes \/tmp by name reaches this machine's \/tmp/);
    expect(onMachine(i, "/var/tmp/x/tmp", "bash", ["s.sh"])).toEqual(["bash", ["s.sh"]]);
  });

  it("a run folder under /tmp cannot be kept inside a job whose /tmp is its own: by path, saying why", () => {
    for (const out of ["/tmp", "/tmp/runs/x"]) {
      const i = chooseIsolation(out, 0);
      expect(i.mode).toBe("paths");
      expect(describeIsolation(i)).toContain(`the run's folder ${out} is under /tmp`);
    }
    expect(describeIsolation(chooseIsolation("/tmpfoo/x", 0))).not.toContain("is under /tmp");
  });

  it("gen-circle itself under /tmp (a clone tried there): its circleci shim would not find the CLI in a job, so by path, saying why", () => {
    const i = chooseIsolation("/var/tmp/run", 0, [{ what: "gen-circle's own folder", path: "/tmp/gen-circle-clone" }]);
    expect(i).toEqual({
      mode: "paths",
      why: "gen-circle's own folder, /tmp/gen-circle-clone, is under /tmp, which a job's own /tmp would hide (install or clone it elsewhere)",
    });
    expect(chooseIsolation("/var/tmp/run", 0, [{ what: "node", path: "/tmp/node/bin/node" }])).toMatchObject({ mode: "paths" });
  });

  // CI runs as root: there it always runs.
  it.runIf(process.getuid?.() === 0 || !!process.env.CI)("as root: a step writing /tmp by name writes the job's folder, not this machine's /tmp", () => {
    const base = mkdtempSync("/var/tmp/gc-machine-");
    dirs.push(base);
    const i = chooseIsolation(base);
    expect(i).toEqual({ mode: "namespace" });
    const name = `gc-machine-${process.pid}`;
    const [cmd, args] = onMachine(i, base, "bash", ["-c", `echo mine > /tmp/${name}; cat /tmp/${name}`]);
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("mine\n");
    expect(readFileSync(join(base, name), "utf8")).toBe("mine\n");
    expect(spawnSync("test", ["-e", `/tmp/${name}`]).status).toBe(1);
  });
});
