import { Codes } from "../../diagnostics.js";
import { type Ctx, isObj, type Obj } from "./context.js";

/** `<< parameters.x >>` and `<< pipeline.* >>` in every string of a value. */
export function substitute(ctx: Ctx, value: unknown, params: Record<string, unknown>, path: (string | number)[]): unknown {
  const { fail, pipelineValues } = ctx;
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
  if (Array.isArray(value)) return value.map((v, i) => substitute(ctx, v, params, [...path, i]));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(ctx, v, params, [...path, k])]));
  return value;
}

/** The parameters a command, job or executor declares, bound to what its invocation gives (or their defaults). */
export function bindParams(ctx: Ctx, decl: unknown, given: Obj, path: (string | number)[]): Record<string, unknown> {
  const { fail } = ctx;
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
}
