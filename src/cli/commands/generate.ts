import { join, relative } from "node:path";
import { isChecksumLine, readHeader } from "../../emit/header.js";
import { SCRIPTS_DIR } from "../../model/plan.js";
import { Codes, formatDiagnostic, type Diagnostic } from "../../diagnostics.js";
import { cliError, ExitStatus } from "../exit.js";
import { applyWrites, isExecutable, readIfExists, walkFiles, type PlannedWrite } from "../fs.js";
import { generateProject, type CommonArgs } from "../project.js";

export interface GenerateArgs extends CommonArgs {
  dryRun?: boolean;
  force?: boolean;
}

interface Change {
  path: string;
  kind: "create" | "update" | "remove" | "mode";
  /** A file a person wrote or edited: replaced only with --force. */
  guarded?: "hand-edited" | "not generated";
  before?: string;
  after?: string;
  executable?: boolean;
}

/** Compares what the spec generates with the disk; `keepWarnings`: the spec's warnings are returned, not printed. */
async function diffProject(args: CommonArgs, keepWarnings = false): Promise<{ root: string; changes: Change[]; warnings: Diagnostic[] }> {
  const { input, result } = await generateProject(args, keepWarnings);
  const root = input.root;
  const changes: Change[] = [];
  const expected = new Set<string>();
  for (const f of result.files) {
    expected.add(f.path);
    const full = join(root, f.path);
    const before = readIfExists(full);
    if (before === undefined) {
      changes.push({ path: f.path, kind: "create", after: f.content, executable: f.executable });
      continue;
    }
    const h = readHeader(before);
    const guarded = !h.generated ? "not generated" : !h.intact ? "hand-edited" : undefined;
    if (before !== f.content) {
      changes.push({ path: f.path, kind: "update", before, after: f.content, executable: f.executable, guarded });
    } else if (f.executable && !isExecutable(full)) {
      changes.push({ path: f.path, kind: "mode", after: f.content, executable: true });
    }
  }
  // Orphans: generated files the spec no longer produces.
  for (const rel of walkFiles(root, SCRIPTS_DIR)) {
    if (expected.has(rel)) continue;
    const text = readIfExists(join(root, rel)) ?? "";
    const h = readHeader(text);
    if (!h.generated) continue;
    changes.push({ path: rel, kind: "remove", before: text, guarded: h.intact ? undefined : "hand-edited" });
  }
  return { root, changes, warnings: keepWarnings ? result.diagnostics : [] };
}

/** Unified diff of a change; the diff library loads only when there is something to show. */
async function patch(c: Change): Promise<string> {
  const { createTwoFilesPatch } = await import("diff");
  return createTwoFilesPatch(`a/${c.path}`, `b/${c.path}`, c.before ?? "", c.after ?? "", undefined, undefined, { context: 3 });
}

export async function runGenerate(args: GenerateArgs): Promise<ExitStatus> {
  const { root, changes } = await diffProject(args);
  const guarded = changes.filter((c) => c.guarded);
  if (guarded.length && !args.force && !args.dryRun) {
    throw cliError(
      Codes.wouldOverwrite,
      guarded
        .map((c) => `${c.path}: ${c.guarded === "hand-edited" ? "edited by hand since it was generated" : "not written by gen-circle"}; not overwritten.`)
        .join("\n") + "\nMove the change into gen-circle.yml (or keep a copy), then run 'gen-circle generate --force'. Nothing was written.",
    );
  }
  if (args.dryRun) {
    for (const c of changes) process.stdout.write(c.kind === "mode" ? `chmod +x ${c.path}\n` : await patch(c));
    process.stderr.write(changes.length ? `${changes.length} file(s) would change (dry run: nothing written)\n` : "up to date\n");
    return ExitStatus.Ok;
  }
  const writes: PlannedWrite[] = changes.map((c) =>
    c.kind === "remove" ? { path: c.path, remove: true } : { path: c.path, content: c.after, executable: c.executable },
  );
  applyWrites(root, writes);
  for (const c of changes) process.stderr.write(`${verb(c.kind)} ${c.path}\n`);
  if (!changes.length) process.stderr.write("up to date\n");
  return ExitStatus.Ok;
}

/** What check found about one file: its code and message, at the first line that differs. */
function finding(c: Change): Pick<Diagnostic, "code" | "message" | "line"> {
  if (c.kind === "create") return { code: Codes.fileMissing, message: "missing", line: 1 };
  if (c.kind === "remove") return { code: Codes.fileOrphan, message: "orphan: the spec no longer generates it", line: 1 };
  if (c.kind === "mode") return { code: Codes.fileNotExecutable, message: "not executable", line: 1 };
  const at = firstChangedLine(c.before ?? "", c.after ?? "");
  if (c.guarded === "hand-edited") return { code: Codes.fileHandEdited, message: "edited by hand", line: at };
  if (c.guarded === "not generated") return { code: Codes.fileNotGenerated, message: "not written by gen-circle", line: at };
  return { code: Codes.fileOutOfDate, message: "out of date with the spec", line: at };
}

/** The first line (1-based) where two versions of a file differ; the header's checksum line, which differs whenever the body does, does not count. */
function firstChangedLine(before: string, after: string): number {
  const a = before.split("\n");
  const b = after.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && (a[i] === b[i] || (isChecksumLine(a[i]!) && isChecksumLine(b[i]!)))) i++;
  return i + 1;
}

export async function runCheck(args: CommonArgs): Promise<ExitStatus> {
  // With --json, the spec's warnings and the findings go out as one document.
  const { root, changes, warnings } = await diffProject(args, !!args.json);
  const findings = changes.map((c): Diagnostic => {
    const { code, message, line } = finding(c);
    return { code, severity: "error", message, file: relative(process.cwd(), join(root, c.path)) || c.path, line, column: 1, path: "" };
  });
  if (args.json) process.stdout.write(JSON.stringify({ diagnostics: [...warnings, ...findings] }, null, 2) + "\n");
  if (!changes.length) {
    process.stderr.write("generated files are up to date\n");
    return ExitStatus.Ok;
  }
  if (!args.json) {
    for (const [i, c] of changes.entries()) {
      process.stderr.write(formatDiagnostic(findings[i]!) + "\n");
      if (c.kind !== "mode") process.stdout.write(await patch(c));
    }
  }
  const guarded = changes.filter((c) => c.guarded);
  process.stderr.write(
    `${changes.length} generated file(s) differ: run 'gen-circle generate' and commit the result` +
      (guarded.length ? ` ('gen-circle generate --force' to replace ${guarded.map((c) => c.path).join(", ")}, which generate keeps otherwise).\n` : ".\n"),
  );
  return ExitStatus.Failed;
}

function verb(kind: Change["kind"]): string {
  return { create: "created", update: "updated", remove: "removed", mode: "made executable" }[kind];
}
