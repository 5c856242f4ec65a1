import type { Spec } from "../../spec/types.js";
import type { CommandName, CommandShape, StepShape } from "../circleci.js";
import { STRATEGIES } from "../strategies.js";
import { builtKey, imageKey, imageKeyPrefix, imageSaveKey, SCRIPTS_DIR, STATE } from "./keys.js";

const imageParam = { image: { type: "string" as const, description: "Image id from gen-circle.yml" } };
/** A generated script with its arguments, as a step runs it from the repository root. */
export const script = (name: string, args: string) => `${SCRIPTS_DIR}/${name} ${args}`;
const P = "<< parameters.image >>";
const R = "<< parameters.rule >>";
const ruleParams = { ...imageParam, rule: { type: "integer" as const, description: "Deploy rule number (1-based) in gen-circle.yml" } };

/**
 * gen-circle's reusable commands, written into the config in the order the jobs first use them
 * (`use`), each one once: the steps of every job are invocations of these.
 */
export function commandBook(spec: Spec): { commands: Record<CommandName, CommandShape>; use: (name: CommandName) => void } {
  const strategy = STRATEGIES[spec.cache.strategy];
  const commands: Record<CommandName, CommandShape> = {};
  const hashStep: StepShape = { run: { name: `Hash ${P} image inputs`, command: script("image.sh", `key ${P}`) } };
  const restoreArchive: StepShape = {
    restore_cache: { name: `Restore ${P} image archive`, keys: [imageKey(spec, P), imageKeyPrefix(spec, P)] },
  };
  const saveArchive: StepShape = { save_cache: { name: `Save ${P} image archive`, key: imageSaveKey(spec, P), paths: [`${STATE}/cache/${P}`] } };
  const warmStep: StepShape = { run: { name: `Build ${P} image unless the cache has it`, command: script("image.sh", `warm ${P}`) } };
  const book: Record<CommandName, () => CommandShape> = {
    "gen-circle-restore-image": () => ({
      description:
        "Hash the image inputs and restore the cached image archive: this hash first, else the newest of this machine architecture (a --cache-from source).",
      parameters: imageParam,
      // The key file holds the hash and the engine's cache transport (image.sh key).
      steps: [hashStep, restoreArchive],
    }),
    "gen-circle-build-image": () => ({
      description:
        "Build the image of this commit, reusing the cached dependency layers (--cache-from): the tested image always holds the code of this commit.",
      parameters: imageParam,
      steps: [{ run: { name: `Build ${P} image for this commit`, command: script("image.sh", `ready ${P}`) } }],
    }),
    "gen-circle-save-image": () => ({
      description: strategy.saveDescription,
      parameters: imageParam,
      steps: [{ run: { name: `Save ${P} image cache`, command: script("image.sh", `save ${P}`) } }, ...(strategy.archive ? [saveArchive] : [])],
    }),
    "gen-circle-warm-image": () => ({
      description: strategy.warmDescription,
      parameters: imageParam,
      // A hit costs a marker of a few bytes, not the archive: the job ends before downloading it.
      steps: strategy.archive ? [hashStep, ...markerSteps(spec), restoreArchive, warmStep, saveArchive, saveMarker(spec)] : [warmStep],
    }),
    "gen-circle-test": () => ({
      description: "Start the services on a private network, wait until they are ready, run the tests in the image and copy the results out.",
      parameters: imageParam,
      steps: [{ run: { name: `Test ${P} in its container`, command: script("test.sh", `run ${P}`) } }],
    }),
    "gen-circle-push": () => ({
      description:
        "Once the tests passed in this job: log in with the named variables (--password-stdin) and push the tested image with the tags of the rule, those that never move first.",
      parameters: ruleParams,
      steps: [{ run: { name: `Push ${P} image`, command: script("deploy.sh", `${P} ${R}`) } }],
    }),
    "gen-circle-push-candidate": () => ({
      description:
        "Once this node's tests passed, node 0 pushes the tested image once, as its candidate tag (ci-<commit>) in the rule's repository; the deploy job tags it when every node passed.",
      parameters: ruleParams,
      steps: [{ run: { name: `Push ${P} candidate image`, command: script("deploy.sh", `${P} ${R} candidate`) } }],
    }),
    "gen-circle-promote": () => ({
      description:
        "Give the candidate image the tags of the rule in the registry by copying its manifest (no layer is pulled or pushed), those that never move first.",
      parameters: ruleParams,
      steps: [{ run: { name: `Tag ${P} image`, command: script("deploy.sh", `${P} ${R} promote`) } }],
    }),
  };
  const use = (name: CommandName) => {
    const define = book[name];
    if (!define) throw new Error(`no command ${name}`);
    commands[name] ??= define();
  };
  return { commands, use };
}

/** The warm job's marker lookup: a hit costs a marker of a few bytes, not the archive (the job ends). */
const markerSteps = (spec: Spec): StepShape[] => [
  { restore_cache: { name: `Look up the ${P} cache marker`, keys: [builtKey(spec, P)] } },
  {
    run: {
      name: `Stop here when the cache holds ${P} for this hash`,
      command: `if ${script("image.sh", `built ${P}`)}; then circleci-agent step halt; fi`,
    },
  },
];
const saveMarker = (spec: Spec): StepShape => ({
  save_cache: { name: `Save ${P} cache marker`, key: builtKey(spec, P), paths: [`${STATE}/built/${P}`] },
});
