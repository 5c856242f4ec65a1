import { TAG_PLACEHOLDERS } from "../spec/placeholders.js";
import type { Image, Spec } from "../spec/types.js";
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
import { commandBook, script } from "./plan/commands.js";
import { deployCondition, filterValue, uniq } from "./plan/deploy.js";
import { ARTIFACTS_DIR, RESULTS_DIR, serviceCaches } from "./plan/keys.js";
import { type DeployView, deployView, imageView, type ScriptsView } from "./plan/views.js";
import { STRATEGIES, type Strategy } from "./strategies.js";

// The parts of the plan: src/model/plan/ (keys and paths, the script views, deploy conditions).
export { ARTIFACTS_DIR, RESULTS_DIR, SCRIPTS_DIR, STATE, WORKSPACE } from "./plan/keys.js";
export type { DeployView, ImageView, LoginView, ScriptsView } from "./plan/views.js";
export { STRATEGIES, type Strategy } from "./strategies.js";

export interface Pipeline {
  config: CircleConfigShape;
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
  for (const img of spec.images) planImage(ctx, img);

  const executor =
    spec.executor.type === "machine"
      ? { machine: { image: spec.executor.image, ...(strategy.layerCaching ? { docker_layer_caching: true } : {}) } }
      : { docker: [{ image: spec.executor.image }] };
  const config: CircleConfigShape = {
    version: 2.1,
    executors: { "gen-circle": { ...executor, resource_class: spec.executor.resourceClass } },
    commands: book.commands,
    jobs: ctx.jobs,
    workflows: { "gen-circle": { jobs: ctx.workflow } },
  };
  const cacheReg = spec.cache.registry;
  // Every per-image table of the scripts (lib.sh, hash.sh, test.sh) is rendered from these views.
  const images = spec.images.map(imageView);
  return {
    config,
    view: {
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
  let upstream: string | undefined;
  if (buildJob) {
    ctx.use("gen-circle-warm-image");
    upstream = `build-${img.id}`;
    ctx.jobs[upstream] = { executor: "gen-circle", steps: ["checkout", ...ctx.remote, { "gen-circle-warm-image": { image: img.id } }] };
    ctx.workflow.push(workflowJob(upstream, [], ctx.upstreamFilters));
  }
  const testName = img.test ? `test-${img.id}` : `build-${img.id}`;
  ctx.jobs[testName] = { executor: "gen-circle", ...(parallelism > 1 ? { parallelism } : {}), steps: testJobSteps(ctx, img, buildJob) };
  ctx.workflow.push(workflowJob(testName, upstream ? [upstream] : [], ctx.upstreamFilters));
  const rules = img.deploy ? ctx.spec.deployRules : [];
  for (const r of rules) {
    ctx.use("gen-circle-push");
    const name = rules.length === 1 ? `deploy-${img.id}` : `deploy-${img.id}-${r.index}`;
    ctx.jobs[name] = { executor: "gen-circle", steps: ["checkout", ...ctx.remote, { "gen-circle-push": { image: img.id, rule: r.index } }] };
    // One deploy of a rule at a time across the organisation, and never an older pipeline's after a
    // newer one's (CircleCI skips it): an older commit cannot move `latest` back. One group per
    // job: CircleCI wants each group once in a workflow.
    const serialGroup = `<< pipeline.project.slug >>/gen-circle/${name}`;
    ctx.workflow.push(workflowJob(name, [testName], branchTagFilters(r.branches.map(filterValue), r.tags.map(filterValue)), serialGroup));
    ctx.deploys.push(deployView(img, r));
  }
}

/** The steps of an image's test job (its build job where it has no test). */
function testJobSteps(ctx: PlanContext, img: Image, buildJob: boolean): StepShape[] {
  const { strategy, use } = ctx;
  const p = { image: img.id };
  const steps: StepShape[] = ["checkout", ...ctx.remote];
  if (strategy.archive) steps.push({ "gen-circle-restore-image": p });
  steps.push({ "gen-circle-build-image": p });
  if (strategy.reusesCache && !buildJob) {
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
  if (img.deploy && ctx.spec.deployRules.length) {
    use("gen-circle-export-image");
    // Last: on nodes other than 0, image.sh export ends the job (circleci-agent step halt), so
    // that one node persists the tar (CircleCI refuses one file name persisted concurrently).
    steps.push({ when: { condition: deployCondition(ctx.spec.deployRules), steps: [{ "gen-circle-export-image": p }] } });
  }
  return steps;
}
