import type { Job, Step } from "../run/expand.js";
import { pickCache, renderKey, type StoredCache } from "../run/keys.js";

/**
 * One pipeline of the generated config, played without running anything: which caches each
 * node restores and saves (by CircleCI's key rules, on a cache store that earlier pipelines
 * filled), what each step of the generated scripts then has to do, and for how long. Bytes are
 * what `gen-circle run` measures; minutes are estimates from the assumptions.
 */
export interface Assumptions {
  /** bytes a cache path holds when saved (as the config names it, e.g. /tmp/gen-circle/cache/app) */
  bytesOf(path: string): number;
  /** the test suite on one node */
  suiteMinutes: number;
  /** building the dependency layers (a dependency change, a first pipeline) */
  depsBuildMinutes: number;
  /** building the layers after the code is copied in */
  codeBuildMinutes: number;
  /** a job's start (machine or container) and checkout */
  startMinutes: { machine: number; docker: number };
  /** MB per second: cache download and unpack, docker load, docker save + upload, registry push */
  mbps: { restore: number; load: number; save: number; push: number };
}

export type Scenario = "rerun" | "code" | "deps" | "first";

export interface CacheEntry extends StoredCache {
  bytes: number;
  paths: string[];
}

export interface JobPlay {
  name: string;
  executor: string;
  nodes: number;
  /** minutes per node (nodes run at once) */
  minutes: number[];
  restored: number;
  saved: number;
  persisted: number;
  attached: number;
  /** caches restored (hits) and saved (new keys), as `gen-circle run` counts them */
  hits: number;
  saves: number;
}

interface NodeState {
  minutes: number;
  /** cache paths restored, and whether from a key of this very hash */
  restored: Map<string, { bytes: number; current: boolean }>;
  halted: boolean;
}

/** The symbolic checksum of a file the generated scripts write: hash files change with the scenario. */
function checksumOf(version: number) {
  return (path: string): string => {
    if (path.endsWith("/machine")) return "machine";
    if (path.endsWith(".gen")) return "gen0";
    if (path.includes("/hash/")) return `inputs${version}`;
    return "file";
  };
}

const MB = 1e6;

/** Plays the jobs (already selected for one ref) on `store`, which it extends with what they save. */
export function playPipeline(jobs: Job[], scenario: Scenario, version: number, store: CacheEntry[], a: Assumptions): JobPlay[] {
  const persistedSoFar = { bytes: 0 };
  return ordered(jobs).map((job) => {
    const nodes = Math.max(1, job.parallelism);
    const play: JobPlay = {
      name: job.name,
      executor: `${job.executor.type}.${job.executor.resourceClass}`,
      nodes,
      minutes: [],
      restored: 0,
      saved: 0,
      persisted: 0,
      attached: 0,
      hits: 0,
      saves: 0,
    };
    for (let index = 0; index < nodes; index++) {
      const node: NodeState = { minutes: a.startMinutes[job.executor.type], restored: new Map(), halted: false };
      for (const step of job.steps) {
        if (node.halted) break;
        playStep(step, { job, index, nodes, scenario, version, store, a, node, play, persistedSoFar });
      }
      play.minutes.push(node.minutes);
    }
    return play;
  });
}

interface StepCtx {
  job: Job;
  index: number;
  nodes: number;
  scenario: Scenario;
  version: number;
  store: CacheEntry[];
  a: Assumptions;
  node: NodeState;
  play: JobPlay;
  persistedSoFar: { bytes: number };
}

function playStep(step: Step, c: StepCtx): void {
  const { a, node, play, store } = c;
  const keyCtx = { branch: "b", revision: "r", buildNum: "1", environment: {}, epoch: 0, arch: "arch", checksum: checksumOf(c.version) };
  switch (step.kind) {
    case "restore_cache": {
      const keys = step.keys.map((k) => renderKey(k, keyCtx));
      const hit = pickCache(keys, store) as CacheEntry | undefined;
      if (!hit) return;
      play.hits++;
      play.restored += hit.bytes;
      node.minutes += hit.bytes / MB / a.mbps.restore / 60;
      for (const p of hit.paths) node.restored.set(p, { bytes: hit.bytes, current: hit.key.startsWith(keys[0]!) });
      return;
    }
    case "save_cache": {
      const key = renderKey(step.key, keyCtx);
      if (store.some((s) => s.key === key)) return; // CircleCI never overwrites a key
      const bytes = step.paths.reduce((n, p) => n + a.bytesOf(p), 0);
      store.push({ key, created: store.length + 1, bytes, paths: step.paths });
      play.saves++;
      play.saved += bytes;
      node.minutes += bytes / MB / a.mbps.save / 60;
      return;
    }
    case "persist_to_workspace": {
      const bytes = step.paths.reduce((n, p) => n + a.bytesOf(`${step.root.replace(/\/$/, "")}/${p}`), 0);
      play.persisted += bytes;
      c.persistedSoFar.bytes += bytes;
      node.minutes += bytes / MB / a.mbps.save / 60;
      return;
    }
    case "attach_workspace":
      play.attached += c.persistedSoFar.bytes;
      node.minutes += c.persistedSoFar.bytes / MB / a.mbps.restore / 60;
      return;
    case "run":
      node.minutes += runMinutes(step.command, c);
      return;
    default:
      node.minutes += 0.02;
  }
}

/** What a step of the generated scripts has to do in this scenario, in minutes. */
function runMinutes(command: string, c: StepCtx): number {
  const { a, node, scenario } = c;
  const archive = (id: string) => node.restored.get(`/tmp/gen-circle/cache/${id}`);
  const image = /image\.sh (ready|warm|built) ([A-Za-z0-9_.-]+)/.exec(command);
  if (image) {
    const [, verb, id] = image as unknown as [string, string, string];
    const restored = archive(id);
    if (verb === "built") {
      // The marker of this hash says the cache holds the image: the job halts there, green.
      if (node.restored.get(`/tmp/gen-circle/built/${id}`)?.current && /step halt/.test(command)) node.halted = true;
      return 0.02;
    }
    if (verb === "warm" && restored?.current) return 0.02;
    const load = restored ? restored.bytes / MB / a.mbps.load / 60 : 0;
    const build = restored?.current ? (verb === "warm" || scenario === "rerun" ? 0.05 : a.codeBuildMinutes) : a.depsBuildMinutes + a.codeBuildMinutes;
    return load + build;
  }
  // Older shapes handed the image on through the workspace: docker save, docker load.
  const handOn = /image\.sh (export|import) ([A-Za-z0-9_.-]+)/.exec(command);
  if (handOn) {
    // Its export ran on node 0 only: the other nodes halted there.
    if (handOn[1] === "export" && c.index !== 0) {
      node.halted = true;
      return 0.01;
    }
    const bytes = a.bytesOf(`/tmp/gen-circle/workspace/${handOn[2]}.tar`);
    return bytes / MB / (handOn[1] === "export" ? a.mbps.save : a.mbps.load) / 60;
  }
  if (/test\.sh run /.test(command)) return a.suiteMinutes / c.nodes + 0.2;
  const deploy = /deploy\.sh ([A-Za-z0-9_.-]+) \d+(?: (candidate|promote))?\s*$/.exec(command);
  if (deploy) {
    if (deploy[2] === "promote") return 0.05;
    if (deploy[2] === "candidate" && c.index !== 0) return 0.01;
    // Layers the registry lacks: all of them after a dependency change, the code layers otherwise.
    const fresh = scenario === "deps" || scenario === "first";
    return fresh ? a.bytesOf(`/tmp/gen-circle/cache/${deploy[1]}`) / MB / a.mbps.push / 60 + 0.1 : 0.2;
  }
  return 0.05;
}

/** The jobs in an order where each comes after those it requires. */
export function ordered(jobs: Job[]): Job[] {
  const out: Job[] = [];
  const visit = (j: Job, seen: Set<string>) => {
    if (out.includes(j) || seen.has(j.name)) return;
    seen.add(j.name);
    for (const r of j.requires) {
      const dep = jobs.find((x) => x.name === r);
      if (dep) visit(dep, seen);
    }
    out.push(j);
  };
  for (const j of jobs) visit(j, new Set());
  return out;
}

/** The longest chain of `requires`, by each job's slowest node. */
export function criticalPath(jobs: Job[], plays: JobPlay[]): number {
  const memo = new Map<string, number>();
  const finish = (name: string): number => {
    if (memo.has(name)) return memo.get(name)!;
    const job = jobs.find((j) => j.name === name);
    const play = plays.find((p) => p.name === name);
    if (!job || !play) return 0;
    memo.set(name, 0);
    const t = Math.max(0, ...job.requires.map(finish)) + Math.max(...play.minutes);
    memo.set(name, t);
    return t;
  };
  return Math.max(0, ...plays.map((p) => finish(p.name)));
}
