/**
 * CircleCI 2.1 configuration as gen-circle emits it, as plain typed data: one model for the
 * pipeline `generate` plans and for the config `migrate` writes (emit/config.ts turns either into
 * YAML). A step is one of the kinds below or an invocation of one of gen-circle's own commands
 * (`gen-circle-*`): a misspelt step name does not type-check.
 * @see https://circleci.com/docs/configuration-reference/
 */
export interface RunShape {
  name?: string;
  command: string;
  no_output_timeout?: string;
  when?: "always" | "on_fail";
  working_directory?: string;
  environment?: Record<string, string>;
  background?: boolean;
}

/** Reusable commands gen-circle writes into the config are named gen-circle-*. */
export type CommandName = `gen-circle-${string}`;
export type CommandInvocation = { [command: CommandName]: Record<string, string | number | boolean> };

export type StepShape =
  | "checkout"
  | { run: RunShape }
  | { restore_cache: { name?: string; keys: string[] } }
  | { save_cache: { name?: string; key: string; paths: string[]; when?: "always" } }
  | { store_test_results: { path: string } }
  | { store_artifacts: { path: string; destination?: string } }
  | { persist_to_workspace: { root: string; paths: string[] } }
  | { attach_workspace: { at: string } }
  | { setup_remote_docker: { docker_layer_caching?: boolean } }
  | { when: { condition: ConditionShape; steps: StepShape[] } }
  | CommandInvocation;

export type ConditionShape = { equal: [string, string] } | { matches: { pattern: string; value: string } } | { or: ConditionShape[] };

export interface CommandShape {
  description: string;
  parameters: Record<string, { type: "string" | "integer" | "boolean"; description: string }>;
  steps: StepShape[];
}

export interface ExecutorShape {
  machine?: { image: string; docker_layer_caching?: boolean };
  docker?: { image: string }[];
  resource_class?: string;
  environment?: Record<string, string>;
}

export interface JobShape {
  executor: string;
  parallelism?: number;
  steps: StepShape[];
}

export interface FilterShape {
  branches?: { only?: string[]; ignore?: string[] | string };
  tags?: { only?: string[] };
}

/** @see https://circleci.com/docs/reference/configuration-reference/#serial-group */
export type WorkflowJobShape =
  string | Record<string, { name?: string; requires?: string[]; context?: string[]; filters?: FilterShape; "serial-group"?: string }>;

/** How a workflow runs a job beyond its name: another name for a second invocation, the contexts it gets, its serial group. */
export interface WorkflowJobExtra {
  name?: string;
  context?: readonly string[];
  serialGroup?: string;
}

export interface CircleConfigShape {
  version: 2.1;
  /** a setup configuration: its one job continues the pipeline (dynamic configuration) */
  setup?: true;
  /** pipeline parameters (the continuation sets them) */
  parameters?: Record<string, { type: "boolean"; default: boolean; description: string }>;
  executors: Record<string, ExecutorShape>;
  commands?: Record<CommandName, CommandShape>;
  jobs: Record<string, JobShape>;
  workflows: Record<string, { when?: string; jobs: WorkflowJobShape[] }>;
}

/**
 * The filters of a job that runs for some branches or some git tags (values are names or
 * `/regex/`). CircleCI runs a job for a tag only when its filters name tags, and for every branch
 * unless they say otherwise: a tag job ignores every branch. No branch and no tag: no filters.
 * @see https://circleci.com/docs/configuration-reference/#tags
 */
export function branchTagFilters(branches: readonly string[], tags: readonly string[]): FilterShape | undefined {
  if (tags.length) return { branches: { ignore: ["/.*/"] }, tags: { only: [...tags] } };
  if (branches.length) return { branches: { only: [...branches] } };
  return undefined;
}

/** A workflow entry: the job's name alone, or with what it requires and its filters. */
export function workflowJob(job: string, requires: readonly string[], filters: FilterShape | undefined, extra: WorkflowJobExtra = {}): WorkflowJobShape {
  const { name, context, serialGroup } = extra;
  if (!requires.length && !filters && !serialGroup && !name && !context?.length) return job;
  return {
    [job]: {
      ...(name ? { name } : {}),
      ...(requires.length ? { requires: [...requires] } : {}),
      ...(context?.length ? { context: [...context] } : {}),
      ...(filters ? { filters } : {}),
      ...(serialGroup ? { "serial-group": serialGroup } : {}),
    },
  };
}
