/**
 * CircleCI's published rates, in credits, as `gen-circle cost` uses them. One table, with where
 * each figure comes from and when it was read: update it (and `READ`) when the pricing changes.
 * Figures not in the table are not guessed: `cost` asks for them (`--rate CLASS=CREDITS`).
 */
export const RATES_READ = "2026-12-07";

export interface ComputeRate {
  executor: "machine" | "docker";
  resourceClass: string;
  creditsPerMinute: number;
  source: string;
}

export const COMPUTE_RATES: readonly ComputeRate[] = [
  // "the Medium compute option (2 vCPUs with 4 GB of memory) on Linux machines, which uses 10 credits per minute"
  { executor: "machine", resourceClass: "medium", creditsPerMinute: 10, source: "https://circleci.com/pricing/ (FAQ: free credits)" },
  // "a Docker executor with a medium resource class costs 10 credits/minute"
  { executor: "docker", resourceClass: "medium", creditsPerMinute: 10, source: "https://support.circleci.com/hc/en-us/articles/360060624931" },
  // "the small resource_class (1 vCPU, 2gb Memory, 5 credits/minute)", "a large resource_class ... 20 credits/minute"
  { executor: "docker", resourceClass: "small", creditsPerMinute: 5, source: "https://circleci.com/docs/2.0/credits/" },
  { executor: "docker", resourceClass: "large", creditsPerMinute: 20, source: "https://circleci.com/docs/2.0/credits/" },
];

/**
 * Storage: caches and workspaces are billed when written, by size for as long as they are kept
 * (15 days by default), at 420 credits per GB-month beyond the plan's included storage. Restoring
 * and attaching cost no network credits on CircleCI's own machines (only on self-hosted runners).
 * @see https://circleci.com/docs/persist-data/ (managing network and storage usage)
 * @see https://support.circleci.com/hc/en-us/articles/36075934079515 (network egress)
 */
export const STORAGE = {
  creditsPerGbMonth: 420,
  retentionDays: 15,
  source: "https://circleci.com/docs/persist-data/",
} as const;

/** Compute is billed by the second, each task rounded up to a whole credit. */
export const BILLING_ROUNDING_SOURCE = "https://support.circleci.com/hc/en-us/articles/360060624931";

/** `<executor>.<class>` → credits per minute: the table, then the user's own figures over it. */
export function rateTable(extra: Record<string, number> = {}): Map<string, number> {
  const t = new Map(COMPUTE_RATES.map((r) => [`${r.executor}.${r.resourceClass}`, r.creditsPerMinute]));
  for (const [k, v] of Object.entries(extra)) t.set(k, v);
  return t;
}
