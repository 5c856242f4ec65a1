/**
 * The subset of CircleCI 2.1 configuration that gen-circle emits, as plain data.
 * @see https://circleci.com/docs/configuration-reference/
 */
export type StepShape =
  | "checkout"
  | { run: { name: string; command: string; no_output_timeout?: string; when?: "always" | "on_fail" } }
  | { restore_cache: { name: string; keys: string[] } }
  | { save_cache: { name: string; key: string; paths: string[]; when?: "always" } }
  | { store_test_results: { path: string } }
  | { store_artifacts: { path: string; destination?: string } }
  | { persist_to_workspace: { root: string; paths: string[] } }
  | { attach_workspace: { at: string } }
  | { setup_remote_docker: { docker_layer_caching?: boolean } }
  | { when: { condition: ConditionShape; steps: StepShape[] } }
  | { [command: string]: Record<string, string | number | boolean> };

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

export type WorkflowJobShape = string | Record<string, { requires?: string[]; filters?: FilterShape }>;

export interface CircleConfigShape {
  version: 2.1;
  executors: Record<string, ExecutorShape>;
  commands: Record<string, CommandShape>;
  jobs: Record<string, JobShape>;
  workflows: Record<string, { jobs: WorkflowJobShape[] }>;
}
