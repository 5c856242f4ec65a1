import type { Spec } from "../../spec/types.js";
import type { CommandName, CommandShape, StepShape } from "../circleci.js";
import { builtKey, imageKey, imageKeyPrefix, SCRIPTS_DIR, STATE, WORKSPACE } from "./keys.js";

const imageParam = { image: { type: "string" as const, description: "Image id from gen-circle.yml" } };
/** A generated script with its arguments, as a step runs it from the repository root. */
export const script = (name: string, args: string) => `${SCRIPTS_DIR}/${name} ${args}`;
const P = "<< parameters.image >>";

/**
 * gen-circle's reusable commands, written into the config in the order the jobs first use them
 * (`use`), each one once: the steps of every job are invocations of these.
 */
export function commandBook(spec: Spec): { commands: Record<CommandName, CommandShape>; use: (name: CommandName) => void } {
  const strategy = spec.cache.strategy;
  const saveLoad = strategy === "save-load";
  const commands: Record<CommandName, CommandShape> = {};
  const hashStep: StepShape = { run: { name: `Hash ${P} image inputs`, command: script("image.sh", `key ${P}`) } };
  const restoreArchive: StepShape = {
    restore_cache: { name: `Restore ${P} image archive`, keys: [imageKey(spec, P), imageKeyPrefix(spec, P)] },
  };
  const saveArchive: StepShape = { save_cache: { name: `Save ${P} image archive`, key: imageKey(spec, P), paths: [`${STATE}/cache/${P}`] } };
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
      description: saveLoad
        ? "On a cache miss, save the image's layers as a compressed archive (atomically) under this hash; on a hit there is nothing to save."
        : "On a cache miss, push the image as the cache tags of this hash and branch; on a hit there is nothing to push.",
      parameters: imageParam,
      steps: [{ run: { name: `Save ${P} image cache`, command: script("image.sh", `save ${P}`) } }, ...(saveLoad ? [saveArchive] : [])],
    }),
    "gen-circle-warm-image": () => ({
      description: saveLoad
        ? "Make sure the cache holds the image for this hash: stop early when its marker says so; else build with --cache-from the newest archive, save the archive, then the marker."
        : "Make sure the registry holds the image for this hash: skip when it does; else build with --cache-from the branch's and the default branch's cache tags and push.",
      parameters: imageParam,
      // A hit costs a marker of a few bytes, not the archive: the job ends before downloading it.
      steps: saveLoad
        ? [
            hashStep,
            { restore_cache: { name: `Look up the ${P} cache marker`, keys: [builtKey(spec, P)] } },
            {
              run: {
                name: `Stop here when the cache holds ${P} for this hash`,
                command: `if ${script("image.sh", `built ${P}`)}; then circleci-agent step halt; fi`,
              },
            },
            restoreArchive,
            { run: { name: `Build ${P} image unless the cache has it`, command: script("image.sh", `warm ${P}`) } },
            saveArchive,
            { save_cache: { name: `Save ${P} cache marker`, key: builtKey(spec, P), paths: [`${STATE}/built/${P}`] } },
          ]
        : [{ run: { name: `Build ${P} image unless the cache has it`, command: script("image.sh", `warm ${P}`) } }],
    }),
    "gen-circle-test": () => ({
      description: "Start the services on a private network, wait until they are ready, run the tests in the image and copy the results out.",
      parameters: imageParam,
      steps: [{ run: { name: `Test ${P} in its container`, command: script("test.sh", `run ${P}`) } }],
    }),
    "gen-circle-export-image": () => ({
      description:
        "Hand the tested image to the deploy job through the workspace (only on branches and tags that deploy; with parallelism, node 0 exports and the other nodes end here).",
      parameters: imageParam,
      steps: [
        { run: { name: `Export ${P} image`, command: script("image.sh", `export ${P}`) } },
        { persist_to_workspace: { root: WORKSPACE, paths: [`${P}.tar`] } },
      ],
    }),
    "gen-circle-push": () => ({
      description: "Load the tested image from the workspace, log in with the named variables (--password-stdin) and push the tags of the rule.",
      parameters: { ...imageParam, rule: { type: "integer", description: "Deploy rule number (1-based) in gen-circle.yml" } },
      steps: [
        { attach_workspace: { at: WORKSPACE } },
        { run: { name: "Load << parameters.image >> image", command: script("image.sh", "import << parameters.image >>") } },
        { run: { name: "Push << parameters.image >> image", command: script("deploy.sh", "<< parameters.image >> << parameters.rule >>") } },
      ],
    }),
  };
  const use = (name: CommandName) => {
    const define = book[name];
    if (!define) throw new Error(`no command ${name}`);
    commands[name] ??= define();
  };
  return { commands, use };
}
