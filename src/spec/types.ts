/**
 * `ProjectSpec` is gen-circle.yml as written (validated by the JSON schema); `Spec` is the same
 * with every default filled in. Later stages only ever see `Spec`.
 */
import type * as G from "./generated/spec-types.js";

export type Scalar = string | number | boolean;
export type CacheStrategy = G.CacheStrategy;

// gen-circle.yml as written: the types generated from schemas/gen-circle.schema.json at build
// (scripts/build.mjs), so the schema and the code cannot disagree on what a spec may hold.
export type ProjectSpec = G.GenCircleYml;
/** An entry of `images:` (test, services, self_test, deploy of its own), or the single `image:` (build settings only). */
export type ProjectImage = G.ImageWithTest | G.Image;
export type ImageWithTest = G.ImageWithTest;
export type ProjectTest = G.Test;
export type ProjectSplit = NonNullable<Exclude<G.Test, string>["split"]>;
/** How `circleci tests split` shares the files: by earlier run times, by name, by file size (the schema's list). */
export type SplitBy = NonNullable<Exclude<ProjectSplit, string>["by"]>;
export type ProjectService = NonNullable<G.Services[string]>;
export type ProjectLogin = G.Login;
export type ProjectDeployRule = G.DeployRule;

// ---- normalized ----

export interface Registry {
  /** Name in `registries:`, or the host itself for an inline registry. */
  name: string;
  /** Host as docker uses it (`docker.io`, `localhost:5000`). */
  host: string;
  login?: ProjectLogin;
  /** Logged in to before images are pulled (builds, services), not only before pushes. */
  pull?: boolean;
}

export interface Service {
  name: string;
  image: string;
  environment: [string, string][];
  command: string[];
  /** Other host names it answers to on the tests' network. */
  aliases: string[];
  ready?: { command: string; timeout: number; interval: number };
  setup: string[];
  cache: boolean;
}

export interface Test {
  /** `sh -c` script, or exec-form argv. */
  command: { shell: string } | { exec: string[] };
  environment: [string, string][];
  passEnv: string[];
  results?: string;
  artifacts?: string;
  parallelism: number;
  /** Test files shared out among the parallel nodes (TEST_FILES in the container). */
  split?: { globs: string[]; by: SplitBy };
  workdir?: string;
  user?: string;
  /** In place of the image's ENTRYPOINT; "" runs the command with none. */
  entrypoint?: string;
}

/** A branch or tag matcher in CircleCI's filter syntax: exact string, or `/regex/` (whole match). */
export type Matcher = { exact: string } | { regex: string };

export interface DeployRule {
  index: number;
  branches: Matcher[];
  tags: Matcher[];
  imageTags: string[];
  registry: Registry;
}

export interface Image {
  id: string;
  name: string;
  dockerfile: string;
  context: string;
  target?: string;
  buildArgs: [string, string][];
  hash: string[];
  /** a BuildKit build attaches its provenance attestation (BuildKit's default; ours: false) */
  provenance: boolean;
  test?: Test;
  services: Service[];
  selfTest: string[];
  deploy: boolean;
  /** registry cache strategy: the repository holding this image's cache tags */
  cacheRepository?: string;
}

export interface Spec {
  images: Image[];
  cache: {
    strategy: CacheStrategy;
    version: number;
    /** registry strategy only */
    registry?: Registry;
    defaultBranch: string;
  };
  deployRules: DeployRule[];
  /** CircleCI contexts given to the jobs that push (deploy.context), and to no other job. */
  deployContexts: string[];
  /** The registries logged in to before images are pulled (`pull: true`), in the spec's order. */
  pullRegistries: Registry[];
  executor: { type: "machine" | "docker"; image: string; resourceClass: string };
  /** Only the images a push changed run (a setup workflow decides); undefined: every image, always. */
  changes?: { base: string };
  /** the executor of the jobs that run no Docker (the setup job, the deploy jobs that copy a manifest) */
  smallJobs: "docker" | "machine";
}
