import { defineConfig } from "vitest/config";

// Two projects: fast unit tests in parallel, and the Docker tests one file at a time (they share
// one engine and a 2-core machine), after the global setup has started the engine and registries.
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // shellcheck and friends: the same idempotent setup as the Docker tests.
          globalSetup: ["test/docker/global-setup.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "docker",
          include: ["test/docker/**/*.test.ts"],
          globalSetup: ["test/docker/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
