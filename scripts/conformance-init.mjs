// Conformance of `gen-circle init` over real public repositories. The repositories are not part of
// the project (their code stays out of our commits): the script reads them from a folder given on
// the command line, DIR, which holds one folder per repository of scripts/init-samples.json,
// named after its `repo` field with the slash made a plus (docker/awesome-compose →
// DIR/docker+awesome-compose), holding `repo`: a git repository (a clone, bare or not) that has
// the sample's `commit`. Samples that name a `folder` are that folder of the repository (several
// samples share one clone). What a correct spec holds for each sample was judged by reading its
// Dockerfile and compose file, and is recorded in scripts/init-samples.json with the repository's
// licence. For each sample the script exports the commit's tree (the sample's folder only) with
// `git archive`, runs `gen-circle init` and `generate` (the built CLI: `npm run build` first), and
// compares the spec with the record: build inputs (dockerfile, context, target, hash), services
// (names, no unresolved compose variable) and the test command (null when the project has no tests).
// A sample whose repository is not in DIR is listed as "not here" and not counted.
// Prints a table and the count of specs correct with no edits. Exit 1 when a sample misses that
// the record does not mark as a known miss (a regression), or on a crash; exit 2 without DIR.
// Usage: npm run conformance:init -- DIR [--record]   (--record prints what init wrote, as JSON)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const record = args.includes("--record");
const mirror = args.find((a) => !a.startsWith("--"));
const usage = "usage: npm run conformance:init -- DIR [--record]   (DIR: one folder per repository, DIR/<owner>+<name>/repo, a git clone)";
if (!mirror) {
  console.error(usage);
  process.exit(2);
}
if (!existsSync(mirror)) {
  console.error(`conformance:init: no folder ${mirror}\n${usage}`);
  process.exit(2);
}
const samples = JSON.parse(readFileSync(join(root, "scripts/init-samples.json"), "utf8")).samples;
const cli = join(root, "bin/gen-circle.js");

function observe(sample) {
  const git = join(mirror, sample.repo.replace("/", "+"), "repo");
  if (!existsSync(git)) return { missing: `no git repository at ${git} (a clone of ${sample.repo} with commit ${sample.commit ?? "HEAD"})` };
  const dir = mkdtempSync(join(tmpdir(), "gen-circle-init-"));
  try {
    const folder = sample.folder ?? "";
    const archive = spawnSync("git", ["-C", git, "archive", sample.commit ?? "HEAD", ...(folder ? [folder] : [])], { maxBuffer: 1 << 30 });
    if (archive.status !== 0) return { missing: `git archive: ${archive.stderr}` };
    const strip = folder ? folder.split("/").length : 0;
    spawnSync("tar", ["-x", "-C", dir, `--strip-components=${strip}`], { input: archive.stdout });
    const init = spawnSync(process.execPath, [cli, "init", "--dir", dir], { encoding: "utf8" });
    if (init.status !== 0) return { crash: `init exit ${init.status}: ${init.stderr}` };
    const gen = spawnSync(process.execPath, [cli, "generate", "--dir", dir], { encoding: "utf8" });
    const spec = parse(readFileSync(join(dir, "gen-circle.yml"), "utf8"));
    const images = (spec.images ?? [spec.image]).map((img) => ({
      dockerfile: img.dockerfile ?? (img.context && img.context !== "." ? `${img.context}/Dockerfile` : "Dockerfile"),
      context: img.context ?? ".",
      target: img.target ?? null,
      build_args: img.build_args ?? {},
      hash: img.hash ?? [],
      test: (img.test ?? spec.test)?.command ?? null,
    }));
    const services = Object.entries(spec.services ?? {}).map(([name, s]) => ({ name, unresolved: /\$\{?[A-Za-z_]/.test(JSON.stringify(s.environment ?? {})) }));
    return {
      images,
      services: services.map((s) => s.name),
      unresolved: services.filter((s) => s.unresolved).map((s) => s.name),
      generated: gen.status === 0,
      generateError: gen.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const rows = [];
const counts = { samples: samples.length, available: 0, build: 0, services: 0, withTests: 0, test: 0, correct: 0, regressions: 0, crashes: 0 };
const recorded = [];
for (const s of samples) {
  const o = observe(s);
  if (o.missing || o.crash) {
    if (o.crash) counts.crashes += 1;
    rows.push(`| ${s.repo}${s.folder ? `/${s.folder}` : ""} | ${s.ecosystem} | ${o.missing ? "not here" : "CRASH"} | | | |`);
    if (o.crash) console.error(o.crash);
    continue;
  }
  counts.available += 1;
  if (record) recorded.push({ ...s, observed: o });
  const e = s.expect;
  const build =
    o.generated &&
    same(
      o.images.map(({ test, ...b }) => b),
      e.images.map(({ test, ...b }) => b),
    );
  const services = same(o.services, e.services) && !o.unresolved.length;
  // Images whose project has no tests are not counted on their test command.
  const tests = e.images.filter((i) => i.test !== null);
  const test = tests.length > 0 && e.images.every((i, n) => i.test === null || i.test === o.images[n]?.test);
  const correct = build && services && test;
  counts.build += build ? 1 : 0;
  counts.services += services ? 1 : 0;
  counts.withTests += tests.length ? 1 : 0;
  counts.test += test ? 1 : 0;
  counts.correct += correct ? 1 : 0;
  const why = [];
  if (!build)
    why.push(o.generated ? `build inputs ${JSON.stringify(o.images.map(({ test, ...b }) => b))}` : `generate failed: ${o.generateError.trim().split("\n")[0]}`);
  if (!services) why.push(`services ${JSON.stringify(o.services)}${o.unresolved.length ? ` unresolved in ${o.unresolved}` : ""}`);
  if (tests.length && !test) why.push(`test ${JSON.stringify(o.images.map((i) => i.test))}`);
  // A miss the record does not name as known was right when the record was made: a regression.
  if (!(build && services && (test || !tests.length)) && !s.known) {
    counts.regressions += 1;
    why.unshift("REGRESSION");
  }
  if (s.known && why.length) why.push(`(known: ${s.known})`);
  const mark = (b) => (b ? "yes" : "no");
  rows.push(
    `| ${s.repo}${s.folder ? `/${s.folder}` : ""} | ${s.ecosystem} | ${mark(build)} | ${mark(services)} | ${tests.length ? mark(test) : "(no tests)"} | ${correct ? "**yes**" : why.join("; ") || "no (no tests to run)"} |`,
  );
}
if (record) {
  console.log(JSON.stringify(recorded, null, 2));
  process.exit(0);
}
console.log("| sample | ecosystem | build inputs | services | test command | correct with no edits |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
console.log(
  `\n${counts.available} of ${counts.samples} samples here: build inputs right in ${counts.build}, services in ${counts.services}, the test command in ${counts.test} of the ${counts.withTests} that have tests; ${counts.correct} of those ${counts.withTests} get a correct spec with no edits (a project with no tests needs its test command written).`,
);
if (counts.regressions || counts.crashes) {
  console.log(`${counts.regressions} regression(s), ${counts.crashes} crash(es)`);
  process.exit(1);
}
