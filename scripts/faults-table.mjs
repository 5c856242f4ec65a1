// docs/faults.md's results: the rows the fault tests wrote (test/docker/faults.test.ts, one file
// per engine in $GEN_CIRCLE_TEST_STATE/faults/), as tables, between the markers of docs/faults.md.
// Usage: npm run faults:table [-- STATE_DIR]   (after npm test, or the fault tests of each engine)
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dir = join(process.argv[2] ?? process.env.GEN_CIRCLE_TEST_STATE ?? "/var/tmp/gen-circle-test", "faults");
if (!existsSync(dir)) {
  console.error(`faults-table: ${dir} does not exist: run the fault tests first (npm test)`);
  process.exit(2);
}
const ENGINES = ["debian-20.10", "docker-28-overlay2", "docker-28-containerd"];
const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
const byEngine = new Map();
for (const f of files) {
  const { engine, rows } = JSON.parse(readFileSync(join(dir, f), "utf8"));
  byEngine.set(engine, [...(byEngine.get(engine) ?? []), ...rows]);
}
const missing = ENGINES.filter((e) => !byEngine.has(e));
if (missing.length) {
  console.error(`faults-table: no results for ${missing.join(", ")} in ${dir}`);
  process.exit(2);
}
const cell = (s) => String(s).replaceAll("|", "\\|");
const totals = [];
const tables = ENGINES.map((engine) => {
  const rows = byEngine.get(engine);
  const survived = rows.filter((r) => r.outcome === "green").length;
  const lost = rows.filter((r) => !/^nothing/.test(r.lost) && !/not saved|cache-use check/.test(r.lost)).length;
  totals.push(`| ${engine} | ${rows.length} | ${survived} | ${rows.length - survived} | ${lost} |`);
  return [
    `### ${engine}`,
    "",
    "| fault | outcome | refused | retried by the scripts | what the log said | lost |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${cell(r.fault)} | ${r.outcome} | ${r.refused} | ${r.retried} | ${cell(r.said)} | ${cell(r.lost)} |`),
  ].join("\n");
});
const body = [
  "| engine | faults tried | green | red (as meant: a refusal) | lost |",
  "| --- | --- | --- | --- | --- |",
  ...totals,
  "",
  ...tables.flatMap((t) => [t, ""]),
].join("\n");
const doc = join(root, "docs/faults.md");
const text = readFileSync(doc, "utf8");
const start = "<!-- faults-table: start -->";
const end = "<!-- faults-table: end -->";
if (!text.includes(start) || !text.includes(end)) {
  console.error(`faults-table: ${doc} has no ${start} ... ${end} markers`);
  process.exit(2);
}
writeFileSync(doc, text.slice(0, text.indexOf(start) + start.length) + "\n" + body + text.slice(text.indexOf(end)));
console.log(`faults-table: ${files.length} result files, ${ENGINES.length} engines → docs/faults.md`);
