import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run, SHARED } from "../helpers.js";

// The conformance script over real 1.0 files from public repositories (../shared/corpus/v1, kept
// outside the project). CI runs with ../shared beside the checkout, so there this always runs.
const corpus = join(SHARED, "corpus/v1");

describe("migrate conformance over the 1.0 corpus", () => {
  it.runIf(existsSync(corpus) || process.env.CI)("every file parses, migrates to a valid config and keeps every command", () => {
    const r = run(process.execPath, [join(ROOT, "scripts/conformance-migrate.mjs"), corpus]);
    expect(r.stdout).toMatch(/\| (\d+) \| \1 \(100 %\) \| \1 \(100 %\) \| \1 \(100 %\) \| (\d+)\/\2 \(100 %\) \| 0 \|/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
