import { Codes } from "../../diagnostics.js";
import type { Step } from "../expand.js";
import { evalCondition } from "./conditions.js";
import { type Ctx, isObj, type Obj, stringMap } from "./context.js";
import { bindParams, substitute } from "./params.js";
import { text, texts, timeout } from "./values.js";

/** A job's or command's steps, each command invoked and each condition decided: the steps that run. */
export function expandSteps(ctx: Ctx, steps: unknown, params: Record<string, unknown>, path: (string | number)[], depth: number): Step[] {
  const { fail, commands } = ctx;
  if (depth > 20) fail(Codes.runShape, path, "Commands nest more than 20 deep (a command that invokes itself?).");
  if (!Array.isArray(steps)) return fail(Codes.runShape, path, "steps must be a list.", "value");
  const out: Step[] = [];
  steps.forEach((raw, i) => {
    const p = [...path, i];
    const step = substitute(ctx, raw, params, p);
    if (step === "checkout") return void out.push({ kind: "checkout" });
    if (step === "setup_remote_docker") return void out.push({ kind: "setup_remote_docker" });
    if (typeof step === "string") {
      if (step in commands) return void out.push(...invoke(ctx, step, {}, p, depth));
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
        const command = text(ctx, r, "command", bp);
        out.push({
          kind: "run",
          name: typeof r.name === "string" ? r.name : command.split("\n")[0]!.slice(0, 80),
          command,
          shell: typeof r.shell === "string" ? r.shell : undefined,
          environment: stringMap(r.environment),
          workingDirectory: typeof r.working_directory === "string" ? r.working_directory : undefined,
          background: r.background === true,
          when: when(r.when),
          noOutputTimeout: r.no_output_timeout === undefined ? undefined : timeout(ctx, String(r.no_output_timeout), [...bp, "no_output_timeout"]),
        });
        return;
      }
      case "save_cache":
        out.push({
          kind: "save_cache",
          name: String(body.name ?? "Saving cache"),
          key: text(ctx, body, "key", bp),
          paths: texts(ctx, body, "paths", bp),
          when: when(body.when),
        });
        return;
      case "restore_cache":
        out.push({
          kind: "restore_cache",
          name: String(body.name ?? "Restoring cache"),
          keys: "keys" in body ? texts(ctx, body, "keys", bp) : [text(ctx, body, "key", bp)],
        });
        return;
      case "persist_to_workspace":
        out.push({ kind: "persist_to_workspace", root: text(ctx, body, "root", bp), paths: texts(ctx, body, "paths", bp) });
        return;
      case "attach_workspace":
        out.push({ kind: "attach_workspace", at: text(ctx, body, "at", bp) });
        return;
      case "store_test_results":
        out.push({ kind: "store_test_results", path: text(ctx, body, "path", bp) });
        return;
      case "store_artifacts":
        out.push({
          kind: "store_artifacts",
          path: text(ctx, body, "path", bp),
          destination: body.destination === undefined ? undefined : String(body.destination),
        });
        return;
      case "setup_remote_docker":
        out.push({ kind: "setup_remote_docker" });
        return;
      case "when":
      case "unless": {
        const truth = evalCondition(ctx, body.condition, [...bp, "condition"]);
        if (truth === (name === "when")) out.push(...expandSteps(ctx, body.steps, params, [...bp, "steps"], depth + 1));
        return;
      }
      default:
        if (name in commands) return void out.push(...invoke(ctx, name, body, bp, depth));
        return fail(Codes.runUnsupported, bp, `gen-circle run does not support the step '${name}'.`);
    }
  });
  return out;
}

/** A reusable command's steps with its parameters bound. */
export function invoke(ctx: Ctx, name: string, given: Obj, path: (string | number)[], depth: number): Step[] {
  const { commands } = ctx;
  const cmd = commands[name] as Obj;
  const params = bindParams(ctx, cmd.parameters, given, path);
  return expandSteps(ctx, cmd.steps, params, ["commands", name, "steps"], depth + 1);
}
