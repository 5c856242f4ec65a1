import { parse } from "yaml";
import { shellWords } from "./shell.js";
import { codeSourceIn } from "../dockerfile/code.js";
import { stageFacts, type StageFacts, type Toolchain } from "../dockerfile/facts.js";
import { cleanSource, dockerInstructions } from "../dockerfile/parse.js";
import { dockerStages, targetStage, type Stage } from "../dockerfile/stages.js";
import { baseImage } from "../dockerfile/toolchain.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";
import { buildOf, type Compose, type ComposeService } from "./compose.js";
import { folderOf, isComposeFile, parseCompose, settle, withRepoPaths } from "./compose-files.js";
import { inFolder, type RepoView } from "./repo.js";

/** One build of a Dockerfile of the repository: what `docker build -f DOCKERFILE --target T CONTEXT` reads. */
export interface BuildSettings {
  dockerfile: string;
  context: string;
  target?: string;
  buildArgs: Record<string, string>;
}

/** A base image (`FROM myorg/app-base`) that a Dockerfile of this repository builds, and how init knows. */
export interface RepoBase extends BuildSettings {
  /** The FROM argument it stands for. */
  from: string;
  /** How it was found (for the report). */
  how: string;
  /** Found by the Dockerfile's name alone: a guess to check. */
  byName: boolean;
  graph: BuildGraph;
}

/** A Dockerfile read as a stage graph, with each stage's toolchain and the repository's base images it is built on. */
export interface BuildGraph {
  settings: BuildSettings;
  stages: Stage[];
  facts: StageFacts[];
  /** Base images of its stages that the repository builds, by FROM argument. */
  bases: Map<string, RepoBase>;
}

/** How deep base images built here are followed (a base of a base of a base). */
const MAX_DEPTH = 3;

/** Reads a Dockerfile's stages and facts, following base images the repository builds. */
export function readBuild(repo: RepoView, compose: Compose, settings: BuildSettings, depth = 0): BuildGraph {
  const stages = dockerStages(dockerInstructions(repo.read(settings.dockerfile) ?? ""), settings.buildArgs);
  const bases = new Map<string, RepoBase>();
  if (depth < MAX_DEPTH) {
    for (const stage of stages) {
      if (stage.parent !== undefined || bases.has(stage.from)) continue;
      const found = repoBuildOf(repo, compose, stage.from, settings.dockerfile);
      if (found) bases.set(stage.from, { ...found, from: stage.from, graph: readBuild(repo, compose, found, depth + 1) });
    }
  }
  const facts = stageFacts(stages, { isCode: codeSourceIn(repo.files, settings.context), base: (from) => baseToolchain(bases.get(from)) });
  return { settings, stages, facts, bases };
}

/** The toolchain of the stage a base build stops at. */
function baseToolchain(base: RepoBase | undefined): Toolchain | undefined {
  if (!base) return undefined;
  const stage = targetStage(base.graph.stages, base.target);
  return stage ? base.graph.facts[stage.index] : undefined;
}

type Found = Omit<RepoBase, "from" | "graph">;

/**
 * The Dockerfile of this repository that builds an image: a compose service that builds it
 * (`image: myorg/app-base` with `build:`), a `docker build -t myorg/app-base -f ...` in a Makefile
 * or script, else a Dockerfile named for it (`Dockerfile.base` for `myorg/app-base`).
 */
export function repoBuildOf(repo: RepoView, compose: Compose, from: string, self: string): Found | undefined {
  const ref = parseReference(from.toLowerCase());
  if (!ref) return undefined;
  const wanted = repositoryOf(ref);
  // By a Dockerfile's name only for an image init does not know (`Dockerfile.node` does not build `node:22`).
  const named = () => (baseImage(from).kind === "unknown" ? byName(repo, wanted, self) : undefined);
  return fromCompose(compose, wanted, self) ?? fromScripts(repo, wanted, self) ?? named();
}

function fromCompose(compose: Compose, wanted: string, self: string): Found | undefined {
  for (const [name, svc] of Object.entries(compose.services)) {
    const b = svc && typeof svc.image === "string" ? buildOf(svc) : undefined;
    const ref = b && parseReference(compose.reader.interpolate(svc!.image as string).toLowerCase());
    if (!b || !ref || repositoryOf(ref) !== wanted) continue;
    const dockerfile = inFolder(b.context, b.dockerfile ?? "Dockerfile");
    if (dockerfile === self) continue;
    const buildArgs = compose.reader.environment(b.args);
    return { dockerfile, context: b.context, target: b.target, buildArgs, how: `${compose.file ?? "compose"} service ${name} builds it`, byName: false };
  }
  return undefined;
}

/** Files that hold `docker build` command lines. */
const SCRIPTS = /(^|\/)(Makefile|[^/]+\.(sh|bash|mk)|justfile|Taskfile\.ya?ml|\.github\/workflows\/[^/]+\.ya?ml)$/i;

function fromScripts(repo: RepoView, wanted: string, self: string): Found | undefined {
  for (const { file, build } of scriptBuilds(repo)) {
    const ref = build.tag && parseReference(build.tag.toLowerCase());
    if (!ref || repositoryOf(ref) !== wanted) continue;
    const dockerfile = build.file ?? inFolder(build.context, "Dockerfile");
    if (dockerfile !== self && repo.files.includes(dockerfile))
      return { dockerfile, context: build.context, target: build.target, buildArgs: {}, how: `${file} builds it`, byName: false };
  }
  return undefined;
}

/** The repositories the repository's scripts tag the images they build with (`docker build -t acme_web .`). */
export function scriptBuiltImages(repo: RepoView): string[] {
  return scriptBuilds(repo).flatMap(({ build }) => {
    const ref = build.tag && !/[$`{]/.test(build.tag) ? parseReference(build.tag.toLowerCase()) : undefined;
    return ref ? [repositoryOf(ref)] : [];
  });
}

/** The context (and file) a script of the repository builds a Dockerfile with (`docker build -f docker/Dockerfile .`), and where it says so. */
export function scriptBuildOf(repo: RepoView, dockerfile: string): { context: string; file: string } | undefined {
  // A context that is not a folder of the repository (a variable, a path outside it) says nothing: the next line may.
  const found = scriptBuilds(repo).find(
    ({ build }) =>
      (build.file ?? inFolder(build.context, "Dockerfile")) === dockerfile &&
      !/[$`{()%]|^\.\.|^\//.test(build.context) &&
      (build.context === "." || repo.files.some((f) => f.startsWith(`${build.context}/`))),
  );
  return found && { context: found.build.context, file: found.file };
}

/** The `docker build` lines of the repository's scripts, read once per repository. */
const scriptBuildsOf = new WeakMap<RepoView, { file: string; build: DockerBuild }[]>();
function scriptBuilds(repo: RepoView): { file: string; build: DockerBuild }[] {
  let builds = scriptBuildsOf.get(repo);
  if (!builds) {
    builds = repo.files
      .filter((f) => SCRIPTS.test(f))
      .flatMap((file) => [
        ...(repo.read(file) ?? "")
          .replace(/\\\r?\n/g, " ")
          .split(/\r?\n|&&|;/)
          .flatMap((line) => {
            const build = dockerBuild(line);
            return build ? [{ file, build }] : [];
          }),
        ...(/^\.github\/workflows\//.test(file) ? buildPushActions(repo.read(file) ?? "").map((build) => ({ file, build })) : []),
      ]);
    // Every compose file's builds too, not only the file init reads (`docker-compose.build.yml`).
    builds.push(...repo.files.filter((f) => isComposeFile(f)).flatMap((file) => composeBuilds(repo.read(file) ?? "", file).map((build) => ({ file, build }))));
    scriptBuildsOf.set(repo, builds);
  }
  return builds;
}

/**
 * A compose file's builds: each service's context and Dockerfile, as compose resolves them (from
 * the file's folder; the Dockerfile from the context). One that names a variable says nothing.
 */
function composeBuilds(text: string, file: string): DockerBuild[] {
  let doc: unknown;
  try {
    doc = parseCompose(text);
  } catch {
    return [];
  }
  const services = doc && typeof doc === "object" ? (doc as { services?: unknown }).services : undefined;
  if (!services || typeof services !== "object") return [];
  return Object.values(services as Record<string, unknown>).flatMap((svc) => {
    if (!svc || typeof svc !== "object") return [];
    const build = buildOf(settle(withRepoPaths(svc as Record<string, unknown>, folderOf(file))) as ComposeService);
    // A remote context (a git URL) or one naming a variable says nothing of the repository's files.
    if (!build || /\$|:\/\/|^git@/.test(build.context + build.path)) return [];
    return [{ context: build.context, file: build.path, ...(build.target !== undefined ? { target: build.target } : {}) }];
  });
}

/** The builds of a workflow's `docker/build-push-action` steps (`with: file, context, tags, target`), one for each tag. */
function buildPushActions(text: string): DockerBuild[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return []; // a workflow that is not YAML builds nothing here
  }
  const jobs = Object.values(((doc as { jobs?: unknown } | null)?.jobs ?? {}) as Record<string, { steps?: unknown }>);
  return jobs.flatMap((job) =>
    (Array.isArray(job?.steps) ? (job.steps as { uses?: unknown; with?: Record<string, unknown> }[]) : []).flatMap((step) => {
      if (typeof step?.uses !== "string" || !step.uses.startsWith("docker/build-push-action") || !step.with) return [];
      const w = step.with;
      const context = typeof w.context === "string" && !w.context.includes("${{") ? cleanSource(w.context) : ".";
      const file = typeof w.file === "string" && !w.file.includes("${{") ? cleanSource(w.file) : undefined;
      const target = typeof w.target === "string" ? w.target : undefined;
      const tags = typeof w.tags === "string" ? w.tags.split(/[\s,]+/).filter((t) => t && !t.includes("${{")) : [];
      return (tags.length ? tags : [undefined]).map((tag) => ({ context, ...(tag ? { tag } : {}), ...(file ? { file } : {}), ...(target ? { target } : {}) }));
    }),
  );
}

interface DockerBuild {
  tag?: string;
  file?: string;
  target?: string;
  context: string;
}

/** A `docker build` (or `docker buildx build`) command line: its tag, file, target and context. */
function dockerBuild(line: string): DockerBuild | undefined {
  const words = shellWords(line.trim());
  const at = words.findIndex((w, i) => w === "build" && (words[i - 1] === "docker" || (words[i - 1] === "buildx" && words[i - 2] === "docker")));
  if (at === -1) return undefined;
  const out: DockerBuild = { context: "." };
  let positional = false; // the context is the first word that is no option (nor an option's value)
  const clean = (p: string) =>
    p
      .replace(/^["']|["']$/g, "")
      .replace(/^\.\//, "")
      .replace(/\/+$/, "") || ".";
  for (let i = at + 1; i < words.length; i++) {
    const word = words[i]!;
    if (/^[|>&;]/.test(word)) break;
    const m = /^(-t|--tag|-f|--file|--target)(?:=(.*))?$/.exec(word);
    const value = m ? (m[2] ?? words[++i] ?? "") : undefined;
    if (m?.[1] === "-t" || m?.[1] === "--tag") out.tag ??= clean(value!);
    else if (m?.[1] === "-f" || m?.[1] === "--file") out.file = clean(value!);
    else if (m) out.target = clean(value!);
    // Any other option takes a value unless it is one of the flags that take none.
    else if (word.startsWith("-")) i += word.includes("=") || BUILD_FLAGS.test(word) ? 0 : 1;
    else if (!positional) {
      out.context = clean(word);
      positional = true;
    }
  }
  return out;
}

/** `docker build` options that take no value. */
const BUILD_FLAGS = /^(--pull|--no-cache|--rm|--force-rm|-q|--quiet|--load|--push|--squash|--compress|--disable-content-trust|--check)$/;

/** `Dockerfile.base`, `base.Dockerfile`, `Dockerfile-base` or `base/Dockerfile` for an image whose name ends in `base`. */
function byName(repo: RepoView, wanted: string, self: string): Found | undefined {
  const words = wanted.split("/").pop()!.split(/[-_.]/);
  for (const dockerfile of repo.files) {
    if (dockerfile === self) continue;
    const m = /(?:^|\/)(?:Dockerfile[.-]([\w-]+)|([\w-]+)\.Dockerfile)$/i.exec(dockerfile) ?? /(?:^|\/)([\w-]+)\/Dockerfile$/.exec(dockerfile);
    const suffix = (m?.[1] ?? m?.[2])?.toLowerCase();
    if (!suffix || suffix !== words[words.length - 1]) continue;
    const folder = dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
    return { dockerfile, context: folder, buildArgs: {}, how: `taken by its name, ${dockerfile}`, byName: true };
  }
  return undefined;
}
