import { branchTagFilters, type FilterShape, type JobShape, type WorkflowJobShape, workflowJob } from "../../model/circleci.js";
import type { Deployment, V1Config } from "../v1.js";
import { type ConfigCtx, type Job, job, type JobEnv, short } from "./context.js";
import { bashEnvStep, runStep } from "./steps.js";

/** The jobs and the workflow: the build job, and a deploy job per deployment behind it. */
export function workflowJobs(ctx: ConfigCtx, build: Job, env: JobEnv, usesDocker: boolean): { jobs: Record<string, JobShape>; workflow: WorkflowJobShape[] } {
  const { c, mapped, notes } = ctx;
  const jobs: Record<string, JobShape> = { build: { executor: "default", steps: build.steps } };
  const workflow: WorkflowJobShape[] = [workflowJob("build", [], buildFilters(c))];
  const used = new Set(["build"]);
  for (const d of c.deployments) {
    let name = `deploy-${slug(d.name)}`;
    for (let i = 2; used.has(name); i++) name = `deploy-${slug(d.name)}-${i}`;
    used.add(name);
    jobs[name] = { executor: "default", steps: deployJob(ctx, d, name, env).steps };
    workflow.push(workflowJob(name, ["build"], branchTagFilters(d.branches, d.tags)));
    mapped.push({
      at: d.at,
      what: `deployment ${d.name}`,
      to: `jobs.${name}, workflow filters ${d.tags.length ? `tags ${d.tags.join(", ")}` : `branches ${d.branches.join(", ") || "(all)"}`}`,
    });
    if (d.branches.length && d.tags.length)
      notes.push({ at: d.at, what: `deployment ${d.name}`, why: "It has both branch and tag: migrated for the tags only; add a second job for the branches." });
    if (usesDocker) {
      notes.push({
        at: d.at,
        what: `deployment ${d.name}: docker push`,
        why: "The deploy job runs on a new machine: images built in the build job are not there. Rebuild or load them first (or run 'gen-circle migrate --spec', whose pipeline hands the tested image over).",
      });
    }
  }
  return { jobs, workflow };
}

/**
 * The build job runs for 1.0's branches, and for the deployments' tags (a tag job's upstream
 * must name the tags too, or CircleCI never runs it for a tag).
 */
function buildFilters(c: V1Config): FilterShape | undefined {
  const tagFilters = [...new Set(c.deployments.flatMap((d) => d.tags))];
  const branches = c.general.branchesOnly.length
    ? { only: c.general.branchesOnly }
    : c.general.branchesIgnore.length
      ? { ignore: c.general.branchesIgnore }
      : undefined;
  return branches || tagFilters.length ? { ...(branches ? { branches } : {}), ...(tagFilters.length ? { tags: { only: tagFilters } } : {}) } : undefined;
}

/** A deployment's job: the build's workspace, the environment, its commands and its heroku push. */
function deployJob(ctx: ConfigCtx, d: Deployment, name: string, { bashEnv }: JobEnv): Job {
  const deploy = job(ctx, name);
  deploy.add({ attach_workspace: { at: "~/project" } });
  if (bashEnv.length) deploy.add(bashEnvStep(bashEnv));
  for (const cmd of d.commands) deploy.add(runStep(ctx, cmd), cmd.at, `deployment.${d.name}: ${short(cmd.command)}`);
  if (d.heroku) {
    deploy.add(
      {
        run: {
          name: `Deploy to Heroku (${d.heroku.appname})`,
          command: `git push --force "https://heroku:$HEROKU_API_KEY@git.heroku.com/${d.heroku.appname}.git" "HEAD:refs/heads/main"`,
        },
      },
      d.heroku.at,
      `deployment.${d.name}.heroku`,
    );
  }
  if (!deploy.steps.some((s) => typeof s === "object" && "run" in s))
    deploy.add({ run: { name: "Nothing to deploy", command: "echo 'deployment had no commands'" } });
  return deploy;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "deploy"
  );
}
