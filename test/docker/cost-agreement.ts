import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { cli } from "../helpers.js";

interface Counted {
  name: string;
  nodes: number;
  restored: number;
  saved: number;
  persisted: number;
}

/**
 * `gen-circle cost` for the ref and scenario a green `gen-circle run` just played, with the cache
 * sizes that run measured: the same jobs and nodes, machine starts and bytes restored, saved and
 * persisted as the run's summary.json.
 */
export function expectCostAgrees(dir: string, runOutput: string, cacheDir: string, ref: string[], scenario: string): void {
  const measured = JSON.parse(readFileSync(join(runOutput, "summary.json"), "utf8")) as {
    jobs: (Counted & { status: string })[];
    machineStarts: number;
  };
  const c = cli(["cost", ...ref, "--scenario", scenario, "--cache-dir", cacheDir, "--json"], dir);
  expect(c.status, c.stderr).toBe(0);
  const estimate = (JSON.parse(c.stdout) as { refs: { scenarios: { jobs: Counted[]; machineStarts: number }[] }[] }).refs[0]!.scenarios[0]!;
  const view = (jobs: Counted[]) =>
    jobs
      .map((j) => ({ name: j.name, nodes: j.nodes, restored: j.restored, saved: j.saved, persisted: j.persisted }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const ran = measured.jobs.filter((j) => j.status === "passed" || j.status === "failed");
  expect(ran.every((j) => j.status === "passed")).toBe(true);
  expect(view(estimate.jobs)).toEqual(view(ran));
  expect(estimate.machineStarts).toBe(measured.machineStarts);
}
