import { type Code, Codes } from "../diagnostics.js";
import { CONTINUATION, runParameter } from "../model/plan/changes.js";
import { expandWorkflow, type Job, listWorkflows, workflowRuns } from "../run/expand.js";
import { jobRuns, matchesAny } from "../run/filters.js";
import { selectJobs } from "../run/schedule.js";
import { load, type SourceDoc } from "../spec/load.js";
import type { Spec } from "../spec/types.js";
import { rateTable, STORAGE } from "./rates.js";
import { distinctRefs, type Ref, refLabel, refsOf } from "./refs.js";
import { type Assumptions, type CacheEntry, criticalPath, type JobPlay, playPipeline, type Scenario } from "./simulate.js";

/**
 * `gen-circle cost`: for each kind of push (a ref per filter pattern) and each scenario, the jobs
 * that run, machine starts, bytes restored, saved and persisted, the critical path and the
 * credits by CircleCI's published rates. Pure: the config comes parsed.
 */
export const SCENARIOS: { id: Scenario; title: string }[] = [
  { id: "code", title: "code change (dependency inputs unchanged)" },
  { id: "deps", title: "dependency change (every image's hash inputs changed)" },
  { id: "first", title: "first pipeline (empty cache)" },
  { id: "rerun", title: "rerun of the same commit" },
];

export interface ScenarioCost {
  scenario: Scenario;
  title: string;
  /** with `changes:`: which images the push changed ("every image", "only api") */
  changed?: string;
  jobs: (JobPlay & { credits: number })[];
  machineStarts: number;
  restoredBytes: number;
  savedBytes: number;
  persistedBytes: number;
  attachedBytes: number;
  criticalPathMinutes: number;
  /** compute (each node rounded up to a credit) + storage of what was saved and persisted */
  computeCredits: number;
  storageCredits: number;
  credits: number;
}

export interface RefCost {
  label: string;
  branch?: string;
  tag?: string;
  scenarios: ScenarioCost[];
}

export interface CostOptions {
  workflow?: string;
  /** estimate for this ref only (as `gen-circle run --branch/--tag`) */
  ref?: { branch?: string; tag?: string };
  scenarios?: Scenario[];
  /** credits per minute by `<executor>.<class>`, over the published table */
  rates?: Record<string, number>;
  /** a setup configuration's continuation (`changes:`): the config it posts, the image ids, and the refs that deploy (every image runs there) */
  changes?: { continuation: SourceDoc; images: string[]; deploys: (ref: { branch?: string; tag?: string }) => boolean };
  /** with `changes:`: only this case, "every" or an image id */
  changed?: string;
  assumptions: Assumptions;
}

/** A question the estimate cannot answer from the config: a workflow to choose, a rate to give. */
export class CostError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

type RefLike = Ref | { branch?: string; tag?: string };
type Params = Record<string, boolean>;

export function estimateCost(source: SourceDoc, opts: CostOptions): RefCost[] {
  const config = source.value as Record<string, unknown>;
  const workflows = listWorkflows(config);
  const workflow = opts.workflow ?? workflows[0];
  if (!workflow || (!opts.workflow && workflows.length > 1))
    throw new CostError(Codes.noSuchName, `Name a workflow (--workflow): ${workflows.join(", ") || "(none)"}.`);
  const pipeline = (r: RefLike, parameters?: Params) => ({
    branch: r.branch ?? "",
    tag: r.tag ?? "",
    revision: "0".repeat(40),
    number: 1,
    projectSlug: "gh/org/repo",
    parameters,
  });
  const selected = (jobs: Job[], r: RefLike) => {
    const chosen = selectJobs(jobs, (j) => jobRuns(j.filters, r));
    return jobs.filter((j) => chosen.has(j.name));
  };
  // A setup config (`changes:`): its job, then the continuation's workflows that the parameters run.
  const cont = config.setup === true ? opts.changes : undefined;
  if (config.setup === true && !cont)
    throw new CostError(Codes.cliUsage, "A setup configuration: the estimate needs the continuation it posts (CostOptions.changes).");
  const continued = (r: RefLike, params: Params) => {
    const c = cont!.continuation;
    return listWorkflows(c.value as Record<string, unknown>)
      .filter((w) => workflowRuns(c, w, pipeline(r, params)))
      .flatMap((w) => selected(expandWorkflow(c, w, pipeline(r, params)), r));
  };
  const jobsFor = (r: RefLike, params: Params = {}) => {
    const first = selected(expandWorkflow(source, workflow, pipeline(r)), r);
    // The continued jobs start once the setup job has continued the pipeline.
    const after = cont ? continued(r, params).map((j) => ({ ...j, requires: [...j.requires, ...first.map((f) => f.name)] })) : [];
    return [...first, ...after];
  };
  const every = cont ? Object.fromEntries(cont.images.map((id) => [runParameter(id), true])) : {};
  const none = cont ? Object.fromEntries(cont.images.map((id) => [runParameter(id), false])) : {};
  const filters = cont
    ? listWorkflows(cont.continuation.value as Record<string, unknown>).flatMap((w) =>
        expandWorkflow(cont.continuation, w, pipeline({ branch: "main" }, every)).map((j) => j.filters),
      )
    : expandWorkflow(source, workflow, pipeline({ branch: "main" })).map((j) => j.filters);
  const refs: Ref[] = opts.ref
    ? [{ ...opts.ref, pattern: opts.ref.tag ?? opts.ref.branch ?? "" }]
    : distinctRefs(
        refsOf(filters),
        (r) => jobsFor(r, every),
        (a, b) => a.length === b.length && a.every((j, i) => j.name === b[i]!.name && j.steps.length === b[i]!.steps.length),
      );
  const rates = rateTable(opts.rates);
  const scenarios = SCENARIOS.filter((s) => !opts.scenarios || opts.scenarios.includes(s.id));
  return refs.map((ref) => {
    // With `changes:`, what changed decides the images: each alone, or every one; a tag and a
    // deploying branch run every image.
    const changes: { changed?: string; params: Params }[] = !cont
      ? [{ params: {} }]
      : [
          { changed: "every image", params: every },
          ...(ref.tag !== undefined || cont.deploys(ref)
            ? []
            : [...cont.images.map((id) => ({ changed: `only ${id}`, params: { ...none, [runParameter(id)]: true } })), { changed: "no image", params: none }]),
        ].filter(
          (c) => !opts.changed || c.changed === (opts.changed === "every" ? "every image" : opts.changed === "none" ? "no image" : `only ${opts.changed}`),
        );
    return {
      label: refLabel(ref),
      ...(ref.tag !== undefined ? { tag: ref.tag } : { branch: ref.branch }),
      scenarios: changes.flatMap((c) => {
        const jobs = jobsFor(ref, c.params);
        return scenarios.map((s) => ({ ...scenarioCost(jobs, s, rates, opts.assumptions), ...(c.changed ? { changed: c.changed } : {}) }));
      }),
    };
  });
}

function scenarioCost(jobs: Job[], s: (typeof SCENARIOS)[number], rates: Map<string, number>, a: Assumptions): ScenarioCost {
  // The cache as the earlier pipelines left it: none, this hash's, or the previous hash's.
  const store: CacheEntry[] = [];
  if (s.id !== "first") playPipeline(jobs, "first", 0, store, a);
  const plays = playPipeline(jobs, s.id, s.id === "deps" ? 1 : 0, store, a);
  const priced = plays.map((p) => {
    const rate = rates.get(p.executor);
    if (rate === undefined)
      throw new CostError(Codes.cliUsage, `No published rate for ${p.executor} (job ${p.name}) in the table: pass --rate ${p.executor}=CREDITS_PER_MINUTE.`);
    return { ...p, credits: p.minutes.reduce((n, m) => n + Math.ceil(m * rate), 0) };
  });
  const sum = (f: (p: JobPlay) => number) => plays.reduce((n, p) => n + f(p), 0);
  const savedBytes = sum((p) => p.saved);
  const persistedBytes = sum((p) => p.persisted);
  const computeCredits = priced.reduce((n, p) => n + p.credits, 0);
  // Billed by size over time, not per task: rounded to the nearest credit (a marker of bytes costs none).
  const storageCredits = Math.round(((savedBytes + persistedBytes) / 1e9) * STORAGE.creditsPerGbMonth * (STORAGE.retentionDays / 30));
  return {
    scenario: s.id,
    title: s.title,
    jobs: priced,
    machineStarts: sum((p) => p.nodes),
    restoredBytes: sum((p) => p.restored),
    savedBytes,
    persistedBytes,
    attachedBytes: sum((p) => p.attached),
    criticalPathMinutes: criticalPath(jobs, plays),
    computeCredits,
    storageCredits,
    credits: computeCredits + storageCredits,
  };
}

/** The estimate for a config given as text (the library's entry: `generate`'s config.yml, or any 2.1 config). */
export function costOfConfig(text: string, opts: CostOptions, file = ".circleci/config.yml"): RefCost[] {
  const { source, diagnostics } = load(text, file);
  if (!source) throw new CostError(Codes.yamlSyntax, `${file} does not parse: ${diagnostics[0]?.message ?? "invalid YAML"}`);
  return estimateCost(source, opts);
}

/**
 * The estimate for what `generate` returned: its config, and with `changes:` the continuation
 * the setup job posts (every image runs on a tag and on a branch a deploy rule names).
 */
export function costOfGenerated(result: { files: { path: string; content: string }[]; spec?: Spec }, opts: Omit<CostOptions, "changes">): RefCost[] {
  const text = (path: string) => result.files.find((f) => f.path === path)?.content;
  const { source } = load(text(".circleci/config.yml") ?? "", ".circleci/config.yml");
  if (!source || !result.spec) throw new CostError(Codes.cliUsage, "Nothing was generated: the spec has errors.");
  const spec = result.spec;
  const cont = text(CONTINUATION);
  const continuation = cont === undefined ? undefined : load(cont, CONTINUATION).source;
  const deploys = (ref: { branch?: string; tag?: string }) =>
    ref.tag === undefined &&
    spec.deployRules.some((r) =>
      matchesAny(
        ref.branch ?? "",
        r.branches.map((m) => ("exact" in m ? m.exact : `/${m.regex}/`)),
      ),
    );
  return estimateCost(source, { ...opts, ...(continuation ? { changes: { continuation, images: spec.images.map((i) => i.id), deploys } } : {}) });
}
