import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { countJUnit } from "../../../run/junit.js";
import { junitTimings } from "../../../run/split.js";
import { human, sizeOf } from "../cache-store.js";
import { passed, type StepHandler } from "./step.js";

/** `store_test_results`: counts the JUnit results and keeps their timings (for `circleci tests split`). Runs even after a failure. */
export const storeTestResults: StepHandler<"store_test_results"> = {
  name: (step) => `Storing test results (${step.path})`,
  when: () => "always",
  run(step, { result, mapPath, workdir }) {
    const counts = junitUnder(mapPath(step.path, workdir), result.timings);
    result.tests.passed += counts.tests - counts.failures - counts.skipped;
    result.tests.failed += counts.failures;
    result.tests.failedNames.push(...counts.failed);
    return passed(`${counts.tests} tests, ${counts.failures} failed`);
  },
};

/** `store_artifacts`: a copy under the run's artifacts folder. Runs even after a failure. */
export const storeArtifacts: StepHandler<"store_artifacts"> = {
  name: (step) => `Storing artifacts (${step.path})`,
  when: () => "always",
  run(step, { ctx, jobDir, mapPath, workdir }) {
    const from = mapPath(step.path, workdir);
    if (!existsSync(from)) return passed("nothing there");
    const to = join(ctx.output, "artifacts", basename(jobDir), step.destination ?? basename(from));
    cpSync(from, to, { recursive: true, force: true });
    return passed(`${human(sizeOf(from))} → ${relative(process.cwd(), to)}`);
  },
};

function junitUnder(path: string, timings: Map<string, number>): { tests: number; failures: number; skipped: number; failed: string[] } {
  const total = { tests: 0, failures: 0, skipped: 0, failed: [] as string[] };
  if (!existsSync(path)) return total;
  const files = statSync(path).isDirectory() ? walk(path).filter((f) => f.endsWith(".xml")) : [path];
  for (const f of files) {
    const xml = readFileSync(f, "utf8");
    junitTimings(xml, timings);
    const c = countJUnit(xml);
    total.tests += c.tests;
    total.failures += c.failures;
    total.skipped += c.skipped;
    total.failed.push(...c.failed);
  }
  return total;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
