import type { Code } from "../../diagnostics.js";

// What the parts of expandWorkflow share: the config's definitions, the pipeline's values, and
// the one way to fail (a ConfigError at a path of the config).
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface Ctx {
  fail: (code: Code, path: (string | number)[], message: string, at?: "key" | "value") => never;
  commands: Obj;
  executors: Obj;
  /** `<< pipeline.git.branch >>` and the like */
  pipelineValues: Record<string, string>;
}

export function stringMap(v: unknown): Record<string, string> {
  if (!isObj(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}
