import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Test timings of a job's green runs, kept for `circleci tests split --split-by=timings`.

interface Where {
  cacheDir: string;
  branch: string;
}

/** Where a job's timings are kept: beside the caches, per job and branch (CircleCI takes the
 * branch's latest green run, else the project's). */
const timingsDir = (ctx: Where, job: string) => join(ctx.cacheDir, "test-timings", job.replace(/[^A-Za-z0-9_.-]/g, "_"));
const branchFile = (ctx: Where) => `${createHash("sha256").update(ctx.branch).digest("hex").slice(0, 16)}.json`;

export function saveTimings(ctx: Where, job: string, timings: Map<string, number>): void {
  const dir = timingsDir(ctx, job);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(Object.fromEntries([...timings].sort(([a], [b]) => a.localeCompare(b)))));
  renameSync(tmp, join(dir, branchFile(ctx)));
}

export function loadTimings(ctx: Where, job: string): Map<string, number> | undefined {
  const dir = timingsDir(ctx, job);
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  const pick = files.includes(branchFile(ctx)) ? branchFile(ctx) : files.sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs)[0];
  if (!pick) return undefined;
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(join(dir, pick), "utf8")) as Record<string, number>));
  } catch {
    return undefined;
  }
}
