/**
 * `ProjectSpec` is gen-circle.yml as written (validated by the JSON schema); `Spec` is the same
 * with every default filled in. Later stages only ever see `Spec`.
 */
export type Scalar = string | number | boolean;
export type CacheStrategy = "save-load" | "registry" | "layer-caching" | "none";

export interface ProjectImage {
  name: string;
  id?: string;
  dockerfile?: string;
  context?: string;
  target?: string;
  build_args?: Record<string, Scalar>;
  hash?: string[];
  test?: ProjectTest;
  services?: Record<string, ProjectService>;
  self_test?: string[];
  deploy?: boolean;
}
export type ProjectTest =
  | string
  | {
      command: string | string[];
      environment?: Record<string, Scalar>;
      pass_env?: string[];
      results?: string;
      artifacts?: string;
      parallelism?: number;
      split?: ProjectSplit;
      workdir?: string;
      user?: string;
    };
/** How `circleci tests split` shares the files: by earlier run times, by name, by file size. */
export type SplitBy = "timings" | "name" | "filesize";
export type ProjectSplit = string | { glob: string | string[]; by?: SplitBy };
export type ProjectService =
  | string
  | {
      image: string;
      environment?: Record<string, Scalar>;
      command?: string[];
      ready?: string | { command: string; timeout?: number; interval?: number };
      setup?: string | string[];
      cache?: boolean;
    };
export interface ProjectLogin {
  username: string;
  password: string;
}
export interface ProjectDeployRule {
  branch?: string | string[];
  tag?: string | string[];
  tags: string[];
  registry?: string;
}
export interface ProjectSpec {
  version?: 1;
  image?: string | ProjectImage;
  images?: ProjectImage[];
  cache?:
    | CacheStrategy
    | { strategy: CacheStrategy; version?: number; registry?: string; repository?: string; default_branch?: string };
  services?: Record<string, ProjectService>;
  test?: ProjectTest;
  self_test?: string[];
  registries?: Record<string, { url: string; login?: ProjectLogin }>;
  deploy?: { registry?: string; login?: ProjectLogin; rules: ProjectDeployRule[] };
  executor?: "machine" | "docker" | { type: "machine" | "docker"; image?: string; resource_class?: string };
}

// ---- normalized ----

export interface Registry {
  /** Name in `registries:`, or the host itself for an inline registry. */
  name: string;
  /** Host as docker uses it (`docker.io`, `localhost:5000`). */
  host: string;
  login?: ProjectLogin;
}

export interface Service {
  name: string;
  image: string;
  environment: [string, string][];
  command: string[];
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
  executor: { type: "machine" | "docker"; image: string; resourceClass?: string };
}
