import { human } from "./cache-store.js";
import type { JobResult } from "./runner.js";

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** The run's summary: per job its status, time and what CircleCI charges for; then the totals. */
export function summary(results: JobResult[]): string {
  const lines = ["", "summary:"];
  const bytes = (r: JobResult, op: "restore" | "save") =>
    r.cache.filter((c) => c.op === op && (op === "restore" ? c.hit : !c.hit)).reduce((n, c) => n + c.bytes, 0);
  for (const r of results) {
    const ran = r.status === "passed" || r.status === "failed";
    // What CircleCI charges for, per job (all its nodes): bytes restored and saved.
    const ws = r.workspace;
    const wsText = `${ws.persisted ? `, persisted ${human(ws.persisted)}` : ""}${ws.attached ? `, attached ${human(ws.attached)}` : ""}`;
    const cost = ran ? `  restored ${human(bytes(r, "restore"))}, saved ${human(bytes(r, "save"))}${wsText}${r.nodes > 1 ? ` (${r.nodes} nodes)` : ""}` : "";
    lines.push(
      `  ${r.status === "passed" ? "✓" : r.status === "failed" ? "✗" : "-"} ${r.name.padEnd(28)} ${r.status.padEnd(8)} ${r.ms ? secs(r.ms).padEnd(7) : ""}${cost}`.trimEnd(),
    );
  }
  const started = results.filter((r) => r.status === "passed" || r.status === "failed");
  const machines = started.reduce((n, r) => n + r.nodes, 0);
  const restoredAll = started.reduce((n, r) => n + bytes(r, "restore"), 0);
  lines.push(`  on CircleCI: ${machines} machine start${machines === 1 ? "" : "s"}, ${human(restoredAll)} restored in all`);
  const caches = results.flatMap((r) => r.cache);
  const hits = caches.filter((c) => c.op === "restore" && c.hit);
  const misses = caches.filter((c) => c.op === "restore" && !c.hit);
  const saved = caches.filter((c) => c.op === "save" && !c.hit);
  lines.push(
    `  caches: ${hits.length} restored (${human(hits.reduce((n, c) => n + c.bytes, 0))}), ${misses.length} missed, ${saved.length} saved (${human(saved.reduce((n, c) => n + c.bytes, 0))})`,
  );
  const passed = results.reduce((n, r) => n + r.tests.passed, 0);
  const failed = results.reduce((n, r) => n + r.tests.failed, 0);
  lines.push(`  tests: ${passed} passed, ${failed} failed${failed ? ` (${results.flatMap((r) => r.tests.failedNames).join(", ")})` : ""}`);
  return lines.join("\n") + "\n";
}
