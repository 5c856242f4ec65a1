import type { StepShape } from "../../model/circleci.js";
import type { Mapped } from "../to-config.js";
import type { Note, Pos, V1Config } from "../v1.js";

// What the parts of toConfig share: the config read, what they mapped and what needs a person.
export interface ConfigCtx {
  c: V1Config;
  /** every command of the config, one a line: what the executor, folders and cache key are inferred from */
  text: string;
  mapped: Mapped[];
  notes: Note[];
}

/** What the machine's environment asks of every job: $BASH_ENV lines, and the 1.0 folders the commands use. */
export interface JobEnv {
  bashEnv: string[];
  usesReports: boolean;
  usesArtifacts: boolean;
}

export const TEST_REPORTS = "/tmp/circle-test-reports";
export const ARTIFACTS = "/tmp/circle-artifacts";

/** A job's steps; a step that comes from a line of circle.yml is mapped to its index. */
export interface Job {
  name: string;
  steps: StepShape[];
  add(step: StepShape, at?: Pos, what?: string): void;
}

export function job(ctx: ConfigCtx, name: string): Job {
  const steps: StepShape[] = [];
  return {
    name,
    steps,
    add: (step, at, what = "") => {
      steps.push(step);
      if (at) ctx.mapped.push({ at, what, to: `jobs.${name}.steps[${steps.length - 1}]` });
    },
  };
}

/** A command on one line, cut to fit the report. */
export function short(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 60 ? one.slice(0, 57) + "..." : one;
}
