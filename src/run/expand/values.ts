import { Codes } from "../../diagnostics.js";
import type { Ctx, Obj } from "./context.js";

// The values a step needs: a duration, a required string or list of strings.

export function timeout(ctx: Ctx, value: string, path: (string | number)[]): number {
  const { fail } = ctx;
  const seconds = duration(value);
  if (seconds === null)
    return fail(Codes.runValue, path, `no_output_timeout ${JSON.stringify(value)} is not a duration: write it with a unit, e.g. 10m, 90s or 1h30m.`, "value");
  return seconds;
}

/** A required string, or an error at the step's key. */
export function text(ctx: Ctx, body: Obj, key: string, path: (string | number)[]): string {
  const { fail } = ctx;
  const v = body[key];
  if (typeof v !== "string" && typeof v !== "number") return fail(Codes.runShape, path, `'${String(path[path.length - 1])}' needs '${key}' (a string).`);
  return String(v);
}

/** A required list of strings, or an error at the step's key. */
export function texts(ctx: Ctx, body: Obj, key: string, path: (string | number)[]): string[] {
  const { fail } = ctx;
  const v = body[key];
  if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== "string" && typeof x !== "number")) {
    return fail(Codes.runShape, path, `'${String(path[path.length - 1])}' needs '${key}' (a list of strings).`);
  }
  return v.map(String);
}

/** Seconds of a Go duration as CircleCI reads no_output_timeout ("20m", "1.5h", "1h30m", "90s"); null if it is not one. */
export function duration(s: string): number | null {
  const text = s.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
  return total;
}
