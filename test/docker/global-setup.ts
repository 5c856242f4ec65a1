import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureFreshBuild } from "../build-fresh.js";
import { ROOT } from "../helpers.js";

/**
 * Installs and starts what the Docker tests need on this project's engine
 * (scripts/setup-test-env.sh ENGINE). When that fails the run fails, loudly: these tests never
 * skip for want of an engine.
 */
export default function setup(project: TestProject): void {
  ensureFreshBuild();
  const engine = project.config.env.GEN_CIRCLE_TEST_ENGINE;
  if (!engine) throw new Error(`project ${project.name}: GEN_CIRCLE_TEST_ENGINE is not set (vitest.config.ts sets it per engine)`);
  const r = spawnSync("bash", [join(ROOT, "scripts/setup-test-env.sh"), engine], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"], timeout: 900_000 });
  if (r.status !== 0) {
    throw new Error(
      `The Docker tests on ${engine} need that engine and local registries, and setting them up failed:\n${r.stderr}\n` +
        `Run 'sudo bash scripts/setup-test-env.sh ${engine}' (Debian, as root: installs docker.io, docker-registry, busybox-static, apache2-utils, debootstrap...) and try again.`,
    );
  }
}
