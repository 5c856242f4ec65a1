// Conformance of `gen-circle migrate` over real CircleCI 1.0 files, which stay outside the project:
// DIR, given on the command line, holds them (every *.yml and *.yaml file directly in DIR, one
// circle.yml per project; the file name is only a label). Each output is validated against
// CircleCI's published JSON schema of config.yml: --schema FILE, by default
// oracle/circleci-config.schema.json two levels above DIR (the test data's layout: corpus/v1/ for
// the files, oracle/ for the schema). Needs the build (`npm run build`). Prints: files, parsed,
// migrated, valid per CircleCI's schema, commands preserved (every 1.0 command string appears in
// the output), crashes; then each miss. Exit 1 below 100 % on any count or with a crash; exit 2
// without DIR, or when DIR or the schema cannot be read.
// Usage: npm run conformance:migrate -- DIR [--schema FILE]
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse, parseDocument } from "yaml";

const root = new URL("..", import.meta.url).pathname;
const usage = "usage: npm run conformance:migrate -- DIR [--schema FILE]   (DIR: a folder of CircleCI 1.0 circle.yml files; FILE: CircleCI's config schema)";
const args = process.argv.slice(2);
const at = args.indexOf("--schema");
const schemaArg = at >= 0 ? args[at + 1] : undefined;
const positional = args.filter((a, i) => !a.startsWith("--") && !(at >= 0 && i === at + 1));
const fail = (message) => {
  console.error(message ? `conformance:migrate: ${message}\n${usage}` : usage);
  process.exit(2);
};
if ((at >= 0 && !schemaArg) || args.some((a) => a.startsWith("--") && a !== "--schema") || positional.length > 1) fail();
const dir = positional[0];
if (!dir) fail();
if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`no folder ${dir}`);
const oracle = schemaArg ?? join(dir, "../../oracle/circleci-config.schema.json");
if (!existsSync(oracle)) fail(`CircleCI's config schema is not at ${oracle}: name it with --schema FILE`);
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
