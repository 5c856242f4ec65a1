import { defineConfig } from "vitest/config";
import { ENGINES } from "./test/docker/engine.js";

// Projects: unit (pure: no process, no build, no install; test/unit/no-process.ts enforces the
// first), cli (bin/gen-circle.js, built when stale), tools (bash, shellcheck, Java, pre-commit, npm
// pack: installed when missing), and the Docker tests once per engine of the matrix
// (test/docker/engine.ts), one file at a time. `npm test` (scripts/test.mjs) runs each engine's projects in a vitest process
// of its own, side by side, as the engines are separate daemons, each lane's `gen-circle run`
// tests (docker-run@ENGINE) after its other tests.
// A plain `vitest run` runs the same projects one after the other (groupOrder).
// One engine only: --project 'docker*@docker-28-containerd'.
const docker = (name: string, engine: string, include: string[], groupOrder: number) => ({
  test: {
    name: `${name}@${engine}`,
    include,
    globalSetup: ["test/docker/global-setup.ts"],
    setupFiles: ["test/cleanup.ts"],
    env: { GEN_CIRCLE_TEST_ENGINE: engine },
    sequence: { groupOrder },
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          globalSetup: ["test/unit/global-setup.ts"],
          setupFiles: ["test/unit/no-process.ts", "test/cleanup.ts"],
          // Pure tests: one module graph for all files (no re-import per file), in threads.
          pool: "threads",
          isolate: false,
        },
      },
      {
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          globalSetup: ["test/cli/global-setup.ts"],
          setupFiles: ["test/cleanup.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "tools",
          include: ["test/tools/**/*.test.ts"],
          globalSetup: ["test/tools/global-setup.ts"],
          setupFiles: ["test/cleanup.ts"],
          testTimeout: 120_000,
        },
      },
      ...ENGINES.map((e) => docker("docker", e, ["test/docker/cache.test.ts", "test/docker/pipeline.test.ts", "test/docker/faults.test.ts"], 0)),
      ...ENGINES.map((e, i) =>
        docker(
          "docker-run",
          e,
          [
            "test/docker/run.test.ts",
            "test/docker/run-split.test.ts",
            "test/docker/run-concurrent.test.ts",
            "test/docker/run-heal.test.ts",
            "test/docker/run-changes.test.ts",
          ],
          i + 1,
        ),
      ),
    ],
  },
});
