// Conformance of `gen-circle migrate` over real CircleCI 1.0 files (../shared/corpus/v1, which
// stays outside the project). Prints: files, parsed, migrated, valid per CircleCI's schema,
// commands preserved (every 1.0 command string appears in the output), crashes; then each miss.
// Exit 1 below 100 % on any count or with a crash. Usage: npm run conformance:migrate [DIR]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse, parseDocument } from "yaml";

const root = new URL("..", import.meta.url).pathname;
const dir = process.argv[2] ?? join(root, "../shared/corpus/v1");
const oracle = join(root, "../shared/oracle/circleci-config.schema.json");
const { migrate } = await import(join(root, "dist/src/index.js"));
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats.default ?? addFormats)(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(oracle, "utf8")));

const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const counts = { files: files.length, parsed: 0, migrated: 0, valid: 0, commands: 0, preserved: 0, crashes: 0, notes: 0 };
const misses = [];
for (const f of files) {
  const text = readFileSync(join(dir, f), "utf8");
  if (parseDocument(text).errors.length === 0) counts.parsed += 1;
  let r;
  try {
    r = await migrate(text, { fileName: f, spec: true });
  } catch (e) {
    counts.crashes += 1;
    misses.push(`${f}: crash: ${e.stack}`);
    continue;
  }
  if (!r.config) {
    misses.push(`${f}: not migrated: ${r.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("; ")}`);
    continue;
  }
  counts.migrated += 1;
  counts.notes += r.notes.length;
  const config = parse(r.config);
  if (validate(config)) counts.valid += 1;
  else misses.push(`${f}: invalid: ${JSON.stringify(validate.errors.slice(0, 3))}`);
  const runs = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) k === "run" ? runs.push(x.command) : walk(x);
  };
  walk(config);
  for (const c of r.commands) {
    counts.commands += 1;
    if (runs.includes(c)) counts.preserved += 1;
    else misses.push(`${f}: command not found in the output: ${JSON.stringify(c).slice(0, 100)}`);
  }
}
const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(0)} %` : "-");
console.log(`| files | parsed | migrated | valid (CircleCI schema) | commands preserved | crashes | items for a person |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
console.log(
  `| ${counts.files} | ${counts.parsed} (${pct(counts.parsed, counts.files)}) | ${counts.migrated} (${pct(counts.migrated, counts.files)}) | ${counts.valid} (${pct(counts.valid, counts.migrated)}) | ${counts.preserved}/${counts.commands} (${pct(counts.preserved, counts.commands)}) | ${counts.crashes} | ${counts.notes} |`,
);
for (const m of misses) console.log(`- ${m}`);
const ok = counts.crashes === 0 && counts.migrated === counts.files && counts.valid === counts.migrated && counts.preserved === counts.commands;
process.exit(ok ? 0 : 1);
