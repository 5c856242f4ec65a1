import { Codes } from "../../diagnostics.js";
import type { Step } from "../expand.js";
import { evalCondition } from "./conditions.js";
import { type Ctx, isObj, type Obj, stringMap } from "./context.js";
import { bindParams, substitute } from "./params.js";
import { text, texts, timeout } from "./values.js";

type Path = (string | number)[];

/** A job's or command's steps, each command invoked and each condition decided: the steps that run. */
export function expandSteps(ctx: Ctx, steps: unknown, params: Record<string, unknown>, path: Path, depth: number): Step[] {
  const { fail } = ctx;
  if (depth > 20) fail(Codes.runShape, path, "Commands nest more than 20 deep (a command that invokes itself?).");
  if (!Array.isArray(steps)) return fail(Codes.runShape, path, "steps must be a list.", "value");
  return steps.flatMap((raw, i) => {
    const p = [...path, i];
    const step = substitute(ctx, raw, params, p);
    return typeof step === "string" ? namedStep(ctx, step, p, depth) : mappingStep(ctx, step, params, p, depth);
  });
}

// `- checkout`: a step or a command without arguments.
function namedStep(ctx: Ctx, step: string, p: Path, depth: number): Step[] {
  if (step === "checkout") return [{ kind: "checkout" }];
  if (step === "setup_remote_docker") return [{ kind: "setup_remote_docker" }];
  if (step in ctx.commands) return invoke(ctx, step, {}, p, depth);
  // A shape problem (GC3005), not a reference (GC3002, which names the config's workflows, jobs and
  // executors): a step written as a string must be one of the steps CircleCI defines or a command
  // of `commands:`, and a name that is neither is a step CircleCI would not accept, as it would not
  // accept a mapping with two keys.
  return ctx.fail(Codes.runShape, p, `Unknown step '${step}'.`, "value");
}

// `- name: body`: a step CircleCI defines, a when/unless, or a command with its arguments.
function mappingStep(ctx: Ctx, step: unknown, params: Record<string, unknown>, p: Path, depth: number): Step[] {
  if (!isObj(step) || Object.keys(step).length !== 1) return ctx.fail(Codes.runShape, p, "A step is a string or a mapping with one key.", "value");
  const [name, body0] = Object.entries(step)[0]!;
  const body = (body0 ?? {}) as Obj;
  const bp = [...p, name];
  if (Object.hasOwn(builtIn, name)) return [builtIn[name]!(ctx, body, bp, body0)];
  if (name === "when" || name === "unless") {
    const truth = evalCondition(ctx, body.condition, [...bp, "condition"]);
    return truth === (name === "when") ? expandSteps(ctx, body.steps, params, [...bp, "steps"], depth + 1) : [];
  }
  if (name in ctx.commands) return invoke(ctx, name, body, bp, depth);
  return ctx.fail(Codes.runUnsupported, bp, `gen-circle run does not support the step '${name}'.`);
}

const when = (v: unknown) => (v === "on_fail" || v === "always" ? v : "on_success") as "on_success" | "on_fail" | "always";

// The steps CircleCI defines, from their bodies (`raw`: the body as written, `run: echo hi` a string).
const builtIn: Record<string, (ctx: Ctx, body: Obj, bp: Path, raw: unknown) => Step> = {
  run: runStep,
  save_cache: (ctx, body, bp) => ({
    kind: "save_cache",
    name: String(body.name ?? "Saving cache"),
    key: text(ctx, body, "key", bp),
    paths: texts(ctx, body, "paths", bp),
    when: when(body.when),
  }),
  restore_cache: (ctx, body, bp) => ({
    kind: "restore_cache",
    name: String(body.name ?? "Restoring cache"),
    keys: "keys" in body ? texts(ctx, body, "keys", bp) : [text(ctx, body, "key", bp)],
  }),
  persist_to_workspace: (ctx, body, bp) => ({ kind: "persist_to_workspace", root: text(ctx, body, "root", bp), paths: texts(ctx, body, "paths", bp) }),
  attach_workspace: (ctx, body, bp) => ({ kind: "attach_workspace", at: text(ctx, body, "at", bp) }),
  store_test_results: (ctx, body, bp) => ({ kind: "store_test_results", path: text(ctx, body, "path", bp) }),
  store_artifacts: (ctx, body, bp) => ({
    kind: "store_artifacts",
    path: text(ctx, body, "path", bp),
    destination: body.destination === undefined ? undefined : String(body.destination),
  }),
  setup_remote_docker: () => ({ kind: "setup_remote_docker" }),
};

function runStep(ctx: Ctx, body: Obj, bp: Path, raw: unknown): Step {
  const r = typeof raw === "string" ? { command: raw } : body;
  for (const k of Object.keys(r))
    if (!["name", "command", "shell", "environment", "working_directory", "background", "when", "no_output_timeout"].includes(k))
      ctx.fail(Codes.runUnsupported, [...bp, k], `gen-circle run does not support 'run.${k}'.`);
  const command = text(ctx, r, "command", bp);
  return {
    kind: "run",
    name: typeof r.name === "string" ? r.name : command.split("\n")[0]!.slice(0, 80),
    command,
    shell: typeof r.shell === "string" ? r.shell : undefined,
    environment: stringMap(r.environment),
    workingDirectory: typeof r.working_directory === "string" ? r.working_directory : undefined,
    background: r.background === true,
    when: when(r.when),
    noOutputTimeout: r.no_output_timeout === undefined ? undefined : timeout(ctx, String(r.no_output_timeout), [...bp, "no_output_timeout"]),
  };
}

/** A reusable command's steps with its parameters bound. */
export function invoke(ctx: Ctx, name: string, given: Obj, path: Path, depth: number): Step[] {
  const { commands } = ctx;
  const cmd = commands[name] as Obj;
  const params = bindParams(ctx, cmd.parameters, given, path);
  return expandSteps(ctx, cmd.steps, params, ["commands", name, "steps"], depth + 1);
}
