import { human } from "./cache-store.js";
import type { JobResult } from "./runner.js";

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** What CircleCI charges for, as this run measured it: the same fields `gen-circle cost` estimates. */
export interface RunCounts {
  jobs: { name: string; status: JobResult["status"]; nodes: number; restored: number; saved: number; persisted: number; attached: number }[];
  machineStarts: number;
  restoredBytes: number;
  savedBytes: number;
  persistedBytes: number;
  attachedBytes: number;
  cachesRestored: number;
  cachesMissed: number;
  cachesSaved: number;
}

const started = (r: JobResult) => r.status === "passed" || r.status === "failed";

export function runCounts(results: JobResult[]): RunCounts {
  const bytes = (r: JobResult, op: "restore" | "save") =>
    r.cache.filter((c) => c.op === op && (op === "restore" ? c.hit : !c.hit)).reduce((n, c) => n + c.bytes, 0);
  const jobs = results.map((r) => ({
    name: r.name,
    status: r.status,
    nodes: r.nodes,
    restored: bytes(r, "restore"),
    saved: bytes(r, "save"),
    persisted: r.workspace.persisted,
    attached: r.workspace.attached,
  }));
  const ran = jobs.filter((j) => j.status === "passed" || j.status === "failed");
  const sum = (f: (j: (typeof jobs)[number]) => number) => ran.reduce((n, j) => n + f(j), 0);
  const caches = results.flatMap((r) => r.cache);
  return {
    jobs,
    machineStarts: sum((j) => j.nodes),
    restoredBytes: sum((j) => j.restored),
    savedBytes: sum((j) => j.saved),
    persistedBytes: sum((j) => j.persisted),
    attachedBytes: sum((j) => j.attached),
    cachesRestored: caches.filter((c) => c.op === "restore" && c.hit).length,
    cachesMissed: caches.filter((c) => c.op === "restore" && !c.hit).length,
    cachesSaved: caches.filter((c) => c.op === "save" && !c.hit).length,
  };
}

/** The run's summary: per job its status, time and what CircleCI charges for; then the totals. */
export function summary(results: JobResult[]): string {
  const counts = runCounts(results);
  const lines = ["", "summary:"];
  results.forEach((r, i) => {
    const j = counts.jobs[i]!;
    // What CircleCI charges for, per job (all its nodes): bytes restored and saved.
    const wsText = `${j.persisted ? `, persisted ${human(j.persisted)}` : ""}${j.attached ? `, attached ${human(j.attached)}` : ""}`;
    const cost = started(r) ? `  restored ${human(j.restored)}, saved ${human(j.saved)}${wsText}${r.nodes > 1 ? ` (${r.nodes} nodes)` : ""}` : "";
    lines.push(
      `  ${r.status === "passed" ? "✓" : r.status === "failed" ? "✗" : "-"} ${r.name.padEnd(28)} ${r.status.padEnd(8)} ${r.ms ? secs(r.ms).padEnd(7) : ""}${cost}`.trimEnd(),
    );
  });
  const m = counts.machineStarts;
  lines.push(`  on CircleCI: ${m} machine start${m === 1 ? "" : "s"}, ${human(counts.restoredBytes)} restored in all`);
  const caches = results.flatMap((r) => r.cache);
  const hits = caches.filter((c) => c.op === "restore" && c.hit);
  const saved = caches.filter((c) => c.op === "save" && !c.hit);
  lines.push(
    `  caches: ${hits.length} restored (${human(hits.reduce((n, c) => n + c.bytes, 0))}), ${counts.cachesMissed} missed, ${saved.length} saved (${human(saved.reduce((n, c) => n + c.bytes, 0))})`,
  );
  const passed = results.reduce((n, r) => n + r.tests.passed, 0);
  const failed = results.reduce((n, r) => n + r.tests.failed, 0);
  lines.push(`  tests: ${passed} passed, ${failed} failed${failed ? ` (${results.flatMap((r) => r.tests.failedNames).join(", ")})` : ""}`);
  return lines.join("\n") + "\n";
}
