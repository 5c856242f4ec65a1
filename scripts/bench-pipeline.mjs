// Benchmark of the generated pipeline on real engines (a script, not a timed test). For each engine
// of the test matrix (test/infra/setup-test-env.sh starts them), builds the example image
// (examples/demo: a 4 s, 220 MB dependency step) and prints, measured in this run, side by side:
//  - cold, warm and code-change times of the generated pipeline's image steps (the one job of
//    parallelism 1: image.sh key + ready + save) on a fresh engine (none of the project's images,
//    an empty build cache), with the transport the scripts picked there;
//  - the floor: restoring the same bytes into that engine (decompress + docker load of the
//    pipeline's own archive), measured in turns with warm and code change;
//  - cold's parts: a bare build, and the cache save of that engine's transport;
//  - seed 000's recipe (load the archive or build, then always save) for comparison;
// and, on the first engine, the archive compression options (which chose zstd -3 -T0);
//  - the pipeline's shape, with `gen-circle run` on the example with parallelism 1 and 4: on a warm
//    run, the machine starts and the bytes restored (what CircleCI charges for), per job and in all.
//    Each run starts from a fresh engine; `gen-circle run` gives each job a /tmp of its own, as
//    CircleCI gives each a new machine.
//  - the fixed part of a warm run (warm minus its round's floor) and what one start of the engine's
//    docker client costs, with its slowest Go package init (a warm run starts the client more often
//    than the floor does: that cost does not shrink with the image).
// Usage: npm run bench:pipeline [-- ENGINE...]   (default: every engine; BENCH_RUNS=5)
//   BENCH_EXTRA_MB=N adds an N MB dependency to the example (a larger image: the same fixed cost
//   against a longer floor), and leaves out the compression table and the pipeline shape.
// Run it in the foreground: runs started in the background have met a state with process starts
// three to four times slower (docs/benchmarks.md), which is what the fixed part of warm is made of.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const ALL = ["debian-20.10", "docker-28-overlay2", "docker-28-containerd"];
const engines = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const EXTRA_MB = Number(process.env.BENCH_EXTRA_MB ?? 0);
if (!Number.isInteger(EXTRA_MB) || EXTRA_MB < 0) {
  console.error(`bench-pipeline: BENCH_EXTRA_MB must be a whole number of megabytes, got '${process.env.BENCH_EXTRA_MB}'`);
  process.exit(2);
}
// The example's dependencies, with the extra one; and a line that makes this run's hash its own.
const requirements = (dir) => readFileSync(join(dir, "requirements.txt"), "utf8") + (EXTRA_MB > 0 ? `bigdeps ${EXTRA_MB}\n` : "") + `# bench ${Date.now()}\n`;
const TEST_STATE = process.env.GEN_CIRCLE_TEST_STATE ?? "/var/tmp/gen-circle-test";
// The benchmark's folders: outside /tmp, which each job of a `gen-circle run` has of its own.
const WORK = join(TEST_STATE, "bench");
mkdirSync(WORK, { recursive: true });
const has = (cmd) => spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0;
const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const median = (f, n = RUNS) => mid(Array.from({ length: n }, () => f()));

const setup = spawnSync("bash", [join(root, "test/infra/setup-test-env.sh"), ...engines], { stdio: "inherit" });
if (setup.status !== 0) process.exit(1);

// The engine's client first on PATH, and its DOCKER_HOST and DOCKER_CONFIG (bin/docker-env).
function engineEnv(engine) {
  const bin = join(TEST_STATE, "engines", engine, "bin");
  const vars = Object.fromEntries(
    readFileSync(join(bin, "docker-env"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const env = { ...process.env, ...vars, PATH: `${bin}:${process.env.PATH}` };
  delete env.DOCKER_CONTEXT;
  return env;
}

function bench(engine, first) {
  // The engine's own client, for the scripts and for the benchmark's commands.
  const env = engineEnv(engine);
  const sh = (cmd, extra = {}) => {
    const t = process.hrtime.bigint();
    const r = spawnSync("bash", ["-c", cmd], { env: { ...env, ...extra }, encoding: "utf8", maxBuffer: 1 << 26 });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) throw new Error(`${engine}: ${cmd}\n${r.stdout}\n${r.stderr}`);
    return s;
  };
  const out = (cmd) => spawnSync("bash", ["-c", cmd], { env, encoding: "utf8" }).stdout.trim();
  const dir = mkdtempSync(join(WORK, "pipeline-"));
  cpSync(join(root, "examples/demo"), dir, { recursive: true, filter: (s) => !s.includes("/.circleci") });
  const name = `localhost:5000/gc-bench/app`;
  writeFileSync(join(dir, "gen-circle.yml"), readFileSync(join(dir, "gen-circle.yml"), "utf8").replace(/name: .*/, `name: ${name}`));
  writeFileSync(join(dir, "requirements.txt"), requirements(dir));
  sh(`cd ${dir} && node ${root}/bin/gen-circle.js generate`);
  const state = mkdtempSync(join(WORK, "state-")); // outside the build context, as /tmp/gen-circle on CI
  const S = `${dir}/.circleci/gen-circle`;
  const penv = { GEN_CIRCLE_STATE: state, CIRCLE_BRANCH: "main" };
  let commit = 0;
  const fresh = () => {
    sh(`docker images --format '{{.Repository}}:{{.Tag}}' | grep '^${name}:' | xargs -r docker rmi -f >/dev/null; docker builder prune -af >/dev/null`);
    sh("sync");
  };
  // The three steps, each timed (their sum is the run's time; bash's own start is in each).
  let steps = [];
  const pipeline = () => {
    const e = { ...penv, CIRCLE_SHA1: `bench${++commit}` };
    steps = ["key", "ready", "save"].map((step) => sh(`${S}/image.sh ${step} app >/dev/null 2>&1`, e));
    return steps.reduce((a, b) => a + b, 0);
  };

  fresh();
  const cold = pipeline();
  const transport = /^transport (\w+)$/m.exec(readFileSync(join(state, "hash/app"), "utf8"))[1];
  const archive = join(
    state,
    "cache/app",
    readdirSync(join(state, "cache/app")).find((f) => /\.tar\.(zst|gz)$/.test(f)),
  );
  const unpack = archive.endsWith(".zst") ? "zstd -dc -q" : "gzip -dc";
  // Warm, code change and the floor (the archive's own bytes restored into this engine: decompress
  // + docker load), taken in turns, each on a fresh engine: this machine's speed drifts by 20 %
  // and more over minutes, and measured one after the other the ratios took that drift in.
  const rounds = { warm: [], codeChange: [], floor: [], warmSteps: [] };
  for (let i = 0; i < RUNS; i++) {
    fresh();
    rounds.floor.push(sh(`${unpack} ${archive} | docker load -q >/dev/null`));
    fresh();
    rounds.warm.push(pipeline());
    rounds.warmSteps.push(steps);
    fresh();
    // A change to the code only, a file of its own, taken back after with the folder's times: the
    // next warm run builds the tree cold saved. (This once wrote over and removed the example's
    // src/marker, so every warm run after the first was a code change under another name.)
    const src = join(dir, "src");
    sh(`touch -r ${src} ${state}/src-times`); // touch -r keeps the nanoseconds a Date would round
    writeFileSync(join(src, "bench-change"), `change ${commit}\n`);
    rounds.codeChange.push(pipeline());
    rmSync(join(src, "bench-change"));
    sh(`touch -r ${state}/src-times ${src}`);
  }
  const warm = mid(rounds.warm);
  const codeChange = mid(rounds.codeChange);
  const floor = mid(rounds.floor);
  // Each run against the floor of its own round (the drift cancels), then the median of those.
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(" ");
  console.log(`${engine}: rounds (s): floor ${fmt(rounds.floor)}; warm ${fmt(rounds.warm)}; code change ${fmt(rounds.codeChange)}`);
  const warmX = mid(rounds.warm.map((w, i) => w / rounds.floor[i]));
  const fixed = mid(rounds.warm.map((w, i) => w - rounds.floor[i]));
  // Where the fixed part is: key, ready beyond its round's floor (the load in it is the floor's
  // work), save.
  const warmKey = mid(rounds.warmSteps.map((t) => t[0]));
  const warmReadyOver = mid(rounds.warmSteps.map((t, i) => t[1] - rounds.floor[i]));
  const warmSave = mid(rounds.warmSteps.map((t) => t[2]));
  const codeChangeX = mid(rounds.codeChange.map((c, i) => c / rounds.floor[i]));
  const pack = archive.endsWith(".zst") ? "zstd -3 -T0 -q" : "gzip -1";
  // Cold's parts: a bare build from scratch, then the cache save of this engine's transport.
  fresh();
  const buildOnly = sh(`docker build -q -t ${name}:plain --build-arg BUILDKIT_INLINE_CACHE=1 ${dir} >/dev/null 2>&1`);
  const saveOnly =
    transport === "buildkit"
      ? sh(
          // The build with its cache export, then the image saved and the records beside it (image.sh's save).
          `rm -rf ${dir}/bk && docker build -q -t ${name}:plain --cache-to type=local,dest=${dir}/bk,mode=max ${dir} >/dev/null 2>&1 && docker save ${name}:plain | ${pack} > ${dir}/plain.archive && ` +
            `${unpack} ${dir}/plain.archive | tar -t | sed -n 's|^blobs/sha256/||p' | while read -r d; do rm -f ${dir}/bk/blobs/sha256/$d; done && tar -C ${dir}/bk -cf ${dir}/plain.records .`,
        )
      : sh(`docker save ${name}:plain | ${pack} > ${dir}/plain.archive`);
  const imageArchive = join(dir, `image.tar${archive.endsWith(".zst") ? ".zst" : ".gz"}`);
  sh(`docker save ${name}:plain | ${pack} > ${imageArchive}`);
  const imageMb = Number(out(`docker image inspect -f '{{.Size}}' ${name}:plain`) || 0) / 1048576;

  // Seed 000's recipe: load or build, then always save (uncompressed), tag with the sha.
  const seedArchive = join(dir, "seed.tar");
  const seed = () =>
    sh(
      `if [ -e ${seedArchive} ]; then docker load -i ${seedArchive} >/dev/null; else docker build -q -t ${name}:seed ${dir} >/dev/null 2>&1; fi; ` +
        `docker tag ${name}:seed ${name}:seed-sha; docker save ${name}:seed > ${seedArchive}`,
    );
  fresh();
  seed();
  const seedWarm = median(() => (fresh(), seed()));

  // One start of this engine's client, and its package inits (Go's inittrace): the warm path starts
  // the client (or buildx, a Go program of the same make) a few times more than the floor does.
  const cliStart = median(() => sh("docker --version >/dev/null"));
  const inits = [...out("GODEBUG=inittrace=1 docker --version 2>&1 >/dev/null").matchAll(/^init (\S+) @[\d.]+ ms, ([\d.]+) ms clock/gm)].map((m) => ({
    pkg: m[1],
    ms: Number(m[2]),
  }));
  const slowestInit = inits.sort((a, b) => b.ms - a.ms)[0];

  let comp = [];
  if (first && EXTRA_MB === 0) {
    const ref = `${name}:plain`;
    const options = [
      ["none (tar)", "cat", "cat"],
      ["gzip -1", "gzip -1", "gzip -dc"],
      ["gzip -6", "gzip -6", "gzip -dc"],
      ...(has("pigz") ? [["pigz -1", "pigz -1", "pigz -dc"]] : []),
      ...(has("zstd")
        ? [
            ["zstd -1", "zstd -1 -q", "zstd -dc -q"],
            ["zstd -3 -T0", "zstd -3 -T0 -q", "zstd -dc -q"],
          ]
        : []),
    ];
    fresh();
    sh(`${unpack} ${imageArchive} | docker load -q >/dev/null`);
    comp = options.map(([label, c, d]) => {
      const f = join(dir, "c.bin");
      const save = median(() => sh(`docker save ${ref} | ${c} > ${f}`), 3);
      const size = statSync(f).size;
      const load = median(() => (fresh(), sh(`${d} < ${f} | docker load -q >/dev/null`)), 3);
      return { label, save, size, load };
    });
  }
  // Every file the save left (with BuildKit, the records beside the archive): what CircleCI stores.
  const archiveMb = readdirSync(join(state, "cache/app")).reduce((n, f) => n + statSync(join(state, "cache/app", f)).size, 0) / 1048576;
  const version = out("docker version --format '{{.Server.Version}}'");
  rmSync(dir, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
  fresh();
  return {
    ...{ engine, version, transport, imageMb, archiveMb, cold, warm, codeChange, floor, warmX, codeChangeX, fixed },
    ...{ buildOnly, saveOnly, seedWarm, comp, cliStart, slowestInit, warmKey, warmReadyOver, warmSave },
  };
}

// Warm `gen-circle run` of the example with the given parallelism: the summary's cost lines.
function shape(engine, parallelism) {
  const env = engineEnv(engine);
  const sh = (cmd) => {
    const r = spawnSync("bash", ["-c", cmd], { env, encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${engine}: ${cmd}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const dir = mkdtempSync(join(WORK, "shape-"));
  cpSync(join(root, "examples/demo"), dir, { recursive: true, filter: (s) => !s.includes("/.circleci") });
  const name = "localhost:5000/gc-bench/shape";
  const spec = readFileSync(join(dir, "gen-circle.yml"), "utf8")
    .replace(/name: .*/, `name: ${name}`)
    .replace(/^test:\n/m, `test:\n  parallelism: ${parallelism}\n`);
  writeFileSync(join(dir, "gen-circle.yml"), spec);
  writeFileSync(join(dir, "requirements.txt"), requirements(dir));
  const cache = mkdtempSync(join(WORK, "runcache-"));
  sh(
    `cd ${dir} && git init -q -b bench && node ${root}/bin/gen-circle.js generate >/dev/null && git add -A && git -c user.email=b@b -c user.name=bench commit -qm bench`,
  );
  const fresh = () =>
    sh(`docker images --format '{{.Repository}}:{{.Tag}}' | grep '^${name}:' | xargs -r docker rmi -f >/dev/null; docker builder prune -af >/dev/null`);
  const runOnce = () => (fresh(), sh(`cd ${dir} && node ${root}/bin/gen-circle.js run --cache-dir ${cache}/cache --output ${cache}/run`));
  runOnce(); // cold: fills the cache
  const out = runOnce();
  const lines = out.split("\n");
  const jobs = lines.slice(lines.indexOf("summary:") + 1).filter((l) => /^ {2}[✓✗-] /.test(l) && !/not run/.test(l));
  const total = lines.find((l) => l.includes("on CircleCI:")) ?? "";
  fresh();
  rmSync(dir, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
  return { parallelism, jobs, total: total.trim() };
}

const results = engines.map((e, i) => bench(e, i === 0));
const shapes = EXTRA_MB > 0 ? [] : engines.map((e) => ({ engine: e, runs: [1, 4].map((p) => shape(e, p)) }));
const s = (x) => `${x.toFixed(2)} s`;
const cols = results.map((r) => r.engine);
const row = (label, cells) => console.log(`| ${label.padEnd(42)} | ${cells.map((c, i) => c.padEnd(Math.max(cols[i].length, 24))).join(" | ")} |`);
const extra = EXTRA_MB > 0 ? `, with an extra ${EXTRA_MB} MB dependency (BENCH_EXTRA_MB)` : "";
console.log(`\nexample image: ${results[0].imageMb.toFixed(0)} MB (examples/demo${extra}); median of ${RUNS} on a fresh engine each\n`);
row("pipeline image steps", cols);
row(
  "-".repeat(42),
  cols.map((c) => "-".repeat(Math.max(c.length, 24))),
);
row(
  "engine, cache transport",
  results.map((r) => `${r.version}, ${r.transport}`),
);
row(
  "cache archive",
  results.map((r) => `${r.archiveMb.toFixed(0)} MB`),
);
row(
  "floor: restore the image's bytes",
  results.map((r) => s(r.floor)),
);
const warmOk = (r) => r.warmX <= 1.3;
row(
  "warm (x: against its round's floor)",
  results.map((r) => `${s(r.warm)} = ${r.warmX.toFixed(2)}x floor ${warmOk(r) ? "met" : "MISSED"}`),
);
row(
  "  fixed part: warm - its round's floor",
  results.map((r) => s(r.fixed)),
);
row(
  "  key + (ready - floor) + save",
  results.map((r) => `${s(r.warmKey)} + ${s(r.warmReadyOver)} + ${s(r.warmSave)}`),
);
row(
  "  one docker client start (slowest init)",
  results.map(
    (r) => `${(r.cliStart * 1000).toFixed(0)} ms (${r.slowestInit ? `${r.slowestInit.pkg.split("/").slice(-1)[0]} ${r.slowestInit.ms.toFixed(0)} ms` : "n/a"})`,
  ),
);
row(
  "code change",
  results.map((r) => `${s(r.codeChange)} = ${r.codeChangeX.toFixed(2)}x floor`),
);
const coldOk = (r) => r.cold / (r.buildOnly + r.saveOnly) <= 1.15;
row(
  "cold",
  results.map((r) => `${s(r.cold)} = ${(r.cold / (r.buildOnly + r.saveOnly)).toFixed(2)}x ${coldOk(r) ? "met" : "MISSED"}`),
);
row(
  "  bare build + cache save",
  results.map((r) => `${s(r.buildOnly)} + ${s(r.saveOnly)}`),
);
row(
  "seed 000 recipe, warm (load, save again)",
  results.map((r) => `${s(r.seedWarm)} (ours ${(r.seedWarm / r.warm).toFixed(2)}x faster)`),
);
console.log("\ntargets: warm <= 1.3x the engine's floor; cold <= 1.15x a bare build + the cache save");
const comp = results[0].comp;
if (comp.length) {
  console.log(`\narchive compression on ${results[0].engine}:\n`);
  console.log(`| ${"compression".padEnd(14)} | ${"save".padStart(7)} | ${"size".padStart(8)} | ${"load".padStart(7)} | ${"save+load".padStart(9)} |`);
  console.log(`| ${"-".repeat(14)} | ${"-".repeat(7)} | ${"-".repeat(8)} | ${"-".repeat(7)} | ${"-".repeat(9)} |`);
  for (const c of comp) {
    console.log(
      `| ${c.label.padEnd(14)} | ${c.save.toFixed(2).padStart(5)} s | ${(c.size / 1048576).toFixed(1).padStart(5)} MB | ${c.load.toFixed(2).padStart(5)} s | ${(c.save + c.load).toFixed(2).padStart(7)} s |`,
    );
  }
}
if (shapes.length) console.log("\npipeline shape: a warm `gen-circle run` of the example (branch bench: no deploy jobs)\n");
for (const { engine, runs } of shapes) {
  for (const r of runs) {
    console.log(`${engine}, parallelism ${r.parallelism}: ${r.total}`);
    for (const j of r.jobs) console.log(`  ${j.trim()}`);
  }
}
if (shapes.length) console.log("target for parallelism 1: one machine start per image before the tests end, and the archive restored once");
if (!results.every((r) => warmOk(r) && coldOk(r))) process.exitCode = 1;
