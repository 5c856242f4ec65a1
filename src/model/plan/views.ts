import type { ChangesView } from "./changes.js";
import { hashSalt } from "../../hash/manifest.js";
import { qualify } from "../../spec/normalize.js";
import { pushOrder } from "../../spec/placeholders.js";
import type { DeployRule, Image, Matcher, Spec } from "../../spec/types.js";
import { serviceCacheDir } from "./keys.js";

/** What the script templates see: a view of the model, never the raw spec. */
export interface ScriptsView {
  images: ImageView[];
  strategy: Spec["cache"]["strategy"];
  /** The image.sh partial of the strategy (src/model/strategies.ts). */
  strategyPartial: string;
  /** A build may reuse a cache restored for its hash. */
  reusesCache: boolean;
  defaultBranch: string;
  cacheLogin: LoginView | null;
  /** Registries logged in to before images are pulled (registries.<name>.pull). */
  pullLogins: LoginView[];
  deploys: DeployView[];
  ids: string;
  /** deploy.sh's lines that fill a tag template's placeholders into t (src/spec/placeholders.ts) */
  tagSubstitutions: string[];
  /** changes.sh's tables (`changes:`), else null */
  changes: ChangesView | null;
}
export interface LoginView {
  host: string;
  username: string;
  password: string;
}
export interface ImageView {
  id: string;
  name: string;
  dockerfile: string;
  context: string;
  target: string;
  buildArgs: { key: string; value: string }[];
  provenance: boolean;
  hashPatterns: string[];
  salt: string;
  cacheRepository: string;
  hasTest: boolean;
  test: {
    shell: string | null;
    exec: string[];
    environment: { key: string; value: string }[];
    passEnv: string[];
    results: string;
    artifacts: string;
    workdir: string;
    user: string;
    /** --entrypoint for the test container: its value, or none when the image's own is kept */
    entrypoint: { value: string } | null;
    /** test.split: globs (relative to the context) and the --split-by mode, or no globs */
    splitGlobs: string[];
    splitBy: string;
  };
  services: {
    name: string;
    image: string;
    environment: { key: string; value: string }[];
    command: string[];
    aliases: string[];
    ready: string;
    timeout: number;
    interval: number;
    setup: string[];
    cacheDir: string;
  }[];
  selfTest: string[];
}
export interface DeployView {
  image: string;
  rule: number;
  repository: string;
  host: string;
  login: LoginView | null;
  tags: string[];
  branchExact: string[];
  branchRegex: string[];
  tagExact: string[];
  tagRegex: string[];
}

export function imageView(img: Image): ImageView {
  const kv = (list: [string, string][]) => list.map(([key, value]) => ({ key, value }));
  const t = img.test;
  return {
    id: img.id,
    name: img.name,
    dockerfile: img.dockerfile,
    context: img.context,
    target: img.target ?? "",
    buildArgs: kv(img.buildArgs),
    provenance: img.provenance,
    hashPatterns: img.hash,
    salt: hashSalt(img),
    cacheRepository: img.cacheRepository ?? "",
    hasTest: !!t,
    test: {
      shell: t && "shell" in t.command ? t.command.shell : null,
      exec: t && "exec" in t.command ? t.command.exec : [],
      environment: kv(t?.environment ?? []),
      passEnv: t?.passEnv ?? [],
      results: t?.results ?? "",
      artifacts: t?.artifacts ?? "",
      workdir: t?.workdir ?? "",
      user: t?.user ?? "",
      entrypoint: t?.entrypoint === undefined ? null : { value: t.entrypoint },
      splitGlobs: t?.split?.globs ?? [],
      splitBy: t?.split?.by ?? "",
    },
    services: img.services.map((s) => ({
      name: s.name,
      image: s.image,
      environment: kv(s.environment),
      command: s.command,
      aliases: s.aliases,
      ready: s.ready?.command ?? "",
      timeout: s.ready?.timeout ?? 0,
      interval: s.ready?.interval ?? 1,
      setup: s.setup,
      cacheDir: s.cache ? serviceCacheDir(s.image) : "",
    })),
    selfTest: img.selfTest,
  };
}

export function deployView(img: Image, r: DeployRule): DeployView {
  const exact = (ms: Matcher[]) => ms.flatMap((m) => ("exact" in m ? [m.exact] : []));
  const regex = (ms: Matcher[]) => ms.flatMap((m) => ("regex" in m ? [m.regex] : []));
  const host = r.registry.host;
  return {
    image: img.id,
    rule: r.index,
    repository: qualify(host, img.name),
    host,
    login: r.registry.login ? { host, ...r.registry.login } : null,
    // Immutable tags first, the moving ones last: a deploy that fails part-way never leaves a
    // moving tag on an image whose other tags are missing.
    tags: pushOrder(r.imageTags),
    branchExact: exact(r.branches),
    branchRegex: regex(r.branches),
    tagExact: exact(r.tags),
    tagRegex: regex(r.tags),
  };
}
