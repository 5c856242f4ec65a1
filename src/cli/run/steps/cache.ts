import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { arch as osArch, platform } from "node:os";
import { pickCache, renderKey } from "../../../run/keys.js";
import { human } from "../cache-store.js";
import { type JobEnv, passed, type StepHandler } from "./step.js";

/** `restore_cache`: by CircleCI's rule, the first key that matches a stored key as its prefix, and of those the newest (even where one matches exactly). */
export const restoreCache: StepHandler<"restore_cache"> = {
  name: (step) => step.name,
  run(step, job) {
    const stored = job.store.list();
    const keys: string[] = [];
    for (const k of step.keys) {
      try {
        keys.push(keyOf(k, job));
      } catch {
        // A key that cannot be rendered (its checksum file missing) matches nothing; the others still may.
      }
    }
    const hit = pickCache(keys, stored);
    if (!hit) {
      job.result.cache.push({ key: keys[0] ?? "", hit: false, bytes: 0, op: "restore" });
      return passed("no cache found");
    }
    const bytes = job.store.restore(hit.key, (n) => job.mapPath(n, job.workdir));
    job.result.cache.push({ key: hit.key, hit: true, bytes, op: "restore" });
    return passed(`restored ${hit.key} (${human(bytes)})`);
  },
};

/** `save_cache`: never overwrites a key, as on CircleCI. */
export const saveCache: StepHandler<"save_cache"> = {
  name: (step) => step.name,
  when: (step) => step.when,
  run(step, job) {
    const key = keyOf(step.key, job);
    const r = job.store.save(
      key,
      step.paths.map((p) => ({ name: p, physical: job.mapPath(p, job.workdir) })),
      Date.now(),
    );
    job.result.cache.push({ key, hit: !r.saved, bytes: r.bytes, op: "save" });
    return passed(r.saved ? `saved ${key} (${human(r.bytes)})` : `skipped: ${key} exists (caches are never overwritten)`);
  },
};

// `{{ arch }}` as CircleCI renders it, with the CPU family and model (`arch1-linux-amd64-6_85`):
// a key that would differ between two hosts of one architecture differs here too.
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

function keyOf(template: string, { ctx, env, workdir, mapPath }: JobEnv): string {
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
