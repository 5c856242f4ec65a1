import type { Assumptions } from "./simulate.js";

/** The defaults `gen-circle cost` states with every estimate (docs/cost.md: how they were chosen). */
export const DEFAULTS = {
  archiveMb: 500,
  serviceArchiveMb: 100,
  markerBytes: 100,
  suiteMinutes: 4,
  depsBuildMinutes: 3,
  codeBuildMinutes: 0.5,
  startMinutes: { machine: 0.5, docker: 0.2 },
  mbps: { restore: 100, load: 60, save: 40, push: 50 },
};

export interface AssumptionInput {
  /** image archive MB by image id; "*" for every image */
  archiveMb?: Map<string, number>;
  /** bytes by cache path, as a `gen-circle run` cache measured them */
  measured?: Map<string, number>;
  suiteMinutes?: number;
  depsBuildMinutes?: number;
  codeBuildMinutes?: number;
}

/** The assumptions, and the lines that state them. */
export function assumptionsFor(input: AssumptionInput): { assumptions: Assumptions; notes: string[] } {
  const archives = input.archiveMb ?? new Map<string, number>();
  const measured = input.measured ?? new Map<string, number>();
  const archiveOf = (id: string) => (archives.get(id) ?? archives.get("*") ?? DEFAULTS.archiveMb) * 1e6;
  const suite = input.suiteMinutes ?? DEFAULTS.suiteMinutes;
  const deps = input.depsBuildMinutes ?? DEFAULTS.depsBuildMinutes;
  const code = input.codeBuildMinutes ?? DEFAULTS.codeBuildMinutes;
  const assumptions: Assumptions = {
    bytesOf: (path) => {
      const known = measured.get(path);
      if (known !== undefined) return known;
      // The image archive in the cache, or the image handed on through a workspace.
      const archive = /^\/tmp\/gen-circle\/(?:cache\/([^/]+)|workspace\/([^/]+)\.tar)$/.exec(path);
      if (archive) return archiveOf(archive[1] ?? archive[2]!);
      if (path.startsWith("/tmp/gen-circle/services/")) return DEFAULTS.serviceArchiveMb * 1e6;
      return DEFAULTS.markerBytes;
    },
    suiteMinutes: suite,
    depsBuildMinutes: deps,
    codeBuildMinutes: code,
    startMinutes: DEFAULTS.startMinutes,
    mbps: DEFAULTS.mbps,
  };
  const sizes = archives.size ? [...archives].map(([k, v]) => (k === "*" ? `${v} MB` : `${k} ${v} MB`)).join(", ") : `${DEFAULTS.archiveMb} MB`;
  const { restore, load, save, push } = DEFAULTS.mbps;
  const notes = [
    `${measured.size ? `cache sizes as measured (${measured.size} paths); otherwise ` : ""}image archive ${sizes}, service archive ${DEFAULTS.serviceArchiveMb} MB`,
    `test suite ${suite} min on one node, split evenly over the nodes; dependency layers ${deps} min, code layers ${code} min`,
    `a job's start and checkout ${DEFAULTS.startMinutes.machine} min on a machine, ${DEFAULTS.startMinutes.docker} min in a container; restore ${restore} MB/s, docker load ${load} MB/s, save and upload ${save} MB/s, push ${push} MB/s`,
  ];
  return { assumptions, notes };
}
