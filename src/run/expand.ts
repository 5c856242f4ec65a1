import { Codes, type Code } from "../diagnostics.js";
import type { SourceDoc } from "../spec/load.js";

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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

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
  const timeout = (value: string, path: (string | number)[]): number => {
    const seconds = duration(value);
    if (seconds === null)
      return fail(Codes.runValue, path, `no_output_timeout ${JSON.stringify(value)} is not a duration: write it with a unit, e.g. 10m, 90s or 1h30m.`, "value");
    return seconds;
  };
  /** A required string, or an error at the step's key. */
  const text = (body: Obj, key: string, path: (string | number)[]): string => {
    const v = body[key];
    if (typeof v !== "string" && typeof v !== "number") return fail(Codes.runShape, path, `'${String(path[path.length - 1])}' needs '${key}' (a string).`);
    return String(v);
  };
  /** A required list of strings, or an error at the step's key. */
  const texts = (body: Obj, key: string, path: (string | number)[]): string[] => {
    const v = body[key];
    if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== "string" && typeof x !== "number")) {
      return fail(Codes.runShape, path, `'${String(path[path.length - 1])}' needs '${key}' (a list of strings).`);
    }
    return v.map(String);
  };
  if (config.version !== 2.1)
    fail(Codes.runUnsupported, ["version"], `gen-circle run reads CircleCI 2.1 configs; this one has version ${String(config.version)}.`, "value");
  for (const key of Object.keys(config)) {
    if (!["version", "executors", "commands", "jobs", "workflows", "parameters"].includes(key)) {
      fail(Codes.runUnsupported, [key], `gen-circle run does not support the top-level key '${key}' (orbs, setup and the like need CircleCI itself).`);
    }
  }
  const workflows = (config.workflows as Obj | undefined) ?? {};
  const wf = workflows[workflowName];
  if (!isObj(wf)) fail(Codes.runReference, ["workflows"], `No workflow '${workflowName}'. Workflows: ${listWorkflows(config).join(", ") || "(none)"}.`);
  const commands = (config.commands as Obj | undefined) ?? {};
  const executors = (config.executors as Obj | undefined) ?? {};
  const jobs = (config.jobs as Obj | undefined) ?? {};

  const pipelineValues: Record<string, string> = {
    "pipeline.git.branch": pipeline.branch,
    "pipeline.git.tag": pipeline.tag,
    "pipeline.git.revision": pipeline.revision,
    "pipeline.number": String(pipeline.number),
  };

  /** `<< parameters.x >>` and `<< pipeline.* >>` in every string of a value. */
  const substitute = (value: unknown, params: Record<string, unknown>, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      const whole = /^<<\s*parameters\.([\w-]+)\s*>>$/.exec(value);
      if (whole) {
        if (!(whole[1]! in params)) fail(Codes.runParameter, path, `Unknown parameter '${whole[1]}'.`, "value");
        return params[whole[1]!];
      }
      return value.replace(/<<\s*([\w.-]+)\s*>>/g, (_m, name: string) => {
        if (name.startsWith("parameters.")) {
          const p = name.slice("parameters.".length);
          if (!(p in params)) fail(Codes.runParameter, path, `Unknown parameter '${p}'.`, "value");
          return String(params[p]);
        }
        if (name in pipelineValues) return pipelineValues[name]!;
        return fail(Codes.runUnsupported, path, `gen-circle run does not know '<< ${name} >>'.`, "value");
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => substitute(v, params, [...path, i]));
    if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params, [...path, k])]));
    return value;
  };

  const bindParams = (decl: unknown, given: Obj, path: (string | number)[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const d = isObj(decl) ? decl : {};
    for (const [name, spec] of Object.entries(d)) {
      const s = isObj(spec) ? spec : {};
      if (name in given) out[name] = given[name];
      else if ("default" in s) out[name] = s.default;
      else fail(Codes.runParameter, path, `Missing parameter '${name}'.`);
      if (s.type === "integer" && typeof out[name] !== "number") fail(Codes.runParameter, path, `Parameter '${name}' must be an integer.`);
      if (s.type === "boolean" && typeof out[name] !== "boolean") fail(Codes.runParameter, path, `Parameter '${name}' must be a boolean.`);
    }
    for (const name of Object.keys(given)) if (!(name in d) && name !== "name") fail(Codes.runParameter, path, `Unknown parameter '${name}'.`);
    return out;
  };

  const evalCondition = (c: unknown, path: (string | number)[]): boolean => {
    if (typeof c === "boolean") return c;
    if (typeof c === "string") return c !== "" && c !== "false";
    if (typeof c === "number") return c !== 0;
    if (c === null || c === undefined) return false;
    if (!isObj(c)) return fail(Codes.runCondition, path, "Unsupported condition.");
    const [op, arg] = Object.entries(c)[0] ?? [];
    switch (op) {
      case "and":
      case "or": {
        if (!Array.isArray(arg)) return fail(Codes.runCondition, [...path, op], `'${op}' takes a list of conditions.`);
        const each = (x: unknown, i: number) => evalCondition(x, [...path, op, i]);
        return op === "and" ? arg.every(each) : arg.some(each);
      }
      case "not":
        return !evalCondition(arg, [...path, "not"]);
      case "equal": {
        if (!Array.isArray(arg)) return fail(Codes.runCondition, [...path, op], "'equal' takes a list of values.");
        const xs = arg.map((x) => String(x));
        return xs.every((x) => x === xs[0]);
      }
      case "matches": {
        if (!isObj(arg) || typeof arg.pattern !== "string") return fail(Codes.runCondition, [...path, op], "'matches' takes a pattern and a value.");
        let re: RegExp;
        try {
          re = new RegExp(arg.pattern);
        } catch (e) {
          return fail(Codes.runValue, [...path, op], `Invalid pattern: ${(e as Error).message}.`);
        }
        // The whole value must match, as in CircleCI's matches (a pattern is not a search).
        return new RegExp(`^(?:${re.source})$`).test(String(arg.value ?? ""));
      }
      default:
        return fail(Codes.runUnsupported, [...path], `gen-circle run does not support the condition '${op}'.`);
    }
  };

  const expandSteps = (steps: unknown, params: Record<string, unknown>, path: (string | number)[], depth: number): Step[] => {
    if (depth > 20) fail(Codes.runShape, path, "Commands nest more than 20 deep (a command that invokes itself?).");
    if (!Array.isArray(steps)) return fail(Codes.runShape, path, "steps must be a list.", "value");
    const out: Step[] = [];
    steps.forEach((raw, i) => {
      const p = [...path, i];
      const step = substitute(raw, params, p);
      if (step === "checkout") return void out.push({ kind: "checkout" });
      if (step === "setup_remote_docker") return void out.push({ kind: "setup_remote_docker" });
      if (typeof step === "string") {
        if (step in commands) return void out.push(...invoke(step, {}, p, depth));
        return fail(Codes.runReference, p, `Unknown step '${step}'.`, "value");
      }
      if (!isObj(step) || Object.keys(step).length !== 1) return fail(Codes.runShape, p, "A step is a string or a mapping with one key.", "value");
      const [name, body0] = Object.entries(step)[0]!;
      const body = (body0 ?? {}) as Obj;
      const bp = [...p, name];
      const when = (v: unknown) => (v === "on_fail" || v === "always" ? v : "on_success") as "on_success" | "on_fail" | "always";
      switch (name) {
        case "run": {
          const r = typeof body0 === "string" ? { command: body0 } : body;
          for (const k of Object.keys(r))
            if (!["name", "command", "shell", "environment", "working_directory", "background", "when", "no_output_timeout"].includes(k))
              fail(Codes.runUnsupported, [...bp, k], `gen-circle run does not support 'run.${k}'.`);
          const command = text(r, "command", bp);
          out.push({
            kind: "run",
            name: typeof r.name === "string" ? r.name : command.split("\n")[0]!.slice(0, 80),
            command,
            shell: typeof r.shell === "string" ? r.shell : undefined,
            environment: stringMap(r.environment),
            workingDirectory: typeof r.working_directory === "string" ? r.working_directory : undefined,
            background: r.background === true,
            when: when(r.when),
            noOutputTimeout: r.no_output_timeout === undefined ? undefined : timeout(String(r.no_output_timeout), [...bp, "no_output_timeout"]),
          });
          return;
        }
        case "save_cache":
          out.push({
            kind: "save_cache",
            name: String(body.name ?? "Saving cache"),
            key: text(body, "key", bp),
            paths: texts(body, "paths", bp),
            when: when(body.when),
          });
          return;
        case "restore_cache":
          out.push({
            kind: "restore_cache",
            name: String(body.name ?? "Restoring cache"),
            keys: "keys" in body ? texts(body, "keys", bp) : [text(body, "key", bp)],
          });
          return;
        case "persist_to_workspace":
          out.push({ kind: "persist_to_workspace", root: text(body, "root", bp), paths: texts(body, "paths", bp) });
          return;
        case "attach_workspace":
          out.push({ kind: "attach_workspace", at: text(body, "at", bp) });
          return;
        case "store_test_results":
          out.push({ kind: "store_test_results", path: text(body, "path", bp) });
          return;
        case "store_artifacts":
          out.push({
            kind: "store_artifacts",
            path: text(body, "path", bp),
            destination: body.destination === undefined ? undefined : String(body.destination),
          });
          return;
        case "setup_remote_docker":
          out.push({ kind: "setup_remote_docker" });
          return;
        case "when":
        case "unless": {
          const truth = evalCondition(body.condition, [...bp, "condition"]);
          if (truth === (name === "when")) out.push(...expandSteps(body.steps, params, [...bp, "steps"], depth + 1));
          return;
        }
        default:
          if (name in commands) return void out.push(...invoke(name, body, bp, depth));
          return fail(Codes.runUnsupported, bp, `gen-circle run does not support the step '${name}'.`);
      }
    });
    return out;
  };

  const invoke = (name: string, given: Obj, path: (string | number)[], depth: number): Step[] => {
    const cmd = commands[name] as Obj;
    const params = bindParams(cmd.parameters, given, path);
    return expandSteps(cmd.steps, params, ["commands", name, "steps"], depth + 1);
  };

  const resolveExecutor = (
    job: Obj,
    params: Record<string, unknown>,
    path: (string | number)[],
  ): { executor: Executor; environment: Obj; workingDirectory?: string } => {
    let e: Obj = job;
    const ex = job.executor;
    if (ex !== undefined) {
      const name = typeof ex === "string" ? ex : isObj(ex) ? String(ex.name) : "";
      const def = executors[name];
      if (!isObj(def)) fail(Codes.runReference, [...path, "executor"], `No executor '${name}'.`);
      e = substitute(
        def,
        bindParams((def as Obj).parameters, isObj(ex) ? Object.fromEntries(Object.entries(ex).filter(([k]) => k !== "name")) : {}, [...path, "executor"]),
        [...path, "executor"],
      ) as Obj;
      e = substitute(e, params, path) as Obj;
    }
    const environment = { ...(isObj(e.environment) ? e.environment : {}), ...(isObj(job.environment) ? job.environment : {}) };
    const workingDirectory = (job.working_directory ?? e.working_directory) as string | undefined;
    if (isObj(e.machine) || e.machine === true) {
      return { executor: { type: "machine", image: String((e.machine as Obj)?.image ?? "default") }, environment, workingDirectory };
    }
    if (e.docker !== undefined) {
      const first = Array.isArray(e.docker) ? e.docker[0] : undefined;
      if (!isObj(first) || typeof first.image !== "string")
        return fail(Codes.runShape, [...path, "docker"], "'docker' takes a list of images: docker: [{ image: NAME }].");
      return { executor: { type: "docker", image: first.image }, environment, workingDirectory };
    }
    if (e.macos || e.windows) fail(Codes.runUnsupported, path, "gen-circle run runs machine and docker executors only.");
    return fail(Codes.runShape, path, "The job has no executor (machine or docker).");
  };

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
    const given = Object.fromEntries(Object.entries(args).filter(([k]) => !["requires", "filters", "context", "name", "matrix", "type"].includes(k)));
    if ("matrix" in args) fail(Codes.runUnsupported, path, "gen-circle run does not support 'matrix'.");
    const params = bindParams((def as Obj).parameters, given, path);
    const { executor, environment, workingDirectory } = resolveExecutor(def as Obj, params, jobPath);
    const steps = expandSteps((def as Obj).steps, params, [...jobPath, "steps"], 0);
    out.push({
      name: typeof args.name === "string" ? args.name : jobName,
      executor,
      environment: stringMap(substitute(environment, params, jobPath)),
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

function stringMap(v: unknown): Record<string, string> {
  if (!isObj(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function normFilters(v: unknown): Filters {
  if (!isObj(v)) return {};
  const one = (x: unknown) => (x === undefined ? undefined : Array.isArray(x) ? x.map(String) : [String(x)]);
  const part = (x: unknown) => (isObj(x) ? { only: one(x.only), ignore: one(x.ignore) } : undefined);
  return { branches: part(v.branches), tags: part(v.tags) };
}

/** CircleCI durations: 10m, 1h, 30s, 90 (seconds). */
/** Seconds of a Go duration as CircleCI reads no_output_timeout ("20m", "1.5h", "1h30m", "90s"); null if it is not one. */
export function duration(s: string): number | null {
  const text = s.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
  return total;
}
