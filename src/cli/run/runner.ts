import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import type { Job, Step } from "../../run/expand.js";
import { jobRuns } from "../../run/filters.js";
import { nextMove, selectJobs } from "../../run/schedule.js";
import { CacheStore } from "./cache-store.js";
import { jobDockerConfig, machineDockerConfig } from "./docker-config.js";
import { interrupt, killTree } from "./interrupt.js";
import type { Isolation } from "./machine.js";
import { agentShim, circleciShim } from "./shims.js";
import { handlerOf, type JobEnv, type StepHandler, type StepOutcome } from "./steps/index.js";
import { secs } from "./summary.js";
import { loadTimings, saveTimings } from "./timings.js";

export interface RunContext {
  /** the repository */
  root: string;
  branch: string;
  tag: string;
  revision: string;
  /** the first job's CIRCLE_BUILD_NUM; the run's jobs count up from it */
  buildNum: number;
  cacheDir: string;
  output: string;
  env: Record<string, string>;
  /** copy uncommitted changes of the working tree into each checkout */
  dirty: boolean;
  /** how each job gets a /tmp of its own */
  isolation: Isolation;
  write: (text: string) => void;
}

interface StepResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  ms: number;
}
export interface JobResult {
  name: string;
  status: "passed" | "failed" | "skipped" | "not run";
  ms: number;
  /** CircleCI's machines for this job: its parallelism (this run runs node 0 only) */
  nodes: number;
  steps: StepResult[];
  cache: { key: string; hit: boolean; bytes: number; op: "restore" | "save" }[];
  /** bytes this job persisted to the workspace and attached from it */
  workspace: { persisted: number; attached: number };
  tests: { passed: number; failed: number; failedNames: string[] };
  /** seconds per test file from the JUnit results the job stored (for `circleci tests split`) */
  timings: Map<string, number>;
}

/** Runs the workflow's jobs in `requires` order; jobs without mutual dependencies run in parallel (two at a time). */
export async function runWorkflow(jobs: Job[], ctx: RunContext): Promise<JobResult[]> {
  const ref = ctx.tag ? { tag: ctx.tag } : { branch: ctx.branch };
  const results = new Map<string, JobResult>();
  const selected = selectJobs(jobs, (j) => jobRuns(j.filters, ref));
  for (const j of jobs) if (!selected.has(j.name)) results.set(j.name, empty(j.name, "not run", j.parallelism));

  let pending = jobs.filter((j) => selected.has(j.name));
  const running = new Map<string, Promise<void>>();
  const prefix = pending.length > 1;
  const finished = () => new Map([...results].map(([name, r]) => [name, r.status]));
  while (pending.length || running.size) {
    const { start, skip } = nextMove(pending, finished(), running.size, 2, interrupt.requested);
    for (const j of skip) results.set(j.name, empty(j.name, "skipped", j.parallelism));
    for (const j of start) {
      // Each job has a build number of its own, as on CircleCI; the workflow id is the run's.
      const p = runNodes(j, { ...ctx, buildNum: ctx.buildNum + jobs.indexOf(j) }, prefix, `local-${ctx.buildNum}`).then((r) => {
        results.set(j.name, r);
        running.delete(j.name);
      });
      running.set(j.name, p);
    }
    pending = pending.filter((j) => !skip.includes(j) && !start.includes(j));
    if (running.size) await Promise.race(running.values());
  }
  return jobs.map((j) => results.get(j.name)!);
}

function empty(name: string, status: JobResult["status"], nodes: number): JobResult {
  return {
    name,
    status,
    ms: 0,
    nodes,
    steps: [],
    cache: [],
    workspace: { persisted: 0, attached: 0 },
    tests: { passed: 0, failed: 0, failedNames: [] },
    timings: new Map(),
  };
}

/**
 * Every node of a job with `parallelism`, each a machine of its own with CIRCLE_NODE_INDEX/TOTAL;
 * one result for the job: failed when a node failed, the bytes of every node. Nodes run one after
 * the other: here they share one engine, where two builds of one tag collide (on CircleCI each
 * node has its own). Two nodes persisting one path fail, as CircleCI refuses files that
 * concurrent jobs persisted under one name.
 */
async function runNodes(job: Job, ctx: RunContext, prefix: boolean, workflowId: string): Promise<JobResult> {
  const r = await runAllNodes(job, ctx, prefix, workflowId);
  // CircleCI keeps a job's test timings from its green runs, for `circleci tests split` next time.
  if (r.status === "passed" && r.timings.size) saveTimings(ctx, job.name, r.timings);
  return r;
}

async function runAllNodes(job: Job, ctx: RunContext, prefix: boolean, workflowId: string): Promise<JobResult> {
  const total = Math.max(1, job.parallelism);
  if (total === 1) return runJob(job, ctx, prefix, workflowId, { index: 0, total: 1, persisted: new Map() });
  const persisted = new Map<string, number>();
  const results: JobResult[] = [];
  for (let index = 0; index < total; index++) results.push(await runJob(job, ctx, true, workflowId, { index, total, persisted }));
  const merged = empty(job.name, results.every((r) => r.status === "passed") ? "passed" : "failed", total);
  merged.ms = Math.max(...results.map((r) => r.ms));
  merged.steps = results[0]!.steps;
  for (const r of results) {
    merged.cache.push(...r.cache);
    merged.workspace.persisted += r.workspace.persisted;
    merged.workspace.attached += r.workspace.attached;
    merged.tests.passed += r.tests.passed;
    merged.tests.failed += r.tests.failed;
    merged.tests.failedNames.push(...r.tests.failedNames);
    for (const [f, t] of r.timings) merged.timings.set(f, (merged.timings.get(f) ?? 0) + t);
  }
  return merged;
}

export interface Node {
  index: number;
  total: number;
  /** workspace paths the job's nodes persisted, and which node did */
  persisted: Map<string, number>;
}

async function runJob(job: Job, ctx: RunContext, prefix: boolean, workflowId: string, node: Node): Promise<JobResult> {
  const label = node.total > 1 ? `${job.name}/${node.index}` : job.name;
  const out = (line: string) => ctx.write((prefix ? `[${label}] ` : "") + line + "\n");
  const machine = prepareMachine(job, ctx, node, workflowId, out);
  const { result } = machine;
  const t0 = Date.now();
  out(`job ${job.name}${node.total > 1 ? `, node ${node.index} of ${node.total}` : ""} (${job.executor.type}: ${job.executor.image})`);
  let container: string | undefined;
  if (job.executor.type === "docker") {
    const started = startContainer(job, machine);
    if ("error" in started) {
      out(`✗ ${started.error}`);
      result.status = "failed";
      return result;
    }
    container = started.container;
  }
  let failed: boolean;
  try {
    failed = await runSteps(job.steps, { ...machine, container });
  } finally {
    for (const b of machine.background) killTree(b);
    if (container) spawnSync("docker", ["rm", "-f", container], { stdio: "ignore" });
  }
  result.status = failed || interrupt.requested ? "failed" : "passed";
  result.ms = Date.now() - t0;
  out(`${result.status === "passed" ? "✓" : "✗"} job ${job.name} ${result.status} in ${secs(result.ms)}`);
  return result;
}

// True when a step failed: later steps run or not by their `when`, as CircleCI decides.
async function runSteps(steps: Step[], job: JobEnv): Promise<boolean> {
  let failed = false;
  let halted = false;
  for (const step of steps) {
    const handler = handlerOf(step);
    const name = handler.name(step);
    const when = handler.when?.(step) ?? "on_success";
    // After circleci-agent step halt no later step runs, whatever its when: the job ends there, green.
    if (halted || (when === "on_success" && (failed || interrupt.requested)) || (when === "on_fail" && !failed)) {
      job.result.steps.push({ name, status: "skipped", ms: 0 });
      continue;
    }
    const s0 = Date.now();
    const { ok, note, halt } = await runStep(handler, step, job);
    const ms = Date.now() - s0;
    job.result.steps.push({ name, status: ok ? "passed" : "failed", ms });
    job.out(`${ok ? "✓" : "✗"} ${name} (${secs(ms)})${note ? `: ${note}` : ""}`);
    if (!ok) failed = true;
    if (halt) halted = true;
  }
  return failed;
}

async function runStep(handler: StepHandler<Step["kind"]>, step: Step, job: JobEnv): Promise<StepOutcome> {
  try {
    return await handler.run(step, job);
  } catch (e) {
    return { ok: false, note: (e as Error).message };
  }
}

// Each CircleCI job has a machine of its own: here, a home and a /tmp of its own. ~ and /tmp in
// the config's paths (cache paths, checksum files, workspace roots) name the job's folders; the
// steps see that folder on /tmp (a mount namespace, as root), or else get TMPDIR and
// GEN_CIRCLE_STATE there. Only caches and workspaces carry anything from one job to the next.
function prepareMachine(job: Job, ctx: RunContext, node: Node, workflowId: string, out: (line: string) => void): Omit<JobEnv, "container"> {
  const jobDir = join(ctx.output, "jobs", node.total > 1 ? `${job.name}-node${node.index}` : job.name);
  rmSync(jobDir, { recursive: true, force: true });
  const home = join(jobDir, "home");
  mkdirSync(home, { recursive: true });
  const tmp = join(jobDir, "tmp");
  mkdirSync(join(tmp, "gen-circle"), { recursive: true });
  chmodSync(tmp, 0o1777);
  const mapPath = (p: string, cwd: string) => {
    if (p === "~" || p.startsWith("~/")) return join(home, p.slice(1));
    if (p === "/tmp" || p.startsWith("/tmp/")) return join(tmp, p.slice(4));
    return isAbsolute(p) ? p : resolve(cwd, p);
  };
  const workdir = mapPath(job.workingDirectory ?? "~/project", home);
  mkdirSync(workdir, { recursive: true });
  const bashEnv = join(jobDir, "bash_env");
  writeFileSync(bashEnv, "");
  const haltFile = agentShim(jobDir);
  const timingsFile = join(jobDir, "timings.json");
  const timings = loadTimings(ctx, job.name);
  if (timings) writeFileSync(timingsFile, JSON.stringify(Object.fromEntries(timings)));
  // `circleci tests glob|split` for steps on this machine; a docker executor's steps run in its
  // image, where this machine's node is not: there `circleci` is missing (README: differences).
  if (job.executor.type !== "docker") circleciShim(jobDir, timingsFile);
  const { ciEnv, env } = jobVariables(job, ctx, node, workflowId, { jobDir, home, tmp, workdir, bashEnv });
  const result = empty(job.name, "passed", 1);
  const store = new CacheStore(ctx.cacheDir);
  return { ctx, node, jobDir, workdir, tmp, mapPath, env, ciEnv, haltFile, store, background: [], result, out };
}

// Two sets: a container gets only CircleCI's and the config's (`ciEnv`); a step on this machine
// also inherits this process's environment (`env`), as a machine executor's shell would.
function jobVariables(
  job: Job,
  ctx: RunContext,
  node: Node,
  workflowId: string,
  dirs: { jobDir: string; home: string; tmp: string; workdir: string; bashEnv: string },
): { ciEnv: Record<string, string>; env: Record<string, string> } {
  const isolated = ctx.isolation.mode === "namespace";
  const ciEnv: Record<string, string> = {
    CI: "true",
    CIRCLECI: "true",
    CIRCLE_SHA1: ctx.revision,
    CIRCLE_BRANCH: ctx.branch,
    ...(ctx.tag ? { CIRCLE_TAG: ctx.tag } : {}),
    CIRCLE_BUILD_NUM: String(ctx.buildNum),
    CIRCLE_JOB: job.name,
    CIRCLE_WORKING_DIRECTORY: dirs.workdir,
    CIRCLE_PROJECT_REPONAME: basename(ctx.root),
    CIRCLE_PROJECT_USERNAME: "local",
    CIRCLE_NODE_INDEX: String(node.index),
    CIRCLE_NODE_TOTAL: String(node.total),
    CIRCLE_WORKFLOW_ID: workflowId,
    BASH_ENV: dirs.bashEnv,
    HOME: dirs.home,
    ...(isolated ? {} : { TMPDIR: dirs.tmp, GEN_CIRCLE_STATE: join(dirs.tmp, "gen-circle") }),
    ...job.environment,
    ...ctx.env,
  };
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...ciEnv };
  // On its own /tmp a job needs neither; this machine's values would point it elsewhere.
  if (isolated) for (const k of ["TMPDIR", "GEN_CIRCLE_STATE"]) if (!(k in ciEnv)) delete env[k];
  env.PATH = `${join(dirs.jobDir, "bin")}:${env.PATH ?? "/usr/bin:/bin"}`;
  // This machine's docker client setup without its logins (docker-config.ts), unless the config
  // sets DOCKER_CONFIG itself. On this machine's side only: a container has its own.
  if (!("DOCKER_CONFIG" in ciEnv)) env.DOCKER_CONFIG = jobDockerConfig(machineDockerConfig(process.env), dirs.home);
  if (!ctx.tag) delete env.CIRCLE_TAG;
  return { ciEnv, env };
}

// The container idles so that each step can `docker exec` its own shell, with its own variables.
function startContainer(job: Job, { node, jobDir, workdir }: Omit<JobEnv, "container">): { container: string } | { error: string } {
  const image = job.executor.image;
  if (spawnSync("docker", ["image", "inspect", image], { stdio: "ignore" }).status !== 0)
    return { error: `the docker executor's image ${image} is not in the local engine: 'docker pull ${image}' (or build it), then run again` };
  const container = `gc-run-${job.name.replace(/[^a-zA-Z0-9_.-]/g, "-")}-${node.index}-${process.pid}`;
  const remote = job.steps.some((s) => s.kind === "setup_remote_docker");
  const args = ["run", "-d", "--name", container, "-v", `${jobDir}:${jobDir}`, "-w", workdir, "--entrypoint", "sh"];
  if (remote) args.push("-v", "/var/run/docker.sock:/var/run/docker.sock");
  args.push(image, "-c", "sleep 2147483647");
  const r = spawnSync("docker", args, { encoding: "utf8" });
  if (r.status !== 0) return { error: `could not start ${image}: ${r.stderr.trim()}` };
  return { container };
}

export { interrupt, killTree } from "./interrupt.js";
export { summary } from "./summary.js";
