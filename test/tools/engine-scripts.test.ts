import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";

// The test engines' scripts keep pid files on disk (in the forky root), and those outlive the
// daemons: after a reboot, or on a machine whose disk an earlier session left, the number in one
// may be any process's. A CI run once died so (exit 137): the setup killed a process of its own run.
describe("test/infra/modern-engine.sh: a stale pid file kills nothing", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  // An engines folder whose STORE daemon's pid file holds PID; then `modern-engine.sh stop STORE`.
  const stopWithPidFile = (store: "classic" | "containerd", pid: number) => {
    const base = mkdtempSync("/var/tmp/gc-engine-script-");
    dirs.push(base);
    const pidFile = join(base, `forky/run/${store === "classic" ? "gc28" : "gc28c"}/docker.pid`);
    mkdirSync(dirname(pidFile), { recursive: true });
    writeFileSync(pidFile, `${pid}\n`);
    const r = spawnSync("bash", ["test/infra/modern-engine.sh", "stop", store], { env: { ...process.env, GEN_CIRCLE_ENGINES: base }, encoding: "utf8" });
    return { ...r, pidFile };
  };

  it("stop with a pid file naming a process that is not the daemon: that process lives, the file goes", async () => {
    const bystander = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      const r = stopWithPidFile("containerd", bystander.pid!);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(r.pidFile)).toBe(false);
      // Still running: had it been signalled, its exit would be seen within this wait.
      await new Promise((done) => setTimeout(done, 300));
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill();
    }
  });

  it("stop with a pid file of a process that is gone: quiet, and the file goes", () => {
    const r = stopWithPidFile("classic", spawnSync("true").pid);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(existsSync(r.pidFile)).toBe(false);
  });
});
