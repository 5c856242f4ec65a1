import type { Step } from "../../../run/expand.js";
import { restoreCache, saveCache } from "./cache.js";
import { checkout } from "./checkout.js";
import { setupRemoteDocker } from "./remote-docker.js";
import { storeArtifacts, storeTestResults } from "./results.js";
import { run } from "./run.js";
import type { StepHandler } from "./step.js";
import { attachWorkspace, persistToWorkspace } from "./workspace.js";

export type { JobEnv, StepHandler, StepOutcome, When } from "./step.js";

/** Each kind of step the runner knows, and its handler: a new kind is a file of steps/ and a line here. */
export const stepHandlers: { [K in Step["kind"]]: StepHandler<K> } = {
  checkout,
  run,
  restore_cache: restoreCache,
  save_cache: saveCache,
  persist_to_workspace: persistToWorkspace,
  attach_workspace: attachWorkspace,
  store_test_results: storeTestResults,
  store_artifacts: storeArtifacts,
  setup_remote_docker: setupRemoteDocker,
};

/** The handler of a step's kind. */
export function handlerOf(step: Step): StepHandler<Step["kind"]> {
  // The table pairs each kind with its handler, which TypeScript cannot follow through step.kind.
  return stepHandlers[step.kind] as StepHandler<Step["kind"]>;
}
