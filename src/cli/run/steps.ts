import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { arch as osArch, platform } from "node:os";
import { basename, join, relative } from "node:path";
import type { Step } from "../../run/expand.js";
import { countJUnit } from "../../run/junit.js";
import { pickCache, renderKey } from "../../run/keys.js";
import { junitTimings } from "../../run/split.js";
import { type CacheStore, human, sizeOf } from "./cache-store.js";
import type { JobResult, Node, RunContext } from "./runner.js";

/** What a cache, workspace or results step needs of its job. */
export interface StepEnv {
  ctx: RunContext;
  env: Record<string, string>;
  workdir: string;
  mapPath: (p: string, cwd: string) => string;
  store: CacheStore;
  result: JobResult;
  node: Node;
  jobDir: string;
}

/**
 * The steps that move files rather than run commands: caches (CircleCI's restore rule, never an
 * overwrite), the workspace (a path persisted by two nodes fails, as on CircleCI), test results
 * and artifacts. Returns the note for the step's line; throws when the step fails.
 */
export function storageStep(step: Step, { ctx, env, workdir, mapPath, store, result, node, jobDir }: StepEnv): string {
  let note = "";
  switch (step.kind) {
    case "restore_cache": {
      const stored = store.list();
      const keys: string[] = [];
      for (const k of step.keys) {
        try {
          keys.push(keyOf(k, ctx, env, workdir, mapPath));
        } catch (e) {
          note = (e as Error).message;
        }
      }
      const hit = pickCache(keys, stored);
      if (hit) {
        const bytes = store.restore(hit.key, (n) => mapPath(n, workdir));
        result.cache.push({ key: hit.key, hit: true, bytes, op: "restore" });
        note = `restored ${hit.key} (${human(bytes)})`;
      } else {
        result.cache.push({ key: keys[0] ?? "", hit: false, bytes: 0, op: "restore" });
        note = "no cache found";
      }
      return note;
    }
    case "save_cache": {
      const key = keyOf(step.key, ctx, env, workdir, mapPath);
      const r = store.save(
        key,
        step.paths.map((p) => ({ name: p, physical: mapPath(p, workdir) })),
        Date.now(),
      );
      result.cache.push({ key, hit: !r.saved, bytes: r.bytes, op: "save" });
      note = r.saved ? `saved ${key} (${human(r.bytes)})` : `skipped: ${key} exists (caches are never overwritten)`;
      return note;
    }
    case "persist_to_workspace": {
      const rootDir = mapPath(step.root, workdir);
      for (const p of step.paths) {
        const from = join(rootDir, p);
        if (!existsSync(from)) throw new Error(`${p} does not exist under ${step.root}`);
        const other = node.persisted.get(p);
        if (other !== undefined && other !== node.index) {
          throw new Error(
            `${p} was persisted by node ${other} too: CircleCI refuses one path persisted by concurrent jobs (persist it from one node, or under a name per node)`,
          );
        }
        node.persisted.set(p, node.index);
        result.workspace.persisted += sizeOf(from);
        cpSync(from, join(ctx.output, "workspace", p), { recursive: true, force: true });
      }
      note = step.paths.join(", ");
      return note;
    }
    case "attach_workspace": {
      const ws = join(ctx.output, "workspace");
      mkdirSync(ws, { recursive: true });
      cpSync(ws, mapPath(step.at, workdir), { recursive: true, force: true });
      result.workspace.attached += sizeOf(ws);
      note = `at ${step.at}`;
      return note;
    }
    case "store_test_results": {
      const counts = junitUnder(mapPath(step.path, workdir), result.timings);
      result.tests.passed += counts.tests - counts.failures - counts.skipped;
      result.tests.failed += counts.failures;
      result.tests.failedNames.push(...counts.failed);
      note = `${counts.tests} tests, ${counts.failures} failed`;
      return note;
    }
    case "store_artifacts": {
      const from = mapPath(step.path, workdir);
      if (existsSync(from)) {
        const to = join(ctx.output, "artifacts", basename(jobDir), step.destination ?? basename(from));
        cpSync(from, to, { recursive: true, force: true });
        note = `${human(sizeOf(from))} → ${relative(process.cwd(), to)}`;
      } else note = "nothing there";
      return note;
    }
  }
  return note;
}

/**
 * `{{ arch }}` as CircleCI renders it, with the CPU family and model (`arch1-linux-amd64-6_85`):
 * a key that would differ between two hosts of one architecture differs here too.
 */
const ARCH = (() => {
  const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386" };
  let model = "0_0";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(\\S+)`, "m").exec(info)?.[1] ?? "0";
    model = `${field("cpu family")}_${field("model")}`;
  } catch {
    /* not Linux: no model */
  }
  return `arch1-${platform()}-${goArch[osArch()] ?? osArch()}-${model}`;
})();

export function keyOf(template: string, ctx: RunContext, env: Record<string, string>, workdir: string, mapPath: (p: string, cwd: string) => string): string {
  return renderKey(template, {
    branch: ctx.branch,
    revision: ctx.revision,
    buildNum: String(ctx.buildNum),
    environment: env,
    epoch: Math.floor(Date.now() / 1000),
    arch: ARCH,
    checksum: (p) => {
      const file = mapPath(p, workdir);
      if (!existsSync(file)) throw new Error(`checksum: ${p} does not exist`);
      return createHash("sha256").update(readFileSync(file)).digest("base64url");
    },
  });
}

export function junitUnder(path: string, timings: Map<string, number>): { tests: number; failures: number; skipped: number; failed: string[] } {
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
