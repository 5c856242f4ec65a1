import { Codes, type Code } from "../diagnostics.js";
import type { SourceDoc } from "../spec/load.js";
import { type Ctx, isObj, type Obj, stringMap } from "./expand/context.js";
import { resolveExecutor } from "./expand/executors.js";
import { evalCondition } from "./expand/conditions.js";
import { bindParams, substitute } from "./expand/params.js";
import { expandSteps } from "./expand/steps.js";

// The parts of the expansion: src/run/expand/ (params, conditions, steps, executors, values).
export { duration } from "./expand/values.js";

/**
 * CircleCI 2.1 expansion for `gen-circle run`: commands with parameters, executors, job
 * parameters, workflow job entries, `when`/`unless` steps. Pure: the config comes parsed, with
 * positions for errors. What it does not support is an error naming the key and its line.
 * @see https://circleci.com/docs/reusing-config/
 */
export interface Pipeline {
  branch: string;
  tag: string;
  revision: string;
  number: number;
  /** `<< pipeline.project.slug >>`: on CircleCI `gh/ORG/REPO`; here `local/` and the repository's folder */
  projectSlug?: string;
  /** `<< pipeline.git.base_revision >>`: the build before this one on the branch (none on its first) */
  baseRevision?: string;
  /** pipeline parameters given to this pipeline (a continuation's), over the config's defaults */
  parameters?: Record<string, unknown>;
}

export type Step =
  | { kind: "checkout" }
  | {
      kind: "run";
      name: string;
      command: string;
      shell?: string;
      environment: Record<string, string>;
      workingDirectory?: string;
      background: boolean;
      when: "on_success" | "on_fail" | "always";
      noOutputTimeout?: number;
    }
  | { kind: "save_cache"; name: string; key: string; paths: string[]; when: "on_success" | "on_fail" | "always" }
  | { kind: "restore_cache"; name: string; keys: string[] }
  | { kind: "persist_to_workspace"; root: string; paths: string[] }
  | { kind: "attach_workspace"; at: string }
  | { kind: "store_test_results"; path: string }
  | { kind: "store_artifacts"; path: string; destination?: string }
  | { kind: "setup_remote_docker" };

export interface Executor {
  type: "machine" | "docker";
  image: string;
  /** `resource_class` (default medium) */
  resourceClass: string;
}

export interface Job {
  /** the name in the workflow */
  name: string;
  executor: Executor;
  environment: Record<string, string>;
  workingDirectory?: string;
  parallelism: number;
  steps: Step[];
  requires: string[];
  filters: Filters;
}

export interface Filters {
  branches?: { only?: string[]; ignore?: string[] };
  tags?: { only?: string[]; ignore?: string[] };
}

export class ConfigError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export function listWorkflows(config: Obj): string[] {
  return Object.keys((config.workflows as Obj | undefined) ?? {}).filter((k) => k !== "version");
}

/** The jobs of one workflow, every step expanded. */
export function expandWorkflow(src: SourceDoc, workflowName: string, pipeline: Pipeline): Job[] {
  const config = src.value as Obj;
  const fail = (code: Code, path: (string | number)[], message: string, at: "key" | "value" = "key"): never => {
    const p = src.position(path, at);
    throw new ConfigError(code, message, p.line, p.column);
  };
  if (config.version !== 2.1)
    fail(Codes.runUnsupported, ["version"], `gen-circle run reads CircleCI 2.1 configs; this one has version ${String(config.version)}.`, "value");
  for (const key of Object.keys(config)) {
    if (!["version", "setup", "executors", "commands", "jobs", "workflows", "parameters"].includes(key)) {
      fail(Codes.runUnsupported, [key], `gen-circle run does not support the top-level key '${key}' (orbs, setup and the like need CircleCI itself).`);
    }
  }
  const workflows = (config.workflows as Obj | undefined) ?? {};
  const wf = workflows[workflowName];
  if (!isObj(wf)) fail(Codes.runReference, ["workflows"], `No workflow '${workflowName}'. Workflows: ${listWorkflows(config).join(", ") || "(none)"}.`);
  const commands = (config.commands as Obj | undefined) ?? {};
  const executors = (config.executors as Obj | undefined) ?? {};
  const jobs = (config.jobs as Obj | undefined) ?? {};

  const ctx: Ctx = { fail, commands, executors, pipelineValues: pipelineValues(config, pipeline) };

  const out: Job[] = [];
  const entries = (wf as Obj).jobs;
  if (!Array.isArray(entries)) fail(Codes.runShape, ["workflows", workflowName], "The workflow has no jobs list.");
  (entries as unknown[]).forEach((entry, i) => {
    const path = ["workflows", workflowName, "jobs", i];
    const jobName = typeof entry === "string" ? entry : Object.keys(entry as Obj)[0]!;
    const args = typeof entry === "string" ? {} : (((entry as Obj)[jobName] as Obj | null) ?? {});
    const def = jobs[jobName];
    if (!isObj(def)) fail(Codes.runReference, path, `No job '${jobName}'.`, "value");
    const jobPath = ["jobs", jobName];
    const given = Object.fromEntries(
      Object.entries(args).filter(([k]) => !["requires", "filters", "context", "name", "matrix", "type", "serial-group"].includes(k)),
    );
    if ("matrix" in args) fail(Codes.runUnsupported, path, "gen-circle run does not support 'matrix'.");
    if ("serial-group" in args) serialGroup(ctx, args["serial-group"], [...path, jobName, "serial-group"]);
    const params = bindParams(ctx, (def as Obj).parameters, given, path);
    const { executor, environment, workingDirectory } = resolveExecutor(ctx, def as Obj, params, jobPath);
    const steps = expandSteps(ctx, (def as Obj).steps, params, [...jobPath, "steps"], 0);
    out.push({
      name: typeof args.name === "string" ? args.name : jobName,
      executor,
      environment: stringMap(substitute(ctx, environment, params, jobPath)),
      workingDirectory,
      parallelism: typeof (def as Obj).parallelism === "number" ? ((def as Obj).parallelism as number) : 1,
      steps,
      requires: Array.isArray(args.requires) ? (args.requires as string[]).map(String) : [],
      filters: normFilters(args.filters),
    });
  });
  const names = new Set(out.map((j) => j.name));
  out.forEach((j, i) => {
    for (const r of j.requires)
      if (!names.has(r)) fail(Codes.runReference, ["workflows", workflowName, "jobs", i], `Job '${j.name}' requires '${r}', which is not in the workflow.`);
  });
  return out;
}

/** `<< pipeline.* >>` values: the pipeline's git facts, and its parameters (declared defaults, then the given values). */
function pipelineValues(config: Obj, pipeline: Pipeline): Record<string, string> {
  const values: Record<string, string> = {
    "pipeline.git.branch": pipeline.branch,
    "pipeline.git.tag": pipeline.tag,
    "pipeline.git.revision": pipeline.revision,
    "pipeline.git.base_revision": pipeline.baseRevision ?? "",
    "pipeline.number": String(pipeline.number),
    "pipeline.project.slug": pipeline.projectSlug ?? "local/project",
  };
  const declared = isObj(config.parameters) ? config.parameters : {};
  for (const [name, decl] of Object.entries(declared)) if (isObj(decl) && "default" in decl) values[`pipeline.parameters.${name}`] = String(decl.default);
  for (const [name, value] of Object.entries(pipeline.parameters ?? {})) values[`pipeline.parameters.${name}`] = String(value);
  return values;
}

/** Whether a workflow runs in this pipeline: its `when` holds and its `unless` does not (CircleCI's logic statements). */
export function workflowRuns(src: SourceDoc, workflowName: string, pipeline: Pipeline): boolean {
  const config = src.value as Obj;
  const wf = ((config.workflows as Obj | undefined) ?? {})[workflowName];
  if (!isObj(wf)) return false;
  const fail = (code: Code, path: (string | number)[], message: string, at: "key" | "value" = "key"): never => {
    const p = src.position(path, at);
    throw new ConfigError(code, message, p.line, p.column);
  };
  const ctx: Ctx = { fail, commands: {}, executors: {}, pipelineValues: pipelineValues(config, pipeline) };
  const path = ["workflows", workflowName];
  const holds = (key: "when" | "unless") => evalCondition(ctx, substitute(ctx, wf[key], {}, [...path, key]), [...path, key]);
  return ("when" in wf ? holds("when") : true) && !("unless" in wf && holds("unless"));
}

function normFilters(v: unknown): Filters {
  if (!isObj(v)) return {};
  const one = (x: unknown) => (x === undefined ? undefined : Array.isArray(x) ? x.map(String) : [String(x)]);
  const part = (x: unknown) => (isObj(x) ? { only: one(x.only), ignore: one(x.ignore) } : undefined);
  return { branches: part(v.branches), tags: part(v.tags) };
}

/**
 * A job's `serial-group` as CircleCI reads it: a string of letters, digits, `.`, `-`, `_` and `/`
 * once its pipeline values are filled in. A local run is one pipeline: the group orders nothing
 * here, but a value CircleCI would refuse is refused.
 */
function serialGroup(ctx: Ctx, value: unknown, path: (string | number)[]): void {
  if (typeof value !== "string" || !value) ctx.fail(Codes.runValue, path, "serial-group must be a non-empty string.", "value");
  const filled = substitute(ctx, value, {}, path) as string;
  if (!/^[A-Za-z0-9._/-]+$/.test(filled))
    ctx.fail(Codes.runValue, path, `serial-group '${filled}' may hold only letters, digits, '.', '-', '_' and '/'.`, "value");
}
