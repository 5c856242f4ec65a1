import { hashOf, hashSalt } from "../hash/manifest.js";
import { qualify } from "../spec/normalize.js";
import type { DeployRule, Image, Matcher, Spec } from "../spec/types.js";
import {
  branchTagFilters,
  type CircleConfigShape,
  type CommandName,
  type CommandShape,
  type ConditionShape,
  type FilterShape,
  type JobShape,
  type StepShape,
  type WorkflowJobShape,
  workflowJob,
} from "./circleci.js";

/** Where generated scripts live, relative to the repository root. */
export const SCRIPTS_DIR = ".circleci/gen-circle";
/** State the scripts keep on the CI machine (hash files, cache archives, workspace). */
export const STATE = "/tmp/gen-circle";
export const WORKSPACE = `${STATE}/workspace`;
export const RESULTS_DIR = "test-results";
export const ARTIFACTS_DIR = "artifacts";

export interface Pipeline {
  config: CircleConfigShape;
  view: ScriptsView;
}

/** What the script templates see: a view of the model, never the raw spec. */
export interface ScriptsView {
  images: ImageView[];
  strategy: Spec["cache"]["strategy"];
  /** save-load or registry: a build may reuse a cache restored for its hash */
  reusesCache: boolean;
  defaultBranch: string;
  cacheLogin: LoginView | null;
  deploys: DeployView[];
  ids: string;
}
export interface LoginView {
  host: string;
  username: string;
  password: string;
}
export interface ImageView {
  id: string;
  name: string;
  dockerfile: string;
  context: string;
  target: string;
  buildArgs: { key: string; value: string }[];
  hashPatterns: string[];
  salt: string;
  cacheRepository: string;
  hasTest: boolean;
  test: {
    shell: string | null;
    exec: string[];
    environment: { key: string; value: string }[];
    passEnv: string[];
    results: string;
    artifacts: string;
    workdir: string;
    user: string;
    /** test.split: globs (relative to the context) and the --split-by mode, or no globs */
    splitGlobs: string[];
    splitBy: string;
  };
  services: {
    name: string;
    image: string;
    environment: { key: string; value: string }[];
    command: string[];
    ready: string;
    timeout: number;
    interval: number;
    setup: string[];
    cacheDir: string;
  }[];
  selfTest: string[];
}
export interface DeployView {
  image: string;
  rule: number;
  repository: string;
  host: string;
  login: LoginView | null;
  tags: string[];
  branchExact: string[];
  branchRegex: string[];
  tagExact: string[];
  tagRegex: string[];
}

// Cache keys carry no {{ arch }}: on CircleCI it includes the CPU model, so two jobs of one workflow
// on different hosts get different keys. The machine file (`uname -s -m`, written by image.sh key)
// keeps archives of one architecture together. Ids are [a-z][a-z0-9_-]*, so the "." after the
// version keeps the marker and service keys from ever starting with an image's key prefix.
const MACHINE = `{{ checksum "${STATE}/hash/machine" }}`;
const hashSum = (id: string) => `{{ checksum "${STATE}/hash/${id}" }}`;
const imageKeyPrefix = (spec: Spec, id: string) => `gen-circle-v${spec.cache.version}-${id}-${MACHINE}-`;
const imageKey = (spec: Spec, id: string) => `${imageKeyPrefix(spec, id)}${hashSum(id)}`;
const builtKey = (spec: Spec, id: string) => `gen-circle-v${spec.cache.version}.built-${id}-${MACHINE}-${hashSum(id)}`;
const serviceCacheDir = (image: string) => `${STATE}/services/${hashOf(image).slice(0, 12)}`;

/** Spec → CircleCI config model + the view the scripts are rendered from. Pure. */
export function plan(spec: Spec): Pipeline {
  const strategy = spec.cache.strategy;
  const saveLoad = strategy === "save-load";
  const reusesCache = saveLoad || strategy === "registry";
  const commands: Record<CommandName, CommandShape> = {};
  const imageParam = { image: { type: "string" as const, description: "Image id from gen-circle.yml" } };
  const script = (name: string, args: string) => `${SCRIPTS_DIR}/${name} ${args}`;
  const P = "<< parameters.image >>";
  const hashStep: StepShape = { run: { name: `Hash ${P} image inputs`, command: script("image.sh", `key ${P}`) } };
  const restoreArchive: StepShape = {
    restore_cache: { name: `Restore ${P} image archive`, keys: [imageKey(spec, P), imageKeyPrefix(spec, P)] },
  };
  const saveArchive: StepShape = { save_cache: { name: `Save ${P} image archive`, key: imageKey(spec, P), paths: [`${STATE}/cache/${P}`] } };

  if (saveLoad) {
    commands["gen-circle-restore-image"] = {
      description:
        "Hash the image inputs and restore the cached image archive: this hash first, else the newest of this machine architecture (a --cache-from source).",
      parameters: imageParam,
      // The key file holds the hash and the engine's cache transport (image.sh key).
      steps: [hashStep, restoreArchive],
    };
  }
  commands["gen-circle-build-image"] = {
    description: "Build the image of this commit, reusing the cached dependency layers (--cache-from): the tested image always holds the code of this commit.",
    parameters: imageParam,
    steps: [{ run: { name: `Build ${P} image for this commit`, command: script("image.sh", `ready ${P}`) } }],
  };
  const saveCommand = (): void => {
    commands["gen-circle-save-image"] ??= {
      description: saveLoad
        ? "On a cache miss, save the image's layers as a compressed archive (atomically) under this hash; on a hit there is nothing to save."
        : "On a cache miss, push the image as the cache tags of this hash and branch; on a hit there is nothing to push.",
      parameters: imageParam,
      steps: [{ run: { name: `Save ${P} image cache`, command: script("image.sh", `save ${P}`) } }, ...(saveLoad ? [saveArchive] : [])],
    };
  };
  const warmCommand = (): void => {
    if (commands["gen-circle-warm-image"]) return;
    // A hit costs a marker of a few bytes, not the archive: the job ends before downloading it.
    const steps: StepShape[] = saveLoad
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
      : [{ run: { name: `Build ${P} image unless the cache has it`, command: script("image.sh", `warm ${P}`) } }];
    commands["gen-circle-warm-image"] = {
      description: saveLoad
        ? "Make sure the cache holds the image for this hash: stop early when its marker says so; else build with --cache-from the newest archive, save the archive, then the marker."
        : "Make sure the registry holds the image for this hash: skip when it does; else build with --cache-from the branch's and the default branch's cache tags and push.",
      parameters: imageParam,
      steps,
    };
  };
  commands["gen-circle-test"] = {
    description: "Start the services on a private network, wait until they are ready, run the tests in the image and copy the results out.",
    parameters: imageParam,
    steps: [{ run: { name: `Test ${P} in its container`, command: script("test.sh", `run ${P}`) } }],
  };

  const jobs: Record<string, JobShape> = {};
  const workflow: WorkflowJobShape[] = [];
  const tagMatchers = spec.deployRules.flatMap((r) => r.tags);
  const upstreamFilters: FilterShape | undefined = tagMatchers.length ? { tags: { only: uniq(tagMatchers.map(filterValue)) } } : undefined;
  const remote: StepShape[] =
    spec.executor.type === "docker" ? [{ setup_remote_docker: strategy === "layer-caching" ? { docker_layer_caching: true } : {} }] : [];
  const deploys: DeployView[] = [];

  for (const img of spec.images) {
    const p = { image: img.id };
    const rules = img.deploy ? spec.deployRules : [];
    const parallelism = img.test?.parallelism ?? 1;
    // One job per image unless several test nodes share one image: then a build job fills the
    // cache once and each node restores it (see the README, "Pipeline shape").
    const buildJob = reusesCache && parallelism > 1;
    let upstream: string | undefined;
    if (buildJob) {
      warmCommand();
      const name = `build-${img.id}`;
      jobs[name] = { executor: "gen-circle", steps: ["checkout", ...remote, { "gen-circle-warm-image": p }] };
      workflow.push(workflowJob(name, [], upstreamFilters));
      upstream = name;
    }
    const testName = img.test ? `test-${img.id}` : `build-${img.id}`;
    const steps: StepShape[] = ["checkout", ...remote];
    if (saveLoad) steps.push({ "gen-circle-restore-image": p });
    steps.push({ "gen-circle-build-image": p });
    if (reusesCache && !buildJob) {
      // Before the tests: the cache is saved even when they fail.
      saveCommand();
      steps.push({ "gen-circle-save-image": p });
    }
    if (img.selfTest.length) {
      steps.push({ run: { name: `Self-test ${img.id} image`, command: script("test.sh", `self ${img.id}`) } });
    }
    if (img.test) {
      const cached = saveLoad ? serviceCaches(spec, [img]) : [];
      for (const c of cached) steps.push({ restore_cache: { name: `Restore ${c.image} image`, keys: [c.key] } });
      steps.push({ "gen-circle-test": p });
      for (const c of cached) steps.push({ save_cache: { name: `Save ${c.image} image`, key: c.key, paths: [c.dir], when: "always" } });
      if (img.test.results) steps.push({ store_test_results: { path: `${RESULTS_DIR}/${img.id}` } });
      if (img.test.artifacts) steps.push({ store_artifacts: { path: `${ARTIFACTS_DIR}/${img.id}`, destination: img.id } });
    }
    if (rules.length) {
      commands["gen-circle-export-image"] ??= {
        description:
          "Hand the tested image to the deploy job through the workspace (only on branches and tags that deploy; with parallelism, node 0 exports and the other nodes end here).",
        parameters: imageParam,
        steps: [
          { run: { name: `Export ${P} image`, command: script("image.sh", `export ${P}`) } },
          { persist_to_workspace: { root: WORKSPACE, paths: [`${P}.tar`] } },
        ],
      };
      // Last: on nodes other than 0, image.sh export ends the job (circleci-agent step halt), so
      // that one node persists the tar (CircleCI refuses one file name persisted concurrently).
      steps.push({ when: { condition: deployCondition(rules), steps: [{ "gen-circle-export-image": p }] } });
    }
    jobs[testName] = { executor: "gen-circle", ...(parallelism > 1 ? { parallelism } : {}), steps };
    workflow.push(workflowJob(testName, upstream ? [upstream] : [], upstreamFilters));

    for (const r of rules) {
      commands["gen-circle-push"] ??= {
        description: "Load the tested image from the workspace, log in with the named variables (--password-stdin) and push the tags of the rule.",
        parameters: { ...imageParam, rule: { type: "integer", description: "Deploy rule number (1-based) in gen-circle.yml" } },
        steps: [
          { attach_workspace: { at: WORKSPACE } },
          { run: { name: "Load << parameters.image >> image", command: script("image.sh", "import << parameters.image >>") } },
          { run: { name: "Push << parameters.image >> image", command: script("deploy.sh", "<< parameters.image >> << parameters.rule >>") } },
        ],
      };
      const name = rules.length === 1 ? `deploy-${img.id}` : `deploy-${img.id}-${r.index}`;
      jobs[name] = { executor: "gen-circle", steps: ["checkout", ...remote, { "gen-circle-push": { image: img.id, rule: r.index } }] };
      workflow.push(workflowJob(name, [testName], branchTagFilters(r.branches.map(filterValue), r.tags.map(filterValue))));
      deploys.push(deployView(img, r));
    }
  }

  const executor =
    spec.executor.type === "machine"
      ? { machine: { image: spec.executor.image, ...(strategy === "layer-caching" ? { docker_layer_caching: true } : {}) } }
      : { docker: [{ image: spec.executor.image }] };
  const config: CircleConfigShape = {
    version: 2.1,
    executors: { "gen-circle": { ...executor, ...(spec.executor.resourceClass ? { resource_class: spec.executor.resourceClass } : {}) } },
    commands,
    jobs,
    workflows: { "gen-circle": { jobs: workflow } },
  };
  const cacheReg = spec.cache.registry;
  return {
    config,
    view: {
      images: spec.images.map(imageView),
      strategy,
      reusesCache,
      defaultBranch: spec.cache.defaultBranch,
      cacheLogin: cacheReg?.login ? { host: cacheReg.host, ...cacheReg.login } : null,
      deploys,
      ids: spec.images.map((i) => i.id).join(", "),
    },
  };
}

/** CircleCI filter syntax: exact names as they are, regexes between slashes. */
function filterValue(m: Matcher): string {
  return "exact" in m ? m.exact : `/${m.regex}/`;
}

function deployCondition(rules: DeployRule[]): ConditionShape {
  const conds: ConditionShape[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const value = r.tags.length ? "<< pipeline.git.tag >>" : "<< pipeline.git.branch >>";
    for (const m of r.tags.length ? r.tags : r.branches) {
      const c: ConditionShape = "exact" in m ? { equal: [m.exact, value] } : { matches: { pattern: `^(?:${m.regex})$`, value } };
      const key = JSON.stringify(c);
      if (!seen.has(key)) {
        seen.add(key);
        conds.push(c);
      }
    }
  }
  return conds.length === 1 ? conds[0]! : { or: conds };
}

function imageView(img: Image): ImageView {
  const kv = (list: [string, string][]) => list.map(([key, value]) => ({ key, value }));
  const t = img.test;
  return {
    id: img.id,
    name: img.name,
    dockerfile: img.dockerfile,
    context: img.context,
    target: img.target ?? "",
    buildArgs: kv(img.buildArgs),
    hashPatterns: img.hash,
    salt: hashSalt(img),
    cacheRepository: img.cacheRepository ?? "",
    hasTest: !!t,
    test: {
      shell: t && "shell" in t.command ? t.command.shell : null,
      exec: t && "exec" in t.command ? t.command.exec : [],
      environment: kv(t?.environment ?? []),
      passEnv: t?.passEnv ?? [],
      results: t?.results ?? "",
      artifacts: t?.artifacts ?? "",
      workdir: t?.workdir ?? "",
      user: t?.user ?? "",
      splitGlobs: t?.split?.globs ?? [],
      splitBy: t?.split?.by ?? "",
    },
    services: img.services.map((s) => ({
      name: s.name,
      image: s.image,
      environment: kv(s.environment),
      command: s.command,
      ready: s.ready?.command ?? "",
      timeout: s.ready?.timeout ?? 0,
      interval: s.ready?.interval ?? 1,
      setup: s.setup,
      cacheDir: s.cache ? serviceCacheDir(s.image) : "",
    })),
    selfTest: img.selfTest,
  };
}

function deployView(img: Image, r: DeployRule): DeployView {
  const exact = (ms: Matcher[]) => ms.flatMap((m) => ("exact" in m ? [m.exact] : []));
  const regex = (ms: Matcher[]) => ms.flatMap((m) => ("regex" in m ? [m.regex] : []));
  const host = r.registry.host;
  return {
    image: img.id,
    rule: r.index,
    repository: qualify(host, img.name),
    host,
    login: r.registry.login ? { host, ...r.registry.login } : null,
    tags: r.imageTags,
    branchExact: exact(r.branches),
    branchRegex: regex(r.branches),
    tagExact: exact(r.tags),
    tagRegex: regex(r.tags),
  };
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Cache keys and folders of the services that keep their image in CircleCI's cache. */
function serviceCaches(spec: Spec, images: Image[]): { image: string; key: string; dir: string }[] {
  const out = new Map<string, { image: string; key: string; dir: string }>();
  for (const img of images)
    for (const s of img.services)
      if (s.cache) {
        const key = `gen-circle-v${spec.cache.version}.service-${MACHINE}-${hashOf(s.image).slice(0, 12)}`;
        out.set(key, { image: s.image, key, dir: serviceCacheDir(s.image) });
      }
  return [...out.values()];
}
