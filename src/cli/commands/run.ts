import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { Codes, formatDiagnostic } from "../../diagnostics.js";
import { ConfigError, expandWorkflow, type Job, listWorkflows, type Pipeline, workflowRuns } from "../../run/expand.js";
import { load, type SourceDoc } from "../../spec/load.js";
import { cliError, ExitError, ExitStatus } from "../exit.js";
import { readInput } from "../fs.js";
import { type ArgsOf, checkValues } from "../options.js";
import { printDiagnostics } from "../render.js";
import { chooseIsolation, describeIsolation } from "../run/machine.js";
import { interrupt, type JobResult, killTree, runWorkflow, summary, type RunContext } from "../run/runner.js";
import { startContinueServer } from "../run/continue-server.js";
import { runCounts } from "../run/summary.js";

/** `gen-circle run`'s arguments, as declared in options.ts. */
export type RunArgs = ArgsOf<"run">;

/** What the run will do: the runner's context without what runPlan adds, and the jobs. */
type Plan = Omit<RunContext, "isolation" | "write"> & {
  jobs: Job[];
  /** the pipeline values the config was expanded with (a continuation is expanded with them too) */
  pipeline: Pipeline;
  /** a setup configuration (`setup: true`): its job continues the pipeline */
  setup: boolean;
};

interface Repo {
  root: string;
  configPath: string;
  display: string;
  configText: string;
  revision: string;
  git: (a: string[]) => SpawnSyncReturns<string>;
}

/** `gen-circle run`: checks the arguments, plans the run, runs it and prints its summary. */
export async function runRun(args: RunArgs): Promise<ExitStatus> {
  checkValues("run", args);
  const plan = planRun(args);
  if (!plan) return ExitStatus.InvalidInput;
  announce(plan);
  const results = plan.setup ? await runSetup(plan) : await runPlan(plan);
  // The build before the next one on this branch: `<< pipeline.git.base_revision >>`.
  writeFileSync(
    join(plan.cacheDir, "revisions.json"),
    JSON.stringify({ ...lastRevisions(plan.cacheDir), [plan.branch || `tag:${plan.tag}`]: plan.revision }) + "\n",
  );
  // The measured counts, for scripts and for checking `gen-circle cost` against a real run.
  mkdirSync(plan.output, { recursive: true });
  writeFileSync(join(plan.output, "summary.json"), JSON.stringify(runCounts(results), null, 2) + "\n");
  return report(results);
}

// Undefined when the config does not parse (its diagnostics printed).
function planRun(args: RunArgs): Plan | undefined {
  const repo = findRepo(args);
  const tag = args.tag ?? "";
  const branch = tag ? "" : (args.branch ?? (repo.git(["symbolic-ref", "--short", "-q", "HEAD"]).stdout.trim() || "main"));
  const env = parseEnv(args.env ?? []);
  const { source, diagnostics } = load(repo.configText, repo.display);
  if (!source) {
    printDiagnostics(diagnostics, false);
    return undefined;
  }
  const { cacheDir, output } = runFolders(repo.root, args);
  mkdirSync(cacheDir, { recursive: true });
  const counter = join(cacheDir, "build-num");
  const buildNum = (existsSync(counter) ? Number(readFileSync(counter, "utf8")) || 0 : 0) + 1;
  writeFileSync(counter, String(buildNum));
  const pipeline: Pipeline = {
    branch,
    tag,
    revision: repo.revision,
    number: buildNum,
    projectSlug: `local/${basename(repo.root)}`,
    baseRevision: lastRevisions(cacheDir)[branch || `tag:${tag}`],
  };
  let jobs = expandJobs(source, args.workflow, repo.display, pipeline);
  // Build numbers for every job of this run (each job has its own, as on CircleCI).
  writeFileSync(counter, String(buildNum + Math.max(jobs.length, 1) - 1));
  if (args.job) jobs = [onlyJob(jobs, args.job)];
  if (!args.dirty) checkCommitted(repo);
  const setup = (source.value as Record<string, unknown>).setup === true;
  return { root: repo.root, branch, tag, revision: repo.revision, buildNum, cacheDir, output, env, dirty: !!args.dirty, jobs, pipeline, setup };
}

function findRepo(args: RunArgs): Repo {
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
  return { root, configPath, display, configText, revision, git };
}

function parseEnv(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of list) {
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
  return env;
}

// Per repository by name and path: two clones of one name keep caches of their own.
function runFolders(root: string, args: RunArgs): { cacheDir: string; output: string } {
  const base = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
    "gen-circle",
    `${basename(root)}-${createHash("sha256").update(root).digest("hex").slice(0, 8)}`,
  );
  return { cacheDir: resolve(args.cacheDir ?? join(base, "cache")), output: resolve(args.output ?? join(base, "run")) };
}

function expandJobs(source: SourceDoc, workflowArg: string | undefined, display: string, pipeline: Pipeline): Job[] {
  return reportingConfigErrors(display, () => {
    const workflows = listWorkflows(source.value as Record<string, unknown>);
    const workflow = workflowArg ?? (workflows.length === 1 ? workflows[0] : undefined);
    if (!workflow) throw cliError(Codes.noSuchName, `Name a workflow: ${workflows.join(", ")}.`);
    return expandWorkflow(source, workflow, pipeline);
  });
}

// What the config does not allow, as file:line:col and exit 2.
function reportingConfigErrors<T>(display: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ExitError(
        formatDiagnostic({ file: display, line: e.line, column: e.column, severity: "error", code: e.code, message: e.message }),
        ExitStatus.InvalidInput,
      );
    }
    throw e;
  }
}

// --job runs that job alone, whatever it requires and whatever its filters say.
function onlyJob(jobs: Job[], name: string): Job {
  const only = jobs.find((j) => j.name === name);
  if (!only) throw cliError(Codes.noSuchName, `No job '${name}' in the workflow. Jobs: ${jobs.map((j) => j.name).join(", ")}.`);
  return { ...only, requires: [], filters: { branches: undefined, tags: { only: ["/.*/"] } } };
}

// checkout clones HEAD: uncommitted generated files (right after `generate`) would not be there.
function checkCommitted({ git, root, configPath }: Repo): void {
  const pending = git(["status", "--porcelain", "--", relative(root, configPath), ".circleci/gen-circle"]).stdout.trim();
  if (!pending) return;
  const files = pending.split("\n").map((l) => l.slice(3));
  throw cliError(
    Codes.uncommitted,
    `${files.join(", ")}: not committed. gen-circle run checks out the last commit, as CircleCI would, so it would run without ${files.length === 1 ? "this change" : "these changes"}. Commit ${files.length === 1 ? "it" : "them"}, or pass --dirty to run the working tree as it is.`,
  );
}

function announce({ branch, tag, revision, buildNum, cacheDir, output }: Plan): void {
  process.stdout.write(
    `gen-circle run: ${tag ? `tag ${tag}` : `branch ${branch}`} at ${revision.slice(0, 12)}, build ${buildNum}\n  cache: ${cacheDir}\n  output: ${output}\n${describeIsolation(chooseIsolation(output))}\n`,
  );
  const onInt = () => {
    if (interrupt.requested) process.exit(ExitStatus.Interrupted);
    interrupt.requested = true;
    process.stdout.write("\ninterrupted: stopping the running step; 'when: always' steps still run (Ctrl-C again to quit now)\n");
    if (interrupt.current) killTree(interrupt.current);
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onInt);
}

async function runPlan(plan: Plan): Promise<JobResult[]> {
  const { jobs, pipeline: _, setup: __, ...ctx } = plan;
  return runWorkflow(jobs, { ...ctx, isolation: chooseIsolation(plan.output), write: (t) => process.stdout.write(t) });
}

/**
 * A setup configuration: its workflow runs with a continuation key and CircleCI's API on this
 * machine (continue-server.ts); what its job posts is then run as CircleCI runs a continued
 * pipeline: every workflow whose `when` holds with the posted parameters.
 */
async function runSetup(plan: Plan): Promise<JobResult[]> {
  // The endpoint is on this machine's loopback, which a container's network does not reach.
  const inContainer = plan.jobs.find((j) => j.executor.type === "docker");
  if (inContainer)
    throw cliError(
      Codes.runUnsupported,
      `The setup job ${inContainer.name} runs in a container, which cannot reach the continue endpoint gen-circle run serves on this machine: run it on a machine executor (small_jobs: machine in gen-circle.yml).`,
    );
  const server = await startContinueServer();
  let setupResults: JobResult[];
  try {
    setupResults = await runPlan({ ...plan, env: { ...plan.env, CIRCLE_CONTINUATION_KEY: server.key, GC_CIRCLECI_API: server.api } });
  } finally {
    await server.close();
  }
  const posted = server.posted();
  if (setupResults.some((r) => r.status === "failed")) return setupResults;
  if (!posted) {
    // On CircleCI a setup workflow that does not continue leaves the pipeline in error.
    process.stdout.write("gen-circle run: ✗ the setup workflow ended without continuing the pipeline (CircleCI marks such a pipeline as an error)\n");
    return [...setupResults, { ...setupResults[0]!, name: "(continuation)", status: "failed", nodes: 0, cache: [], steps: [] }];
  }
  const display = "the configuration the setup job posted";
  const { source, diagnostics } = load(posted.configuration, display);
  if (!source) {
    printDiagnostics(diagnostics, false);
    throw new ExitError("", ExitStatus.InvalidInput);
  }
  // CircleCI refuses a parameter the continued configuration does not declare.
  const declared = Object.keys(((source.value as Record<string, unknown>).parameters as object | undefined) ?? {});
  const unknown = Object.keys(posted.parameters).filter((k) => !declared.includes(k));
  if (unknown.length)
    throw cliError(
      Codes.runReference,
      `The setup job continued with parameters the configuration does not declare: ${unknown.join(", ")} (declared: ${declared.join(", ") || "none"}).`,
    );
  const pipeline = { ...plan.pipeline, parameters: posted.parameters };
  const jobs = continuedJobs(source, display, pipeline);
  const params = Object.entries(posted.parameters)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  process.stdout.write(`gen-circle run: continued (${params || "no parameters"}): ${jobs.length ? jobs.map((j) => j.name).join(", ") : "no job runs"}\n`);
  const more = await runPlan({ ...plan, buildNum: plan.buildNum + plan.jobs.length, jobs, setup: false });
  return [...setupResults, ...more];
}

// Every workflow whose when holds, as CircleCI runs a pipeline's workflows (job names are unique across them here).
function continuedJobs(source: SourceDoc, display: string, pipeline: Pipeline): Job[] {
  return reportingConfigErrors(display, () =>
    listWorkflows(source.value as Record<string, unknown>)
      .filter((w) => workflowRuns(source, w, pipeline))
      .flatMap((w) => expandWorkflow(source, w, pipeline)),
  );
}

function lastRevisions(cacheDir: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(cacheDir, "revisions.json"), "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

// An interrupted run failed, even when every job that ran passed.
function report(results: JobResult[]): ExitStatus {
  process.stdout.write(summary(results));
  if (interrupt.requested) return ExitStatus.Failed;
  return results.some((r) => r.status === "failed") ? ExitStatus.Failed : ExitStatus.Ok;
}
