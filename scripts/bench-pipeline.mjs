// Benchmark of the generated pipeline on a real engine (a script, not a timed test). Builds the
// example image (examples/demo: a 4 s, 70 MB dependency step) and prints, measured in this run:
//  - cold, warm and code-change times of the generated pipeline's image steps (build job:
//    hash.sh --write + image.sh warm; test job: image.sh ready) on a fresh engine,
//  - the same for seed 000's recipe (load the archive or build, then always save),
//  - the floor: a bare `docker load` of the same archive,
//  - archive compression options (save time, size, load time), which chose zstd -3 -T0
//    (gzip -1 where zstd is missing).
// Needs the engine from scripts/setup-test-env.sh. Usage: npm run bench:pipeline
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const DOCKER = "/usr/bin/docker";
const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH}` };
const sh = (cmd, extra = {}) => {
  const t = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", cmd], { env: { ...env, ...extra }, encoding: "utf8", maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd}\n${r.stdout}\n${r.stderr}`);
  return s;
};
const has = (cmd) => spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0;

sh(`bash ${root}/scripts/setup-test-env.sh`);
const dir = mkdtempSync(join(tmpdir(), "gc-bench-pipeline-"));
cpSync(join(root, "examples/demo"), dir, { recursive: true, filter: (s) => !s.includes("/.circleci") });
const name = `localhost:5000/gc-bench/app`;
writeFileSync(join(dir, "gen-circle.yml"), readFileSync(join(dir, "gen-circle.yml"), "utf8").replace(/name: .*/, `name: ${name}`));
writeFileSync(join(dir, "requirements.txt"), readFileSync(join(dir, "requirements.txt"), "utf8") + `# bench ${Date.now()}\n`);
sh(`cd ${dir} && node ${root}/bin/gen-circle.js generate`);
const state = mkdtempSync(join(tmpdir(), "gc-bench-state-")); // outside the build context, as /tmp/gen-circle on CI
const S = `${dir}/.circleci/gen-circle`;
const penv = { GEN_CIRCLE_STATE: state, CIRCLE_BRANCH: "main" };
let commit = 0;
const fresh = () => {
  sh(`${DOCKER} images --format '{{.Repository}}:{{.Tag}}' | grep '^${name}:' | xargs -r ${DOCKER} rmi -f >/dev/null; ${DOCKER} builder prune -af >/dev/null`);
  sh("sync");
};
const pipeline = () => {
  const e = { ...penv, CIRCLE_SHA1: `bench${++commit}` };
  return sh(`${S}/hash.sh app --write >/dev/null && ${S}/image.sh warm app >/dev/null 2>&1`, e) + sh(`${S}/image.sh ready app >/dev/null 2>&1`, e);
};
const median = (f, n = Number(process.env.BENCH_RUNS ?? 5)) => {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(f());
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)];
};

// --- generated pipeline
fresh();
const cold = pipeline();
const archive = join(state, "cache/app", spawnSync("ls", [join(state, "cache/app")], { encoding: "utf8" }).stdout.trim());
const warm = median(() => (fresh(), pipeline()));
const codeChange = median(() => {
  fresh();
  writeFileSync(join(dir, "src/marker"), `change ${commit}\n`);
  return pipeline();
});
// The floor: a bare load of the same archive.
const unpack = archive.endsWith(".zst") ? "zstd -dc -q" : "gzip -dc";
const floor = median(() => (fresh(), sh(`${unpack} ${archive} | ${DOCKER} load -q >/dev/null`)));
// Parts of cold: a build from scratch, and a compressed save.
fresh();
const buildOnly = sh(`${DOCKER} build -q -t ${name}:plain --build-arg BUILDKIT_INLINE_CACHE=1 ${dir} >/dev/null 2>&1`);
const pack = archive.endsWith(".zst") ? "zstd -3 -T0 -q" : "gzip -1";
const saveOnly = sh(`${DOCKER} save ${name}:plain | ${pack} > ${dir}/plain.archive`);

// --- seed 000's recipe: load or build, then always save (uncompressed), tag with the sha
const seedArchive = join(dir, "seed.tar");
const seed = () =>
  sh(
    `if [ -e ${seedArchive} ]; then ${DOCKER} load -i ${seedArchive} >/dev/null; else ${DOCKER} build -q -t ${name}:seed ${dir} >/dev/null; fi; ` +
      `${DOCKER} tag ${name}:seed ${name}:seed-sha; ${DOCKER} save ${name}:seed > ${seedArchive}`,
  );
fresh();
rmSync(seedArchive, { force: true });
const seedCold = seed();
const seedWarm = median(() => (fresh(), seed()));
// Seed 000 on a code change: its archive is keyed by the dependency files only, so it loads the
// cached image (with the old code), tests that, and saves again.
const seedCodeChange = median(() => {
  fresh();
  writeFileSync(join(dir, "src/marker"), `seed change ${Date.now()}\n`);
  return seed();
});

// --- compression options, measured on the same image
fresh();
sh(`${unpack} ${archive} | ${DOCKER} load -q >/dev/null`);
const ref = `${name}:cache-${archive.split("/").pop().split(".")[0]}`;
const options = [
  ["none (tar)", "cat", "cat"],
  ["gzip -1", "gzip -1", "gzip -dc"],
  ["gzip -6", "gzip -6", "gzip -dc"],
  ...(has("pigz") ? [["pigz -1", "pigz -1", "pigz -dc"]] : []),
  ...(has("zstd") ? [["zstd -1", "zstd -1 -q", "zstd -dc -q"], ["zstd -3 -T0", "zstd -3 -T0 -q", "zstd -dc -q"]] : []),
];
const imageSize = spawnSync(DOCKER, ["image", "inspect", "-f", "{{.Size}}", ref], { encoding: "utf8" }).stdout.trim();
const comp = options.map(([label, c, d]) => {
  const f = join(dir, "c.bin");
  const save = median(() => sh(`${DOCKER} save ${ref} | ${c} > ${f}`), 3);
  const size = statSync(f).size;
  const load = median(() => (fresh(), sh(`${d} < ${f} | ${DOCKER} load -q >/dev/null`)), 3);
  return { label, save, size, load };
});
const archiveMb = statSync(archive).size / 1048576;
rmSync(dir, { recursive: true, force: true });
rmSync(state, { recursive: true, force: true });
fresh();

const imageMb = Number(imageSize || 0) / 1048576;
const s = (x) => `${x.toFixed(2)} s`;
console.log(`example image: ${imageMb.toFixed(0)} MB (examples/demo, dependency step ${readFileSync(join(root, "examples/demo/requirements.txt"), "utf8").split("\n").filter((l) => /^\w/.test(l)).length} packages), archive ${archiveMb.toFixed(0)} MB\n`);
const row = (...c) => `| ${c[0].padEnd(44)} | ${c[1].padStart(9)} | ${(c[2] ?? "").padEnd(34)} |`;
console.log(row(`pipeline step (median of ${process.env.BENCH_RUNS ?? 5}, fresh engine)`, "time", "target / ratio"));
console.log(row("-".repeat(44), "-".repeat(9), "-".repeat(34)));
console.log(row("floor: bare docker load of the archive", s(floor)));
console.log(row("generated pipeline, warm", s(warm), `${(warm / floor).toFixed(2)}x floor (target <= 1.15x) ${warm / floor <= 1.15 ? "met" : "MISSED"}`));
console.log(row("seed 000 recipe, warm (load, then save again)", s(seedWarm), `ours is ${(seedWarm / warm).toFixed(2)}x faster (target >= 1.8x) ${seedWarm / warm >= 1.8 ? "met" : "MISSED"}`));
console.log(row("generated pipeline, code change", s(codeChange), `${(codeChange / floor).toFixed(2)}x floor`));
console.log(row("generated pipeline, cold", s(cold), `${(cold / (buildOnly + saveOnly)).toFixed(2)}x build+save (target <= 1.1x) ${cold / (buildOnly + saveOnly) <= 1.1 ? "met" : "MISSED"}`));
console.log(row(`  build from scratch + save (${pack.split(" ")[0]})`, s(buildOnly + saveOnly), `${s(buildOnly)} + ${s(saveOnly)}`));
console.log(row("seed 000 recipe, code change (tests stale code!)", s(seedCodeChange)));
console.log(row("seed 000 recipe, cold", s(seedCold)));
console.log("");
console.log(`| ${"archive compression".padEnd(14)} | ${"save".padStart(7)} | ${"size".padStart(8)} | ${"load".padStart(7)} | ${"save+load".padStart(9)} |`);
console.log(`| ${"-".repeat(14)} | ${"-".repeat(7)} | ${"-".repeat(8)} | ${"-".repeat(7)} | ${"-".repeat(9)} |`);
for (const c of comp) {
  console.log(`| ${c.label.padEnd(14)} | ${c.save.toFixed(2).padStart(5)} s | ${(c.size / 1048576).toFixed(1).padStart(5)} MB | ${c.load.toFixed(2).padStart(5)} s | ${(c.save + c.load).toFixed(2).padStart(7)} s |`);
}
