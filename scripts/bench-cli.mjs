// Benchmark of the compiler (a script, not a timed test): prints
//  - the cold wall time of `gen-circle check` on the bundled example next to `node -e 0`
//    (target: at most 3x; no yargs, prettier or schema compile on that path),
//  - the time to generate a 50-image spec (target: under 1 s).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "bin/gen-circle.js");
const runs = Number(process.env.BENCH_RUNS ?? 15);

function wall(args, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${String(r.stderr).slice(0, 2000)}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = (args, cwd) => {
  wall(args, cwd); // warm the file cache
  return median(Array.from({ length: runs }, () => wall(args, cwd)));
};

const example = join(root, "examples/demo");
const nodeMs = measure(["-e", "0"], example);
const checkMs = measure([cli, "check"], example);

const dir = mkdtempSync(join(tmpdir(), "gc-bench-"));
for (let i = 0; i < 50; i++) {
  mkdirSync(join(dir, `services/s${i}/requirements`), { recursive: true });
  writeFileSync(join(dir, `services/s${i}/Dockerfile`), "FROM python:3.12\n");
  writeFileSync(join(dir, `services/s${i}/requirements/base.txt`), "flask\n");
}
const images = Array.from(
  { length: 50 },
  (_, i) =>
    `  - name: acme/service-${i}\n    context: services/s${i}\n    hash: [services/s${i}/Dockerfile, "services/s${i}/requirements/*.txt"]\n    test:\n      command: pytest -q\n      results: /results\n    services:\n      db: postgres:15\n      cache: {image: "redis:7", ready: redis-cli ping}\n`,
);
writeFileSync(
  join(dir, "gen-circle.yml"),
  `version: 1\nimages:\n${images.join("")}deploy:\n  registry: ghcr.io\n  login: {username: U, password: P}\n  rules:\n    - branch: main\n      tags: [latest, "{sha}"]\n    - tag: /v.*/\n      tags: ["{tag}"]\n`,
);
const { generate } = await import(join(root, "dist/src/index.js"));
const { readFileSync } = await import("node:fs");
const text = readFileSync(join(dir, "gen-circle.yml"), "utf8");
await generate(text); // warm
const times = [];
let files = 0;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const r = await generate(text);
  times.push(performance.now() - t);
  files = r.files.length;
  if (r.diagnostics.length) throw new Error(JSON.stringify(r.diagnostics));
}
const cliGen = measure([cli, "generate", "--dry-run"], dir);
rmSync(dir, { recursive: true, force: true });

const row = (a, b, c) => `| ${a.padEnd(42)} | ${b.padStart(10)} | ${c.padEnd(14)} |`;
console.log(row("measure (median)", "time", "target"));
console.log(row("-".repeat(42), "-".repeat(10), "-".repeat(14)));
console.log(row("node -e 0", `${nodeMs.toFixed(0)} ms`, ""));
console.log(row("gen-circle check (example, cold process)", `${checkMs.toFixed(0)} ms`, `<= 3x node`));
console.log(row("  ratio", `${(checkMs / nodeMs).toFixed(2)}x`, checkMs / nodeMs <= 3 ? "met" : "MISSED"));
console.log(row(`generate(), 50 images (${files} files, in process)`, `${median(times).toFixed(0)} ms`, median(times) < 1000 ? "< 1 s: met" : "< 1 s: MISSED"));
console.log(row("gen-circle generate --dry-run, 50 images", `${cliGen.toFixed(0)} ms`, cliGen < 1000 ? "< 1 s: met" : "< 1 s: MISSED"));
