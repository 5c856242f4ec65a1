import { Codes } from "../../diagnostics.js";
import type { Executor } from "../expand.js";
import { type Ctx, isObj, type Obj } from "./context.js";
import { bindParams, substitute } from "./params.js";

/** A job's executor (its own, or a named one with parameters), environment and working directory. */
export function resolveExecutor(
  ctx: Ctx,
  job: Obj,
  params: Record<string, unknown>,
  path: (string | number)[],
): { executor: Executor; environment: Obj; workingDirectory?: string } {
  const { fail, executors } = ctx;
  let e: Obj = job;
  const ex = job.executor;
  if (ex !== undefined) {
    const name = typeof ex === "string" ? ex : isObj(ex) ? String(ex.name) : "";
    const def = executors[name];
    if (!isObj(def)) fail(Codes.runReference, [...path, "executor"], `No executor '${name}'.`);
    e = substitute(
      ctx,
      def,
      bindParams(ctx, (def as Obj).parameters, isObj(ex) ? Object.fromEntries(Object.entries(ex).filter(([k]) => k !== "name")) : {}, [...path, "executor"]),
      [...path, "executor"],
    ) as Obj;
    e = substitute(ctx, e, params, path) as Obj;
  }
  const environment = { ...(isObj(e.environment) ? e.environment : {}), ...(isObj(job.environment) ? job.environment : {}) };
  const workingDirectory = (job.working_directory ?? e.working_directory) as string | undefined;
  // What the job is billed by (`gen-circle cost`); CircleCI's default is medium.
  const rc = job.resource_class ?? e.resource_class;
  const resourceClass = typeof rc === "string" ? rc : "medium";
  if (isObj(e.machine) || e.machine === true) {
    return { executor: { type: "machine", image: String((e.machine as Obj)?.image ?? "default"), resourceClass }, environment, workingDirectory };
  }
  if (e.docker !== undefined) {
    const first = Array.isArray(e.docker) ? e.docker[0] : undefined;
    if (!isObj(first) || typeof first.image !== "string")
      return fail(Codes.runShape, [...path, "docker"], "'docker' takes a list of images: docker: [{ image: NAME }].");
    return { executor: { type: "docker", image: first.image, resourceClass }, environment, workingDirectory };
  }
  if (e.macos || e.windows) fail(Codes.runUnsupported, path, "gen-circle run runs machine and docker executors only.");
  return fail(Codes.runShape, path, "The job has no executor (machine or docker).");
}
