import { Codes } from "../../diagnostics.js";
import { type Ctx, isObj } from "./context.js";

/** A `when`/`unless` condition, as CircleCI evaluates it (logic statements). */
export function evalCondition(ctx: Ctx, c: unknown, path: (string | number)[]): boolean {
  const { fail } = ctx;
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
      const each = (x: unknown, i: number) => evalCondition(ctx, x, [...path, op, i]);
      return op === "and" ? arg.every(each) : arg.some(each);
    }
    case "not":
      return !evalCondition(ctx, arg, [...path, "not"]);
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
}
