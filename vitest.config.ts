import { defineConfig } from "vitest/config";
import { ENGINES } from "./test/docker/engine.js";

// The unit tests in parallel; the Docker tests once per engine of the matrix (see
// test/docker/engine.ts), one file at a time (they share an engine and a 2-core machine), one
// engine after the other (groupOrder). Run one engine only with --project docker@NAME.
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
      ...ENGINES.map((engine, i) => ({
        test: {
          name: `docker@${engine}`,
          include: ["test/docker/**/*.test.ts"],
          globalSetup: ["test/docker/global-setup.ts"],
          env: { GEN_CIRCLE_TEST_ENGINE: engine },
          sequence: { groupOrder: i },
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      })),
    ],
  },
});
