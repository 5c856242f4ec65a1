import type { Spec } from "../spec/types.js";
import { branchTagFilters, type CircleConfigShape, type FilterShape, type JobShape, type StepShape, type WorkflowJobShape, workflowJob } from "./circleci.js";
import { commandBook, script } from "./plan/commands.js";
import { deployCondition, filterValue, uniq } from "./plan/deploy.js";
import { ARTIFACTS_DIR, RESULTS_DIR, serviceCaches } from "./plan/keys.js";
import { type DeployView, deployView, imageView, type ScriptsView } from "./plan/views.js";

// The parts of the plan: src/model/plan/ (keys and paths, the script views, deploy conditions).
export { ARTIFACTS_DIR, RESULTS_DIR, SCRIPTS_DIR, STATE, WORKSPACE } from "./plan/keys.js";
export type { DeployView, ImageView, LoginView, ScriptsView } from "./plan/views.js";

export interface Pipeline {
  config: CircleConfigShape;
  view: ScriptsView;
}

/** Spec → CircleCI config model + the view the scripts are rendered from. Pure. */
export function plan(spec: Spec): Pipeline {
  const strategy = spec.cache.strategy;
  const saveLoad = strategy === "save-load";
  const reusesCache = saveLoad || strategy === "registry";
  const { commands, use } = commandBook(spec);
  if (saveLoad) use("gen-circle-restore-image");
  use("gen-circle-build-image");
  use("gen-circle-test");

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
      use("gen-circle-warm-image");
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
      use("gen-circle-save-image");
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
      use("gen-circle-export-image");
      // Last: on nodes other than 0, image.sh export ends the job (circleci-agent step halt), so
      // that one node persists the tar (CircleCI refuses one file name persisted concurrently).
      steps.push({ when: { condition: deployCondition(rules), steps: [{ "gen-circle-export-image": p }] } });
    }
    jobs[testName] = { executor: "gen-circle", ...(parallelism > 1 ? { parallelism } : {}), steps };
    workflow.push(workflowJob(testName, upstream ? [upstream] : [], upstreamFilters));

    for (const r of rules) {
      use("gen-circle-push");
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
  // Every per-image table of the scripts (lib.sh, hash.sh, test.sh) is rendered from these views.
  const images = spec.images.map(imageView);
  return {
    config,
    view: {
      images,
      strategy,
      reusesCache,
      defaultBranch: spec.cache.defaultBranch,
      cacheLogin: cacheReg?.login ? { host: cacheReg.host, ...cacheReg.login } : null,
      deploys,
      ids: images.map((i) => i.id).join(", "),
    },
  };
}
