import type { Image, Matcher, Spec } from "../../spec/types.js";
import { staticBase } from "../../hash/glob.js";
import { DEFAULT_MACHINE } from "../../spec/normalize.js";
import type { CircleConfigShape, ExecutorShape, WorkflowJobShape } from "../circleci.js";
import { SCRIPTS_DIR } from "./keys.js";

/**
 * Only what changed (`changes:`): CircleCI's dynamic configuration. `.circleci/config.yml` is a
 * setup configuration whose one job (changes.sh) diffs the push and continues the pipeline with
 * `continue.yml`: the pipeline as without `changes:`, one workflow per image, each run when its
 * pipeline parameter says so. A small container job decides, so an unchanged image costs no
 * machine start (docs/pipeline.md, "Only what changed").
 * @see https://circleci.com/docs/dynamic-config/
 */
export const CONTINUATION = `${SCRIPTS_DIR}/continue.yml`;
export const runParameter = (id: string) => `run-${id}`;

/** The executor of jobs that run no Docker: a small container, or where none may be pulled, a machine. */
export const SMALL = "gen-circle-small";
export function smallExecutor(spec: Spec): ExecutorShape {
  return spec.smallJobs === "docker"
    ? { docker: [{ image: "cimg/base:current" }], resource_class: "small" }
    : // no machine class is smaller than medium
      { machine: { image: spec.executor.type === "machine" ? spec.executor.image : DEFAULT_MACHINE }, resource_class: "medium" };
}

export interface ChangesView {
  base: string;
  continuation: string;
  images: { id: string; paths: string[] }[];
  /** deploying branches: every image runs there (each deploy tags every image) */
  deployBranches: { exact: string[]; regex: string[] };
}

/**
 * The paths whose change makes an image run, as prefixes: its build context (all of it goes into
 * the build), its Dockerfile and the folders of its hash inputs ("" is the whole repository).
 */
export function changePaths(img: Image): string[] {
  const folder = (p: string) => (p === "." || p === "./" ? "" : p.replace(/^\.\//, "").replace(/\/+$/, ""));
  const paths = [folder(img.context), folder(img.dockerfile), ...img.hash.map((h) => folder(staticBase(h)))];
  return [...new Set(paths.includes("") ? [""] : paths)].sort();
}

export function changesView(spec: Spec): ChangesView | undefined {
  if (!spec.changes) return undefined;
  const branches: Matcher[] = spec.deployRules.flatMap((r) => r.branches);
  return {
    base: spec.changes.base,
    continuation: CONTINUATION,
    images: spec.images.map((img) => ({ id: img.id, paths: changePaths(img) })),
    deployBranches: {
      exact: branches.flatMap((m) => ("exact" in m ? [m.exact] : [])),
      regex: branches.flatMap((m) => ("regex" in m ? [m.regex] : [])),
    },
  };
}

/** The continuation: the full config with a parameter per image and a workflow per image. */
export function continuation(spec: Spec, config: CircleConfigShape, byImage: Map<string, WorkflowJobShape[]>): CircleConfigShape {
  const parameters = Object.fromEntries(
    spec.images.map((img) => [
      runParameter(img.id),
      { type: "boolean" as const, default: false, description: `Run the ${img.id} image's jobs (the setup job decides).` },
    ]),
  );
  const workflows = Object.fromEntries(
    [...byImage].filter(([, jobs]) => jobs.length).map(([id, jobs]) => [`gen-circle-${id}`, { when: `<< pipeline.parameters.${runParameter(id)} >>`, jobs }]),
  );
  return { version: 2.1, parameters, executors: config.executors, commands: config.commands, jobs: config.jobs, workflows };
}

/** `.circleci/config.yml` when only what changed runs: the setup job alone. */
export function setupConfig(spec: Spec): CircleConfigShape {
  return {
    version: 2.1,
    setup: true,
    executors: { [SMALL]: smallExecutor(spec) },
    jobs: {
      "gen-circle-changes": {
        executor: SMALL,
        steps: [
          "checkout",
          {
            run: {
              name: "Continue with the images this push changed",
              command: `${SCRIPTS_DIR}/changes.sh`,
              // The build before this one on the branch (empty on a branch's first build).
              environment: { GC_BASE_REVISION: "<< pipeline.git.base_revision >>" },
            },
          },
        ],
      },
    },
    // A setup workflow runs one job, for every branch and every tag (tags only when told).
    workflows: { "gen-circle-setup": { jobs: [{ "gen-circle-changes": { filters: { tags: { only: ["/.*/"] } } } }] } },
  };
}
