import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { Job, Step } from "../../run/expand.js";
import { jobRuns } from "../../run/filters.js";
import { nextMove, selectJobs } from "../../run/schedule.js";
import { CacheStore } from "./cache-store.js";
import { jobDockerConfig, machineDockerConfig } from "./docker-config.js";
import { type Isolation, onMachine } from "./machine.js";
import { agentShim, circleciShim } from "./shims.js";
import { storageStep } from "./steps.js";
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

/** Set by Ctrl-C: the running step is stopped, `when: always` steps still run, no new job starts. */
export const interrupt = { requested: false, current: undefined as ChildProcess | undefined };

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
  const jobDir = join(ctx.output, "jobs", node.total > 1 ? `${job.name}-node${node.index}` : job.name);
  rmSync(jobDir, { recursive: true, force: true });
  const home = join(jobDir, "home");
  mkdirSync(home, { recursive: true });
  // Each CircleCI job has a machine of its own: here, a home and a /tmp of its own. ~ and /tmp in
  // the config's paths (cache paths, checksum files, workspace roots) name the job's folders; the
  // steps see that folder on /tmp (a mount namespace, as root), or else get TMPDIR and
  // GEN_CIRCLE_STATE there. Only caches and workspaces carry anything from one job to the next.
  const tmp = join(jobDir, "tmp");
  mkdirSync(join(tmp, "gen-circle"), { recursive: true });
  chmodSync(tmp, 0o1777);
  const isolated = ctx.isolation.mode === "namespace";
  const mapPath = (p: string, cwd: string) => {
    if (p === "~" || p.startsWith("~/")) return join(home, p.slice(1));
    if (p === "/tmp" || p.startsWith("/tmp/")) return join(tmp, p.slice(4));
    return isAbsolute(p) ? p : resolve(cwd, p);
  };
  const workdir = mapPath(job.workingDirectory ?? "~/project", home);
  mkdirSync(workdir, { recursive: true });
  const bashEnv = join(jobDir, "bash_env");
  writeFileSync(bashEnv, "");
  const halt = agentShim(jobDir);
  const timingsFile = join(jobDir, "timings.json");
  const timings = loadTimings(ctx, job.name);
  if (timings) writeFileSync(timingsFile, JSON.stringify(Object.fromEntries(timings)));
  // `circleci tests glob|split` for steps on this machine; a docker executor's steps run in its
  // image, where this machine's node is not: there `circleci` is missing (README: differences).
  if (job.executor.type !== "docker") circleciShim(jobDir, timingsFile);
  const ciEnv: Record<string, string> = {
    CI: "true",
    CIRCLECI: "true",
    CIRCLE_SHA1: ctx.revision,
    CIRCLE_BRANCH: ctx.branch,
    ...(ctx.tag ? { CIRCLE_TAG: ctx.tag } : {}),
    CIRCLE_BUILD_NUM: String(ctx.buildNum),
    CIRCLE_JOB: job.name,
    CIRCLE_WORKING_DIRECTORY: workdir,
    CIRCLE_PROJECT_REPONAME: basename(ctx.root),
    CIRCLE_PROJECT_USERNAME: "local",
    CIRCLE_NODE_INDEX: String(node.index),
    CIRCLE_NODE_TOTAL: String(node.total),
    CIRCLE_WORKFLOW_ID: workflowId,
    BASH_ENV: bashEnv,
    HOME: home,
    ...(isolated ? {} : { TMPDIR: tmp, GEN_CIRCLE_STATE: join(tmp, "gen-circle") }),
    ...job.environment,
    ...ctx.env,
  };
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...ciEnv };
  // On its own /tmp a job needs neither; this machine's values would point it elsewhere.
  if (isolated) for (const k of ["TMPDIR", "GEN_CIRCLE_STATE"]) if (!(k in ciEnv)) delete env[k];
  env.PATH = `${join(jobDir, "bin")}:${env.PATH ?? "/usr/bin:/bin"}`;
  // This machine's docker client setup without its logins (docker-config.ts), unless the config
  // sets DOCKER_CONFIG itself. On this machine's side only: a container has its own.
  if (!("DOCKER_CONFIG" in ciEnv)) env.DOCKER_CONFIG = jobDockerConfig(machineDockerConfig(process.env), home);
  if (!ctx.tag) delete env.CIRCLE_TAG;
  const result = empty(job.name, "passed", 1);
  const t0 = Date.now();
  const store = new CacheStore(ctx.cacheDir);
  const background: ChildProcess[] = [];
  let failed = false;
  let halted = false;
  let container: string | undefined;
  out(`job ${job.name}${node.total > 1 ? `, node ${node.index} of ${node.total}` : ""} (${job.executor.type}: ${job.executor.image})`);

  if (job.executor.type === "docker") {
    const image = job.executor.image;
    if (spawnSync("docker", ["image", "inspect", image], { stdio: "ignore" }).status !== 0) {
      out(`✗ the docker executor's image ${image} is not in the local engine: 'docker pull ${image}' (or build it), then run again`);
      result.status = "failed";
      return result;
    }
    container = `gc-run-${job.name.replace(/[^a-zA-Z0-9_.-]/g, "-")}-${node.index}-${process.pid}`;
    const remote = job.steps.some((s) => s.kind === "setup_remote_docker");
    const args = ["run", "-d", "--name", container, "-v", `${jobDir}:${jobDir}`, "-w", workdir, "--entrypoint", "sh"];
    if (remote) args.push("-v", "/var/run/docker.sock:/var/run/docker.sock");
    args.push(image, "-c", "sleep 2147483647");
    const r = spawnSync("docker", args, { encoding: "utf8" });
    if (r.status !== 0) {
      out(`✗ could not start ${image}: ${r.stderr.trim()}`);
      result.status = "failed";
      return result;
    }
  }

  try {
    for (const step of job.steps) {
      const when = "when" in step ? step.when : step.kind === "store_test_results" || step.kind === "store_artifacts" ? "always" : "on_success";
      const name = stepName(step);
      if (halted) {
        // circleci-agent step halt ends the job there, green: no later step runs, whatever its when.
        result.steps.push({ name, status: "skipped", ms: 0 });
        continue;
      }
      if ((when === "on_success" && (failed || interrupt.requested)) || (when === "on_fail" && !failed)) {
        result.steps.push({ name, status: "skipped", ms: 0 });
        continue;
      }
      const s0 = Date.now();
      let ok = true;
      let note = "";
      try {
        switch (step.kind) {
          case "checkout":
            checkout(ctx, workdir);
            break;
          case "run": {
            const cwd = step.workingDirectory ? mapPath(step.workingDirectory, workdir) : workdir;
            const inContainer = { ...ciEnv, PATH: `${join(jobDir, "bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, ...step.environment };
            const code = await runCommand(
              step,
              { ...env, ...step.environment },
              container ? inContainer : { ...ciEnv, ...step.environment },
              cwd,
              jobDir,
              container,
              out,
              background,
              (cmd, args) => onMachine(ctx.isolation, tmp, cmd, args),
            );
            ok = code === 0;
            if (!ok) note = code === null ? "stopped" : `exit ${code}`;
            if (ok && existsSync(halt)) {
              halted = true;
              note = "circleci-agent step halt: the job ends here";
            }
            break;
          }
          case "restore_cache":
          case "save_cache":
          case "persist_to_workspace":
          case "attach_workspace":
          case "store_test_results":
          case "store_artifacts":
            note = storageStep(step, { ctx, env, workdir, mapPath, store, result, node, jobDir });
            break;
          case "setup_remote_docker":
            note = "uses this machine's engine";
            break;
        }
      } catch (e) {
        ok = false;
        note = (e as Error).message;
      }
      const ms = Date.now() - s0;
      result.steps.push({ name, status: ok ? "passed" : "failed", ms });
      out(`${ok ? "✓" : "✗"} ${name} (${secs(ms)})${note ? `: ${note}` : ""}`);
      if (!ok) failed = true;
    }
  } finally {
    for (const b of background) killTree(b);
    if (container) spawnSync("docker", ["rm", "-f", container], { stdio: "ignore" });
  }
  result.status = failed || interrupt.requested ? "failed" : "passed";
  result.ms = Date.now() - t0;
  out(`${result.status === "passed" ? "✓" : "✗"} job ${job.name} ${result.status} in ${secs(result.ms)}`);
  return result;
}

function stepName(s: Step): string {
  switch (s.kind) {
    case "run":
    case "save_cache":
    case "restore_cache":
      return s.name;
    case "checkout":
      return "Checkout code";
    case "persist_to_workspace":
      return "Persisting to workspace";
    case "attach_workspace":
      return "Attaching workspace";
    case "store_test_results":
      return `Storing test results (${s.path})`;
    case "store_artifacts":
      return `Storing artifacts (${s.path})`;
    case "setup_remote_docker":
      return "Setting up remote docker";
  }
}

/** A clean copy of the repository at the commit under test (plus uncommitted changes with --dirty). */
function checkout(ctx: RunContext, workdir: string): void {
  rmSync(workdir, { recursive: true, force: true });
  const git = (args: string[], cwd?: string) => {
    const r = spawnSync("git", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  git(["clone", "-q", "--no-checkout", "--no-hardlinks", ctx.root, workdir]);
  git(["checkout", "-q", "--detach", ctx.revision], workdir);
  if (ctx.dirty) {
    for (const f of git(["ls-files", "-m", "-o", "--exclude-standard", "-z"], ctx.root).split("\0").filter(Boolean)) {
      const from = join(ctx.root, f);
      if (existsSync(from)) {
        mkdirSync(dirname(join(workdir, f)), { recursive: true });
        cpSync(from, join(workdir, f));
      }
    }
    for (const f of git(["ls-files", "-d", "-z"], ctx.root).split("\0").filter(Boolean)) rmSync(join(workdir, f), { force: true });
  }
}

function runCommand(
  step: Extract<Step, { kind: "run" }>,
  env: Record<string, string>,
  containerEnv: Record<string, string>,
  cwd: string,
  jobDir: string,
  container: string | undefined,
  out: (line: string) => void,
  background: ChildProcess[],
  machine: (cmd: string, args: string[]) => [string, string[]],
): Promise<number | null> {
  const script = join(jobDir, `step-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(script, step.command + "\n");
  const shell = (step.shell ?? "/bin/bash -eo pipefail").split(/\s+/);
  let cmd: string;
  let args: string[];
  if (container) {
    cmd = "docker";
    // The variables go by name (-e NAME): their values stay out of the process list.
    // PATH by value: the docker client itself must keep this machine's PATH (its engine's client).
    const names = Object.keys(containerEnv).filter((k) => k !== "PATH");
    const path = containerEnv.PATH ? ["-e", `PATH=${containerEnv.PATH}`] : [];
    // CircleCI's default shell: /bin/bash -eo pipefail where the image has bash, else /bin/sh -eo pipefail.
    const fallback = ["sh", "-c", 'if [ -x /bin/bash ]; then exec /bin/bash -eo pipefail "$0"; fi; exec /bin/sh -eo pipefail "$0"'];
    args = ["exec", "-w", cwd, ...names.flatMap((k) => ["-e", k]), ...path, container, ...(step.shell ? shell : fallback), script];
  } else {
    [cmd, args] = machine(shell[0]!, [...shell.slice(1), script]);
  }
  mkdirSync(cwd, { recursive: true });
  const child = spawn(cmd, args, {
    cwd: container ? undefined : cwd,
    env: container ? { ...env, ...containerEnv, PATH: env.PATH! } : env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const relay = (stream: NodeJS.ReadableStream) => {
    let buf = "";
    stream.on("data", (d: Buffer) => {
      last = Date.now();
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) out(`  ${l}`);
    });
    stream.on("end", () => buf && out(`  ${buf}`));
  };
  let last = Date.now();
  relay(child.stdout!);
  relay(child.stderr!);
  if (step.background) {
    background.push(child);
    return Promise.resolve(0);
  }
  interrupt.current = child;
  const limit = (step.noOutputTimeout ?? 600) * 1000;
  const timer = setInterval(() => {
    if (Date.now() - last > limit) {
      out(`  no output for ${step.noOutputTimeout ?? 600} s: stopping the step`);
      killTree(child);
    }
  }, 1000);
  return new Promise((resolvePromise) => {
    child.on("close", (code, signal) => {
      clearInterval(timer);
      interrupt.current = undefined;
      resolvePromise(signal ? null : code);
    });
  });
}

export function killTree(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGINT");
  } catch {
    /* gone */
  }
  setTimeout(() => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }, 5000).unref();
}

export { summary } from "./summary.js";
