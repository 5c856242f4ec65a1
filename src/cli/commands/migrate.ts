import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Codes, formatDiagnostic } from "../../diagnostics.js";
import { migrate } from "../../migrate/migrate.js";
import { cliError, ExitStatus } from "../exit.js";
import { applyWrites, readInput, type PlannedWrite } from "../fs.js";
import { printDiagnostics } from "../render.js";

export interface MigrateArgs {
  file?: string;
  out?: string;
  spec?: boolean;
  dryRun?: boolean;
  force?: boolean;
  report?: string;
  json?: boolean;
}

export async function runMigrate(args: MigrateArgs): Promise<ExitStatus> {
  const path = resolve(args.file ?? "circle.yml");
  const display = relative(process.cwd(), path) || path;
  const text = readInput(path, display, "Name the CircleCI 1.0 config to migrate: gen-circle migrate path/to/circle.yml");
  const r = await migrate(text, { fileName: display, spec: args.spec });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !r.config) {
    printDiagnostics(r.diagnostics, !!args.json);
    return ExitStatus.InvalidInput;
  }
  for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  const out = resolve(args.out ?? dirname(path));
  const writes: PlannedWrite[] = [{ path: ".circleci/config.yml", content: r.config }];
  if (r.spec) writes.push({ path: "gen-circle.yml", content: r.spec });
  if (args.dryRun) {
    for (const w of writes) process.stdout.write(`--- ${w.path}\n${w.content}`);
  } else {
    const existing = writes.filter((w) => existsSync(join(out, w.path)));
    if (existing.length && !args.force) {
      throw cliError(
        Codes.wouldOverwrite,
        `${existing.map((w) => join(relative(process.cwd(), out) || ".", w.path)).join(", ")} already exist${existing.length === 1 ? "s" : ""}; not overwritten. Use --force, or --dry-run to see the result. Nothing was written.`,
      );
    }
    if (args.report) writes.push({ path: relative(out, resolve(args.report)), content: r.report! });
    applyWrites(out, writes);
    for (const w of writes) process.stderr.write(`wrote ${join(relative(process.cwd(), out) || ".", w.path)}\n`);
  }
  process.stderr.write(`migrated ${r.commands.length} commands; ${r.notes.length} item(s) need a person:\n`);
  for (const n of r.notes) process.stderr.write(`  ${display}:${n.at.line}:${n.at.column} ${n.what}: ${n.why}\n`);
  if (args.spec && !r.spec) {
    // A warning of the whole file (the config is written all the same: exit 0), after the notes it refers to.
    const message = "no gen-circle.yml written: the file does not build a docker image gen-circle could take over (see above)";
    process.stderr.write(formatDiagnostic({ file: display, line: 1, column: 1, severity: "warning", code: Codes.noSpecWritten, message }) + "\n");
  }
  if (r.spec && !args.dryRun) {
    // The migrated config is a plain translation; generate would keep it (not written by gen-circle).
    process.stderr.write(
      "next: review gen-circle.yml, then 'gen-circle generate --force' replaces the migrated .circleci/config.yml with the generated pipeline (and adds its scripts); commit both\n",
    );
  }
  return ExitStatus.Ok;
}
