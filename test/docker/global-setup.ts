import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureFreshBuild } from "../build-fresh.js";
import { ROOT } from "../helpers.js";

/** The registries' storage (test/infra/setup-test-env.sh): repositories are folders in it. */
export const registryRepositories = (state: string) => ["registry", "registry-auth"].map((r) => join(state, r, "data/docker/registry/v2/repositories"));

/**
 * Installs and starts what the Docker tests need on this project's engine
 * (test/infra/setup-test-env.sh ENGINE). When that fails the run fails, loudly: these tests never
 * skip for want of an engine. The teardown removes the tags this engine's tests pushed (all under
 * gc-it/ENGINE: the registries are the tests' own, and another engine's lane may be pushing to its
 * own path meanwhile); scripts/test.mjs then collects the blobs nothing refers to.
 */
export default function setup(project: TestProject): () => void {
  ensureFreshBuild();
  const engine = project.config.env.GEN_CIRCLE_TEST_ENGINE;
  if (!engine) throw new Error(`project ${project.name}: GEN_CIRCLE_TEST_ENGINE is not set (vitest.config.ts sets it per engine)`);
  const r = spawnSync("bash", [join(ROOT, "test/infra/setup-test-env.sh"), engine], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
    timeout: 900_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `The Docker tests on ${engine} need that engine and local registries, and setting them up failed:\n${r.stderr}\n` +
        `Run 'sudo bash test/infra/setup-test-env.sh ${engine}' (Debian, as root: installs docker.io, docker-registry, busybox-static, apache2-utils, debootstrap...) and try again.`,
    );
  }
  const state = process.env.GEN_CIRCLE_TEST_STATE ?? "/var/tmp/gen-circle-test";
  return () => {
    for (const repos of registryRepositories(state)) rmSync(join(repos, "gc-it", engine), { recursive: true, force: true });
  };
}
