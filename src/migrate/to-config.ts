import type { CircleConfigShape } from "../model/circleci.js";
import { buildJob } from "./to-config/build.js";
import type { ConfigCtx } from "./to-config/context.js";
import { workflowJobs } from "./to-config/deploy.js";
import { dockerExecutor, jobEnvironment, machineExecutor } from "./to-config/executor.js";
import type { Note, Pos, V1Config } from "./v1.js";

/**
 * A CircleCI 1.0 config as a 2.1 config: one `build` job with every phase in 1.0 order, and a
 * deploy job per deployment behind it, with the filters the deployment's branch and tag ask for.
 * @see CircleCI's 1.0 → 2.0 migration guide
 */
export interface Mapped {
  at: Pos;
  what: string;
  to: string;
}

export function toConfig(c: V1Config): { config: CircleConfigShape; mapped: Mapped[]; notes: Note[] } {
  const all = [c.machine, c.checkout, c.dependencies, c.database, c.compile, c.test].flatMap((p) => [...p.pre, ...p.override, ...p.post]);
  const text = all.map((x) => x.command).join("\n") + "\n" + c.deployments.flatMap((d) => d.commands.map((x) => x.command)).join("\n");
  const ctx: ConfigCtx = { c, text, mapped: [], notes: [...c.notes] };
  // In this order: the report lists what came of a line in the order it was mapped.
  const usesDocker = c.machine.services.some((s) => s.name === "docker") || /\bdocker(-compose)?\s/.test(text);
  const executor = usesDocker ? machineExecutor(ctx) : dockerExecutor(ctx);
  const env = jobEnvironment(ctx, executor);
  const build = buildJob(ctx, env);
  const { jobs, workflow } = workflowJobs(ctx, build, env, usesDocker);
  const config: CircleConfigShape = {
    version: 2.1,
    executors: { default: executor },
    jobs,
    workflows: { build_and_deploy: { jobs: workflow } },
  };
  return { config, mapped: ctx.mapped, notes: ctx.notes };
}
