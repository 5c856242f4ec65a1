import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { Codes, formatDiagnostic } from "../../diagnostics.js";
import { ConfigError, expandWorkflow, listWorkflows } from "../../run/expand.js";
import { load } from "../../spec/load.js";
import { cliError, ExitError, ExitStatus } from "../exit.js";
import { readInput } from "../fs.js";
import { printDiagnostics } from "../render.js";
import { chooseIsolation, describeIsolation } from "../run/machine.js";
import { interrupt, killTree, runWorkflow, summary } from "../run/runner.js";

export interface RunArgs {
  workflow?: string;
  job?: string;
  branch?: string;
  tag?: string;
  config?: string;
  cacheDir?: string;
  output?: string;
  env?: string[];
  dirty?: boolean;
  dir?: string;
}

export async function runRun(args: RunArgs): Promise<ExitStatus> {
  for (const [flag, value] of [
    ["--branch", args.branch],
    ["--tag", args.tag],
    ["--job", args.job],
    ["--config", args.config],
  ] as const) {
    // `--branch` with nothing after it parses as an empty string: a mistake, not "no branch".
    if (value !== undefined && value.trim() === "")
      throw cliError(
        Codes.cliUsage,
        `${flag} needs a value, e.g. ${flag} ${flag === "--tag" ? "v1.2.3" : flag === "--job" ? "test-app" : flag === "--config" ? ".circleci/config.yml" : "main"}.`,
      );
  }
  const start = resolve(args.dir ?? ".");
  const git = (a: string[]) => spawnSync("git", a, { cwd: start, encoding: "utf8" });
  const top = git(["rev-parse", "--show-toplevel"]);
  if (top.status !== 0) throw cliError(Codes.notInGit, `${start} is not in a git repository: gen-circle run checks out the commit under test.`);
  const root = top.stdout.trim();
  const configPath = resolve(root, args.config ?? ".circleci/config.yml");
  const display = relative(process.cwd(), configPath) || configPath;
  const configText = readInput(configPath, display, "Run 'gen-circle generate' first, or pass --config.");
  const revision = git(["rev-parse", "HEAD"]).stdout.trim();
  if (!revision) throw cliError(Codes.notInGit, "The repository has no commit yet: commit, then run.");
  const tag = args.tag ?? "";
  const branch = tag ? "" : (args.branch ?? (git(["symbolic-ref", "--short", "-q", "HEAD"]).stdout.trim() || "main"));

  const env: Record<string, string> = {};
  for (const e of args.env ?? []) {
    const i = e.indexOf("=");
    // -e NAME takes the value from this environment (as docker run -e does): a secret's value
    // then stays off the command line, where any process list shows it.
    if (i < 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(e)) {
      const value = process.env[e];
      if (value === undefined) throw cliError(Codes.cliUsage, `-e ${e}: ${e} is not set in this environment (set it, or pass -e ${e}=VALUE).`);
      env[e] = value;
      continue;
    }
    if (i <= 0) throw cliError(Codes.cliUsage, `-e takes KEY=VALUE or the name of a variable of this environment, got '${e}'.`);
    env[e.slice(0, i)] = e.slice(i + 1);
  }

  const { source, diagnostics } = load(configText, display);
  if (!source) {
    printDiagnostics(diagnostics, false);
    return ExitStatus.InvalidInput;
  }
  const base = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
    "gen-circle",
    `${basename(root)}-${createHash("sha256").update(root).digest("hex").slice(0, 8)}`,
  );
  const cacheDir = resolve(args.cacheDir ?? join(base, "cache"));
  const output = resolve(args.output ?? join(base, "run"));
  mkdirSync(cacheDir, { recursive: true });
  const counter = join(cacheDir, "build-num");
  const buildNum = (existsSync(counter) ? Number(readFileSync(counter, "utf8")) || 0 : 0) + 1;
  writeFileSync(counter, String(buildNum));

  let jobs;
  try {
    const workflows = listWorkflows(source.value as Record<string, unknown>);
    const workflow = args.workflow ?? (workflows.length === 1 ? workflows[0] : undefined);
    if (!workflow) throw cliError(Codes.noSuchName, `Name a workflow: ${workflows.join(", ")}.`);
    jobs = expandWorkflow(source, workflow, { branch, tag, revision, number: buildNum });
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ExitError(
        formatDiagnostic({ file: display, line: e.line, column: e.column, severity: "error", code: e.code, message: e.message }),
        ExitStatus.InvalidInput,
      );
    }
    throw e;
  }
  // Build numbers for every job of this run (each job has its own, as on CircleCI).
  writeFileSync(counter, String(buildNum + Math.max(jobs.length, 1) - 1));
  if (args.job) {
    const only = jobs.find((j) => j.name === args.job);
    if (!only) throw cliError(Codes.noSuchName, `No job '${args.job}' in the workflow. Jobs: ${jobs.map((j) => j.name).join(", ")}.`);
    jobs = [{ ...only, requires: [], filters: { branches: undefined, tags: { only: ["/.*/"] } } }];
  }

  if (!args.dirty) {
    // checkout clones HEAD: uncommitted generated files (right after `generate`) would not be there.
    const pending = git(["status", "--porcelain", "--", relative(root, configPath), ".circleci/gen-circle"]).stdout.trim();
    if (pending) {
      const files = pending.split("\n").map((l) => l.slice(3));
      throw cliError(
        Codes.uncommitted,
        `${files.join(", ")}: not committed. gen-circle run checks out the last commit, as CircleCI would, so it would run without ${files.length === 1 ? "this change" : "these changes"}. Commit ${files.length === 1 ? "it" : "them"}, or pass --dirty to run the working tree as it is.`,
      );
    }
  }
  const isolation = chooseIsolation(output);
  process.stdout.write(
    `gen-circle run: ${tag ? `tag ${tag}` : `branch ${branch}`} at ${revision.slice(0, 12)}, build ${buildNum}\n  cache: ${cacheDir}\n  output: ${output}\n${describeIsolation(isolation)}\n`,
  );
  const onInt = () => {
    if (interrupt.requested) process.exit(ExitStatus.Interrupted);
    interrupt.requested = true;
    process.stdout.write("\ninterrupted: stopping the running step; 'when: always' steps still run (Ctrl-C again to quit now)\n");
    if (interrupt.current) killTree(interrupt.current);
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onInt);
  const results = await runWorkflow(jobs, {
    root,
    branch,
    tag,
    revision,
    buildNum,
    cacheDir,
    output,
    env,
    dirty: !!args.dirty,
    isolation,
    write: (t) => process.stdout.write(t),
  });
  process.stdout.write(summary(results));
  if (interrupt.requested) return ExitStatus.Failed;
  return results.some((r) => r.status === "failed") ? ExitStatus.Failed : ExitStatus.Ok;
}
