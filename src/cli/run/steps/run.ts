import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { interrupt, killTree } from "../interrupt.js";
import { onMachine } from "../machine.js";
import { type JobEnv, passed, type StepHandler, type StepOf } from "./step.js";

type RunStep = StepOf<"run">;

/** `run`: the command in its shell, on this machine or in the job's container. */
export const run: StepHandler<"run"> = {
  name: (step) => step.name,
  when: (step) => step.when,
  async run(step, job) {
    const cwd = step.workingDirectory ? job.mapPath(step.workingDirectory, job.workdir) : job.workdir;
    const inContainer = { ...job.ciEnv, PATH: `${join(job.jobDir, "bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, ...step.environment };
    const code = await runCommand(step, { ...job.env, ...step.environment }, job.container ? inContainer : { ...job.ciEnv, ...step.environment }, cwd, job);
    if (code !== 0) return { ok: false, note: code === null ? "stopped" : `exit ${code}` };
    if (existsSync(job.haltFile)) return { ...passed("circleci-agent step halt: the job ends here"), halt: true };
    return passed();
  },
};

// Resolves to the exit code, null when a signal stopped it, 0 at once for `background`.
function runCommand(step: RunStep, env: Record<string, string>, containerEnv: Record<string, string>, cwd: string, job: JobEnv): Promise<number | null> {
  const script = join(job.jobDir, `step-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(script, step.command + "\n");
  const [cmd, args] = job.container
    ? inContainer(step, containerEnv, cwd, job.container, script)
    : onMachine(job.ctx.isolation, job.tmp, ...shellCommand(step.shell ?? "/bin/bash -eo pipefail", script));
  mkdirSync(cwd, { recursive: true });
  const child = spawn(cmd, args, {
    cwd: job.container ? undefined : cwd,
    env: job.container ? { ...env, ...containerEnv, PATH: env.PATH! } : env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let last = Date.now();
  const seen = () => (last = Date.now());
  relay(child.stdout!, job.out, seen);
  relay(child.stderr!, job.out, seen);
  if (step.background) {
    job.background.push(child);
    return Promise.resolve(0);
  }
  return waitFor(child, step, job.out, () => last);
}

function shellCommand(shell: string, script: string): [string, string[]] {
  const [cmd, ...args] = shell.split(/\s+/);
  return [cmd!, [...args, script]];
}

function inContainer(step: RunStep, containerEnv: Record<string, string>, cwd: string, container: string, script: string): [string, string[]] {
  // The variables go by name (-e NAME): their values stay out of the process list.
  // PATH by value: the docker client itself must keep this machine's PATH (its engine's client).
  const names = Object.keys(containerEnv).filter((k) => k !== "PATH");
  const path = containerEnv.PATH ? ["-e", `PATH=${containerEnv.PATH}`] : [];
  // CircleCI's default shell: /bin/bash -eo pipefail where the image has bash, else /bin/sh -eo pipefail.
  const fallback = ["sh", "-c", 'if [ -x /bin/bash ]; then exec /bin/bash -eo pipefail "$0"; fi; exec /bin/sh -eo pipefail "$0"'];
  const shell = step.shell ? step.shell.split(/\s+/) : fallback;
  return ["docker", ["exec", "-w", cwd, ...names.flatMap((k) => ["-e", k]), ...path, container, ...shell, script]];
}

// Whole lines only: each gets its job's prefix, and jobs running side by side never mix within a line.
function relay(stream: NodeJS.ReadableStream, out: (line: string) => void, seen: () => void): void {
  let buf = "";
  stream.on("data", (d: Buffer) => {
    seen();
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) out(`  ${l}`);
  });
  stream.on("end", () => buf && out(`  ${buf}`));
}

// Stops the step after no_output_timeout (CircleCI's default: 10 min) without output.
function waitFor(child: ChildProcess, step: RunStep, out: (line: string) => void, lastOutput: () => number): Promise<number | null> {
  interrupt.current = child;
  const limit = (step.noOutputTimeout ?? 600) * 1000;
  const timer = setInterval(() => {
    if (Date.now() - lastOutput() > limit) {
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
