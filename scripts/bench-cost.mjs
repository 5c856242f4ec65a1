#!/usr/bin/env node
// What a pipeline costs on CircleCI, before and after a change of the generated shape: for each
// fixture, ref and scenario, `gen-circle cost`'s estimate (machine starts, MB restored, saved and
// persisted, critical path, credits) of the config a past commit generated and of today's.
// Usage: node scripts/bench-cost.mjs [--before COMMIT] [--archive-mb 500]
// Reads the committed snapshots (git show COMMIT:snapshots/...); needs a clone with history.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assumptionsFor, costOfConfig } from "../dist/src/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
// The last commit whose pipelines handed the image to the deploy job through the workspace and
// kept one cache key per hash (no healing).
const before = arg("--before", "c9f7d6a");
const archiveMb = Number(arg("--archive-mb", "500"));

const cases = [
  { fixture: "tag-deploy", title: "one test node, deploying branch", ref: { branch: "main" } },
  { fixture: "tag-deploy", title: "one test node, other branch", ref: { branch: "feature/x" } },
  { fixture: "parallel-split", title: "p=4, deploying branch", ref: { branch: "main" } },
  { fixture: "parallel-split", title: "p=4, other branch", ref: { branch: "feature/x" } },
];
const { assumptions, notes } = assumptionsFor({ archiveMb: new Map([["*", archiveMb]]) });
const configAt = (commit, fixture) => {
  const path = `snapshots/${fixture}/.circleci/config.yml`;
  return commit ? execFileSync("git", ["show", `${commit}:${path}`], { cwd: root, encoding: "utf8" }) : readFileSync(join(root, path), "utf8");
};
const mb = (b) => Math.round(b / 1e6);
const row = (s) =>
  `${s.machineStarts} | ${mb(s.restoredBytes)} | ${mb(s.savedBytes)} | ${mb(s.persistedBytes + s.attachedBytes)} | ${s.criticalPathMinutes.toFixed(1)} | ${s.credits} (${s.computeCredits} + ${s.storageCredits})`;

console.log(`# cost before (${before}) and after (this checkout), ${archiveMb} MB archive\n`);
console.log(
  "| shape | scenario | when | machine starts | MB restored | MB saved | MB workspace (persisted + attached) | critical path (min) | credits (compute + storage) |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const c of cases) {
  for (const scenario of ["code", "deps", "first"]) {
    const [was, now] = [before, undefined].map(
      (commit) => costOfConfig(configAt(commit, c.fixture), { ref: c.ref, scenarios: [scenario], assumptions })[0].scenarios[0],
    );
    console.log(`| ${c.title} | ${scenario} | before | ${row(was)} |`);
    console.log(`| ${c.title} | ${scenario} | after | ${row(now)} |`);
  }
}
console.log(`\nassumptions: ${notes.join("; ")}`);
