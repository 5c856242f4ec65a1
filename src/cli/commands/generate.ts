import { join } from "node:path";
import { readHeader } from "../../emit/header.js";
import { SCRIPTS_DIR } from "../../model/plan.js";
import { Codes } from "../../diagnostics.js";
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

/** Compares what the spec generates with the disk. */
async function diffProject(args: CommonArgs): Promise<{ root: string; changes: Change[] }> {
  const { input, result } = await generateProject(args);
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
  return { root, changes };
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
      ExitStatus.Failed,
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

export async function runCheck(args: CommonArgs): Promise<ExitStatus> {
  const { changes } = await diffProject(args);
  if (!changes.length) {
    process.stderr.write("generated files are up to date\n");
    return ExitStatus.Ok;
  }
  for (const c of changes) {
    const why =
      c.kind === "create"
        ? "missing"
        : c.kind === "remove"
          ? "orphan: the spec no longer generates it"
          : c.kind === "mode"
            ? "not executable"
            : c.guarded === "hand-edited"
              ? "edited by hand"
              : c.guarded === "not generated"
                ? "not written by gen-circle"
                : "out of date with the spec";
    process.stderr.write(`${c.path}: ${why}\n`);
    if (c.kind !== "mode") process.stdout.write(await patch(c));
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
