import { defineConfig } from "vitest/config";
import { ENGINES } from "./test/docker/engine.js";

// The unit tests in parallel; the Docker tests once per engine of the matrix (test/docker/engine.ts),
// one file at a time. `npm test` (scripts/test.mjs) runs each engine's projects in a vitest process
// of its own, side by side, as the engines are separate daemons, each lane's `gen-circle run`
// tests (docker-run@ENGINE) after its other tests.
// A plain `vitest run` runs the same projects one after the other (groupOrder).
// One engine only: --project 'docker*@docker-28-containerd'.
const docker = (name: string, engine: string, include: string[], groupOrder: number) => ({
  test: {
    name: `${name}@${engine}`,
    include,
    globalSetup: ["test/docker/global-setup.ts"],
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
          // shellcheck, zstd and git only: unit tests start no engine.
          globalSetup: ["test/unit/global-setup.ts"],
          testTimeout: 60_000,
        },
      },
      ...ENGINES.map((e) => docker("docker", e, ["test/docker/cache.test.ts", "test/docker/pipeline.test.ts"], 0)),
      ...ENGINES.map((e, i) => docker("docker-run", e, ["test/docker/run.test.ts", "test/docker/run-split.test.ts"], i + 1)),
    ],
  },
});
