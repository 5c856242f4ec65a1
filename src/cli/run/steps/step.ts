import type { ChildProcess } from "node:child_process";
import type { Step } from "../../../run/expand.js";
import type { CacheStore } from "../cache-store.js";
import type { JobResult, Node, RunContext } from "../runner.js";

/** The step of kind `K`. */
export type StepOf<K extends Step["kind"]> = Extract<Step, { kind: K }>;

/** When a step runs, given how its job went so far. */
export type When = "on_success" | "on_fail" | "always";

/** What a step gets of its job: set up once per node by the runner, shared by the job's steps. */
export interface JobEnv {
  ctx: RunContext;
  node: Node;
  jobDir: string;
  /** the job's working_directory, on this machine */
  workdir: string;
  /** the folder that is the job's /tmp */
  tmp: string;
  /** A path of the config on this machine: ~ and /tmp name the job's own folders. */
  mapPath: (p: string, cwd: string) => string;
  /** the variables of a step on this machine */
  env: Record<string, string>;
  /** the variables CircleCI and the config set: all a container gets */
  ciEnv: Record<string, string>;
  /** the docker executor's container, else undefined */
  container: string | undefined;
  /** the file `circleci-agent step halt` leaves */
  haltFile: string;
  store: CacheStore;
  /** `background: true` commands, stopped when the job ends */
  background: ChildProcess[];
  /** what the job's steps add up: caches, workspace bytes, tests */
  result: JobResult;
  /** a line of the job's log */
  out: (line: string) => void;
}

/** How a step ended. `note` goes on its line; `halt` ends the job there, green. */
export interface StepOutcome {
  ok: boolean;
  note: string;
  halt?: boolean;
}

/**
 * One kind of step, as the runner sees it (after nektos/act's step interface): the name on its
 * line, when it runs unless the config says (`on_success` when absent), and what it does. A
 * handler that throws failed the step, its message the note.
 */
export interface StepHandler<K extends Step["kind"]> {
  name(step: StepOf<K>): string;
  when?(step: StepOf<K>): When;
  run(step: StepOf<K>, job: JobEnv): StepOutcome | Promise<StepOutcome>;
}

/** A step that passed, with its note. */
export const passed = (note = ""): StepOutcome => ({ ok: true, note });
