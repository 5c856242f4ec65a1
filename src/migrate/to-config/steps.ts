import type { RunShape, StepShape } from "../../model/circleci.js";
import type { Command, Phases } from "../v1.js";
import { type ConfigCtx, type Job, short } from "./context.js";

/** A 1.0 command as a run step, with its modifiers; what 2.0 cannot do the same way is a note. */
export function runStep(ctx: ConfigCtx, cmd: Command): StepShape {
  const r: RunShape = { command: cmd.command };
  const pwd = cmd.pwd ?? ctx.c.general.buildDir;
  if (pwd) r.working_directory = pwd.startsWith("/") || pwd.startsWith("~") || pwd.startsWith("$") ? pwd : `~/project/${pwd}`;
  if (cmd.environment) r.environment = cmd.environment;
  if (cmd.timeout) r.no_output_timeout = `${cmd.timeout}s`;
  if (cmd.background) r.background = true;
  runNotes(ctx, cmd);
  return { run: r };
}

function runNotes({ notes }: ConfigCtx, cmd: Command): void {
  if (cmd.pwd?.includes("$"))
    notes.push({
      at: cmd.at,
      what: `pwd: ${cmd.pwd}`,
      why: "2.0 does not expand variables in working_directory: replace it with a literal path, or 'cd' in the command.",
    });
  if (cmd.parallel || cmd.files)
    notes.push({
      at: cmd.at,
      what: "parallel/files modifiers",
      why: "Set the job's parallelism and split the files with `circleci tests glob ... | circleci tests split`; the command runs once per container as written.",
    });
  if (cmd.unknown.length) notes.push({ at: cmd.at, what: `modifiers ${cmd.unknown.join(", ")}`, why: "Not known to CircleCI 1.0's reference: not migrated." });
  if (/docker login .*-p\s/.test(cmd.command))
    notes.push({
      at: cmd.at,
      what: "docker login -p",
      why: 'The password is on the command line (visible in the process list); use `echo "$DOCKER_PASS" | docker login -u "$DOCKER_USER" --password-stdin`.',
    });
  if (/docker login\b.*\s-e\s/.test(cmd.command))
    notes.push({ at: cmd.at, what: "docker login -e", why: "Docker removed the --email flag; this command fails on a current Docker: drop '-e ...'." });
}

/** A section's pre, override and post commands, in that order. */
export function phaseSteps(ctx: ConfigCtx, job: Job, name: string, p: Phases): void {
  for (const k of ["pre", "override", "post"] as const) for (const cmd of p[k]) job.add(runStep(ctx, cmd), cmd.at, `${name}.${k}: ${short(cmd.command)}`);
}

/** The step that exports machine.environment's values that refer to other variables. */
export function bashEnvStep(bashEnv: string[]): StepShape {
  return { run: { name: "Environment (from machine.environment)", command: bashEnv.join("\n") } };
}
