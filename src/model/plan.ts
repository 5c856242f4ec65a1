import { TAG_PLACEHOLDERS } from "../spec/placeholders.js";
import type { DeployRule, Image, Spec } from "../spec/types.js";
import {
  branchTagFilters,
  type CircleConfigShape,
  type CommandName,
  type FilterShape,
  type JobShape,
  type StepShape,
  type WorkflowJobShape,
  workflowJob,
} from "./circleci.js";
import { changesView, continuation, setupConfig, SMALL, smallExecutor } from "./plan/changes.js";
import { commandBook, script } from "./plan/commands.js";
import { deployCondition, deployFilters, filterValue, nonDeployFilters, uniq } from "./plan/deploy.js";
import { ARTIFACTS_DIR, RESULTS_DIR, serviceCaches } from "./plan/keys.js";
import { type DeployView, deployView, imageView, type ScriptsView } from "./plan/views.js";
import { STRATEGIES, type Strategy } from "./strategies.js";

// The parts of the plan: src/model/plan/ (keys and paths, the script views, deploy conditions).
export { ARTIFACTS_DIR, RESULTS_DIR, SCRIPTS_DIR, STATE } from "./plan/keys.js";
export type { DeployView, ImageView, LoginView, ScriptsView } from "./plan/views.js";
export { STRATEGIES, type Strategy } from "./strategies.js";

export interface Pipeline {
  config: CircleConfigShape;
  /** with `changes:`, `.circleci/config.yml` is this setup config and `config` its continuation */
  setup?: CircleConfigShape;
  view: ScriptsView;
}

/** Spec → CircleCI config model + the view the scripts are rendered from. Pure. */
export function plan(spec: Spec): Pipeline {
  const strategy = STRATEGIES[spec.cache.strategy];
  const book = commandBook(spec);
  if (strategy.archive) book.use("gen-circle-restore-image");
  book.use("gen-circle-build-image");
  book.use("gen-circle-test");

  const tagMatchers = spec.deployRules.flatMap((r) => r.tags);
  const ctx: PlanContext = {
    spec,
    strategy,
    use: book.use,
    jobs: {},
    workflow: [],
    deploys: [],
    upstreamFilters: tagMatchers.length ? { tags: { only: uniq(tagMatchers.map(filterValue)) } } : undefined,
    remote: spec.executor.type === "docker" ? [{ setup_remote_docker: strategy.layerCaching ? { docker_layer_caching: true } : {} }] : [],
  };
  const byImage = new Map<string, WorkflowJobShape[]>();
  for (const img of spec.images) {
    const from = ctx.workflow.length;
    planImage(ctx, img);
    byImage.set(img.id, ctx.workflow.slice(from));
  }

  const executor =
    spec.executor.type === "machine"
      ? { machine: { image: spec.executor.image, ...(strategy.layerCaching ? { docker_layer_caching: true } : {}) } }
      : { docker: [{ image: spec.executor.image }] };
  const small = Object.values(ctx.jobs).some((j) => j.executor === SMALL);
  const full: CircleConfigShape = {
    version: 2.1,
    executors: { "gen-circle": { ...executor, resource_class: spec.executor.resourceClass }, ...(small ? { [SMALL]: smallExecutor(spec) } : {}) },
    commands: book.commands,
    jobs: ctx.jobs,
    workflows: { "gen-circle": { jobs: ctx.workflow } },
  };
  const config = spec.changes ? continuation(spec, full, byImage) : full;
  const cacheReg = spec.cache.registry;
  // Every per-image table of the scripts (lib.sh, hash.sh, test.sh) is rendered from these views.
  const images = spec.images.map(imageView);
  return {
    config,
    ...(spec.changes ? { setup: setupConfig(spec) } : {}),
    view: {
      changes: changesView(spec) ?? null,
      images,
      strategy: strategy.name,
      strategyPartial: strategy.partial,
      reusesCache: strategy.reusesCache,
      defaultBranch: spec.cache.defaultBranch,
      cacheLogin: cacheReg?.login ? { host: cacheReg.host, ...cacheReg.login } : null,
      pullLogins: spec.pullRegistries.flatMap((g) => (g.login ? [{ host: g.host, ...g.login }] : [])),
      deploys: ctx.deploys,
      ids: images.map((i) => i.id).join(", "),
      tagSubstitutions: TAG_PLACEHOLDERS.map((p) => `t=\${t//\\{${p.name}\\}/${p.bash}}`),
    },
  };
}

/** What the jobs of each image are planned into. */
interface PlanContext {
  spec: Spec;
  strategy: Strategy;
  use: (name: CommandName) => void;
  jobs: Record<string, JobShape>;
  workflow: WorkflowJobShape[];
  deploys: DeployView[];
  /** Every job a deploy depends on runs for the tags that deploy (CircleCI runs no job for a tag unless told). */
  upstreamFilters: FilterShape | undefined;
  /** setup_remote_docker on the docker executor */
  remote: StepShape[];
}

/** One image's jobs: a build job (parallel nodes sharing a cache), its test job, its deploy jobs. */
function planImage(ctx: PlanContext, img: Image): void {
  const parallelism = img.test?.parallelism ?? 1;
  // One job per image unless several test nodes share one image: then a build job fills the
  // cache once and each node restores it (docs/pipeline.md, "Pipeline shape").
  const buildJob = ctx.strategy.reusesCache && parallelism > 1;
  const requires: string[] = [];
  if (buildJob) {
    ctx.use("gen-circle-warm-image");
    const name = `build-${img.id}`;
    ctx.jobs[name] = { executor: "gen-circle", steps: ["checkout", ...ctx.remote, { "gen-circle-warm-image": { image: img.id } }] };
    ctx.workflow.push(workflowJob(name, [], ctx.upstreamFilters));
    requires.push(name);
  }
  const rules = img.deploy ? ctx.spec.deployRules : [];
  // Among several images, one nothing consumes (GC1042): no job builds it.
  if (ctx.spec.images.length > 1 && !img.test && !img.selfTest.length && !rules.length) return;
  const testName = img.test ? `test-${img.id}` : `build-${img.id}`;
  const job = (steps: StepShape[]): JobShape => ({ executor: "gen-circle", ...(parallelism > 1 ? { parallelism } : {}), steps });
  if (!rules.length) {
    ctx.jobs[testName] = job(testJobSteps(ctx, img, buildJob));
    ctx.workflow.push(workflowJob(testName, requires, ctx.upstreamFilters));
    return;
  }
  // Branches and tags that deploy run other jobs than the rest: the only ones that hold the
  // registry's secrets (the deploy contexts), and none moves the image through the workspace.
  const context = ctx.spec.deployContexts;
  const others = nonDeployFilters(rules);
  for (const r of rules) ctx.deploys.push(deployView(img, r));
  const deployName = (r: DeployRule) => (rules.length === 1 ? `deploy-${img.id}` : `deploy-${img.id}-${r.index}`);
  // One deploy of a rule at a time across the organisation, and never an older pipeline's after a
  // newer one's (CircleCI skips it): an older commit cannot move `latest` back. One group per
  // job: CircleCI wants each group once in a workflow.
  const serialGroup = (name: string) => `<< pipeline.project.slug >>/gen-circle/${name}`;
  const ruleFilters = (r: DeployRule) => branchTagFilters(r.branches.map(filterValue), r.tags.map(filterValue));
  if (parallelism === 1) {
    // One machine: the job that tests the image pushes it once the tests passed.
    ctx.use("gen-circle-push");
    ctx.jobs[testName] = job(testJobSteps(ctx, img, buildJob));
    ctx.workflow.push(workflowJob(testName, requires, others));
    for (const r of rules) {
      const name = deployName(r);
      ctx.jobs[name] = job([...testJobSteps(ctx, img, buildJob), { "gen-circle-push": { image: img.id, rule: r.index } }]);
      ctx.workflow.push(workflowJob(name, requires, ruleFilters(r), { context, serialGroup: serialGroup(name) }));
    }
    return;
  }
  // Parallel nodes: node 0 pushes the image once as a candidate after its tests; each deploy job
  // gives it the rule's tags in the registry (a manifest copy: no layer moves) once every node passed.
  ctx.use("gen-circle-push-candidate");
  ctx.use("gen-circle-promote");
  const candidates: StepShape[] = rules.map((r) => ({
    when: { condition: deployCondition([r]), steps: [{ "gen-circle-push-candidate": { image: img.id, rule: r.index } }] },
  }));
  ctx.jobs[testName] = job([...testJobSteps(ctx, img, buildJob), ...candidates]);
  const deploying = `${testName}-deploying`;
  ctx.workflow.push(workflowJob(testName, requires, others));
  ctx.workflow.push(workflowJob(testName, requires, deployFilters(rules), { name: deploying, context }));
  for (const r of rules) {
    const name = deployName(r);
    // A manifest copy through the registry's API: no Docker, the small executor.
    ctx.jobs[name] = { executor: SMALL, steps: ["checkout", { "gen-circle-promote": { image: img.id, rule: r.index } }] };
    ctx.workflow.push(workflowJob(name, [deploying], ruleFilters(r), { context, serialGroup: serialGroup(name) }));
  }
}

/** The steps of an image's test job (its build job where it has no test). */
function testJobSteps(ctx: PlanContext, img: Image, buildJob: boolean): StepShape[] {
  const { strategy, use } = ctx;
  const p = { image: img.id };
  const steps: StepShape[] = ["checkout", ...ctx.remote];
  if (strategy.archive) steps.push({ "gen-circle-restore-image": p });
  steps.push({ "gen-circle-build-image": p });
  // Test nodes after a build job save only to replace a stale archive (node 0): an archive that
  // travels is saved in the build job.
  if (strategy.reusesCache && (!buildJob || strategy.archive)) {
    // Before the tests: the cache is saved even when they fail.
    use("gen-circle-save-image");
    steps.push({ "gen-circle-save-image": p });
  }
  if (img.selfTest.length) {
    steps.push({ run: { name: `Self-test ${img.id} image`, command: script("test.sh", `self ${img.id}`) } });
  }
  if (img.test) {
    const cached = strategy.cachesServices ? serviceCaches(ctx.spec, [img]) : [];
    for (const c of cached) steps.push({ restore_cache: { name: `Restore ${c.image} image`, keys: [c.key] } });
    steps.push({ "gen-circle-test": p });
    for (const c of cached) steps.push({ save_cache: { name: `Save ${c.image} image`, key: c.key, paths: [c.dir], when: "always" } });
    if (img.test.results) steps.push({ store_test_results: { path: `${RESULTS_DIR}/${img.id}` } });
    if (img.test.artifacts) steps.push({ store_artifacts: { path: `${ARTIFACTS_DIR}/${img.id}`, destination: img.id } });
  }
  return steps;
}
