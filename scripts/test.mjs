// The whole test suite (npm test runs this after the build and lint): the unit, CLI and tools
// tests, and the Docker tests once per engine of the matrix. Vitest runs the files of projects that set
// fileParallelism: false one at a time across all projects, so each engine gets a vitest process
// of its own, side by side (the engines are separate daemons); each lane runs its engine's
// `gen-circle run` tests after its cache and pipeline tests (every job of a local run has a /tmp of
// its own, so the lanes share no state folder). Each lane's
// output is printed whole when it ends, then one closing line: "N passed, N failed".
// With arguments, it is plain `vitest run ARGS` (e.g. npm test -- --project 'docker*@docker-28-containerd').
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const vitest = join(root, "node_modules/vitest/vitest.mjs");
const args = process.argv.slice(2);
if (args.length) {
  process.exit(spawnSync(process.execPath, [vitest, "run", ...args], { stdio: "inherit", cwd: root }).status ?? 1);
}

const ENGINES = ["debian-20.10", "docker-28-overlay2", "docker-28-containerd"];
// Every engine and registry up first, once, so that the lanes' global setups find them running.
const setup = spawnSync("bash", [join(root, "test/infra/setup-test-env.sh"), ...ENGINES], { stdio: "inherit" });
if (setup.status !== 0) {
  console.error("test: setting up the engines failed (see above); the Docker tests never skip");
  process.exit(1);
}

// What the tests make in /tmp they remove: folders of theirs left there after the run fail it.
const ours = () => new Set(readdirSync("/tmp").filter((f) => /^(gc-|gen-circle-test-)/.test(f)));
const before = ours();
const started = Date.now();
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedRuns = 0;
const runVitest = (label, projects) =>
  new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [vitest, "run", ...projects.flatMap((p) => ["--project", p])], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const m = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m.exec(out);
      if (m) {
        totals.passed += Number(m[1]);
        totals.failed += Number(m[2]);
        totals.skipped += Number(m[3] ?? 0);
      }
      if (code !== 0 || !m) failedRuns++;
      process.stdout.write(
        `\n===== ${label}: exit ${code}, ${((Date.now() - t0) / 1000).toFixed(0)} s =====\n${out.replace(/^\d+ passed, \d+ failed.*$/m, "")}`,
      );
      resolve();
    });
  });

// One lane per engine (its cache and pipeline tests, then its run tests), and one for the unit, CLI
// and tools tests.
const lane = async (engine) => {
  await runVitest(`docker@${engine}`, [`docker@${engine}`]);
  await runVitest(`docker-run@${engine}`, [`docker-run@${engine}`]);
};
await Promise.all([runVitest("unit, cli, tools", ["unit", "cli", "tools"]), ...ENGINES.map(lane)]);
const left = [...ours()].filter((f) => !before.has(f));
if (left.length) {
  console.error(`test: the tests left ${left.length} folder(s) in /tmp: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ", ..." : ""}`);
  failedRuns++;
}
console.log(`\ntest: all lanes done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

// The lanes' teardowns removed the tags they pushed; with every lane done (nothing is pushing),
// the registries collect the blobs no tag refers to, and nothing of this run is left in them.
const state = process.env.GEN_CIRCLE_TEST_STATE ?? "/var/tmp/gen-circle-test";
for (const registry of ["registry", "registry-auth"]) {
  const config = join(state, registry, "config.yml");
  if (!existsSync(config)) continue;
  const gc = spawnSync("docker-registry", ["garbage-collect", config], { encoding: "utf8" });
  if (gc.status !== 0) console.error(`test: garbage-collect of the ${registry} registry failed: ${gc.stderr}`);
  const left = join(state, registry, "data/docker/registry/v2/repositories/gc-it");
  const engines = existsSync(left) ? readdirSync(left) : [];
  if (engines.length) {
    console.error(
      `test: the tests left repositories in the ${registry} registry: ${engines.map((e) => `gc-it/${e}`).join(", ")} (a lane's teardown did not run)`,
    );
    failedRuns++;
  }
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
process.exit(failedRuns || totals.failed ? 1 : 0);
