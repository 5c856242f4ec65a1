import type { RefCost } from "./estimate.js";
import { RATES_READ, STORAGE } from "./rates.js";

const mb = (bytes: number) => (bytes >= 1e6 || bytes === 0 ? `${Math.round(bytes / 1e6)} MB` : `${bytes} B`);

/** The estimate as a table per ref: one line per scenario, then its jobs. */
export function renderCost(refs: RefCost[], assumptions: string[]): string {
  const lines: string[] = [];
  for (const ref of refs) {
    lines.push(`${ref.label}`);
    for (const s of ref.scenarios) {
      lines.push(
        `  ${s.changed ? `[${s.changed}] ` : ""}${s.title}`,
        `    ${s.machineStarts} machine start${s.machineStarts === 1 ? "" : "s"}, restored ${mb(s.restoredBytes)}, saved ${mb(s.savedBytes)}, persisted ${mb(s.persistedBytes)}; critical path ${s.criticalPathMinutes.toFixed(1)} min; ${s.credits} credits (${s.computeCredits} compute + ${s.storageCredits} storage)`,
      );
      for (const j of s.jobs)
        lines.push(
          `      ${j.name}: ${j.nodes > 1 ? `${j.nodes} nodes × ` : ""}${Math.max(...j.minutes).toFixed(1)} min on ${j.executor}, ${j.credits} credits${j.restored ? `, restores ${mb(j.restored)}` : ""}${j.saved ? `, saves ${mb(j.saved)}` : ""}`,
        );
    }
    lines.push("");
  }
  lines.push(
    "assumptions (estimates; change them with the options):",
    ...assumptions.map((a) => `  ${a}`),
    `rates: CircleCI's published credits per minute (read ${RATES_READ}); storage ${STORAGE.creditsPerGbMonth} credits per GB-month, kept ${STORAGE.retentionDays} days, beyond the plan's included storage; restores cost no network credits on CircleCI's machines. Sources: docs/cost.md.`,
  );
  return lines.join("\n") + "\n";
}
