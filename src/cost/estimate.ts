import { type Code, Codes } from "../diagnostics.js";
import { expandWorkflow, type Job, listWorkflows } from "../run/expand.js";
import { jobRuns } from "../run/filters.js";
import { selectJobs } from "../run/schedule.js";
import { load, type SourceDoc } from "../spec/load.js";
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

export function estimateCost(source: SourceDoc, opts: CostOptions): RefCost[] {
  const config = source.value as Record<string, unknown>;
  const workflows = listWorkflows(config);
  const workflow = opts.workflow ?? workflows[0];
  if (!workflow || (!opts.workflow && workflows.length > 1))
    throw new CostError(Codes.noSuchName, `Name a workflow (--workflow): ${workflows.join(", ") || "(none)"}.`);
  const expand = (r: Ref | { branch?: string; tag?: string }) =>
    expandWorkflow(source, workflow, { branch: r.branch ?? "", tag: r.tag ?? "", revision: "0".repeat(40), number: 1, projectSlug: "gh/org/repo" });
  const select = (r: Ref | { branch?: string; tag?: string }) => {
    const jobs = expand(r);
    const chosen = selectJobs(jobs, (j) => jobRuns(j.filters, r));
    return jobs.filter((j) => chosen.has(j.name));
  };
  const refs: Ref[] = opts.ref
    ? [{ ...opts.ref, pattern: opts.ref.tag ?? opts.ref.branch ?? "" }]
    : distinctRefs(
        refsOf(expand({ branch: "main" }).map((j) => j.filters)),
        select,
        (a, b) => a.length === b.length && a.every((j, i) => j.name === b[i]!.name && j.steps.length === b[i]!.steps.length),
      );
  const rates = rateTable(opts.rates);
  return refs.map((ref) => {
    const jobs = select(ref);
    return {
      label: refLabel(ref),
      ...(ref.tag !== undefined ? { tag: ref.tag } : { branch: ref.branch }),
      scenarios: SCENARIOS.filter((s) => !opts.scenarios || opts.scenarios.includes(s.id)).map((s) => scenarioCost(jobs, s, rates, opts.assumptions)),
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
  const storageCredits = Math.ceil(((savedBytes + persistedBytes) / 1e9) * STORAGE.creditsPerGbMonth * (STORAGE.retentionDays / 30));
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
