import { posix } from "node:path";
import { codeSourceIn, isManifest } from "../dockerfile/code.js";
import { contextCopies, copySources, installsDependencies, type PythonInstaller, stageInputs } from "../dockerfile/inputs.js";
import { makeCommands } from "./test-rules.js";
import { dockerignoreMatcher } from "../dockerfile/dockerignore.js";
import { chainOf, dependenciesOf, targetStage } from "../dockerfile/stages.js";
import { workspaceManifests } from "./workspaces.js";
import { ecosystemOf, runTools, type Ecosystem } from "../dockerfile/toolchain.js";
import { inputMatcher } from "../hash/glob.js";
import type { BuildGraph, RepoBase } from "./build-graph.js";
import { ecosystemManifest, installAdvice } from "./ecosystems.js";
import { inFolder, type Notes, type RepoView, type SpecPath } from "./repo.js";

/** Files that declare a workspace's members, and their ecosystem. */
const WORKSPACE_FILES: [RegExp, Ecosystem][] = [
  [/(^|\/)pnpm-workspace\.yaml$/, "node"],
  [/(^|\/)settings\.gradle(\.kts)?$/, "java"],
  [/\.slnx?$/, "dotnet"],
  [/(^|\/)Cargo\.toml$/, "rust"],
];

/** One image's build, as the hash inputs are read from it. */
export interface ImageBuild {
  /** The Dockerfile read as a stage graph (no Dockerfile: none). */
  graph?: BuildGraph;
  context: string;
  /** The stage the tests run in: only the stages it is built from count. */
  stage?: number;
  /** The test stage's ecosystem: which manifests count, and the advice of the notes. */
  ecosystem?: Ecosystem;
  /** `<context>: ` before each note in a monorepo. */
  label: string;
  /** Where a TODO about the hash goes. */
  hashAt: SpecPath;
}

/**
 * Hash inputs: the Dockerfile, .dockerignore and what the stages the tests run in copy before
 * their install steps; a base image the repository builds adds its Dockerfile and inputs.
 */
export function hashInputs(repo: RepoView, build: ImageBuild, notes: Notes): string[] {
  const { graph, context, label } = build;
  const hash: string[] = [];
  const add = (paths: readonly string[]) => paths.forEach((p) => hash.includes(p) || hash.push(p));
  if (!graph) {
    add(ignoreFiles(repo, context));
    add(contextManifests(repo, context, build.ecosystem));
    notes.found.push(`${label}hash inputs: ${hash.join(", ") || "(none)"}`);
    return hash;
  }
  add([graph.settings.dockerfile, ...ignoreFiles(repo, context, graph.settings.dockerfile)]);
  const index = build.stage ?? graph.stages.length - 1;
  const deps = stageInputs(graph.stages, index, codeSourceIn(repo.files, context));
  // Kept when it names something in the repository (a file, a folder, or a glob that matches).
  const manifests = withoutIgnored(repo, context, existing(repo, context, deps.sources), graph.settings.dockerfile);
  // An image that copies nothing of the repository depends on its Dockerfile alone.
  // With no manifest named, the context's are a guess only for an image that holds the code (not one that copies a built binary in).
  const isCode = codeSourceIn(repo.files, context);
  const holdsCode = dependenciesOf(graph.stages, index).some((st) =>
    st.body.some((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args) ?? []).some(isCode)),
  );
  const named = deps.wholeContextFirst ? namedManifests(repo, context, deps.namedManifests) : undefined;
  const scripts = deps.wholeContextFirst ? installScripts(repo, context, deps.installScripts) : undefined;
  const made = deps.wholeContextFirst && !scripts ? makeInstalls(repo, context, deps.installMakeTargets) : undefined;
  // The context's manifests, as a guess: only those the build copies in (a file it leaves out cannot change the image).
  const inBuild = copiedBy(repo, context, contextCopies(graph.stages, index), graph.settings.dockerfile);
  if (named) manifests.push(...named);
  else if (made) for (const ecosystem of made) manifests.push(...contextManifests(repo, context, ecosystem).filter(inBuild));
  else if (scripts) manifests.push(...scripts.files, ...contextManifests(repo, context, build.ecosystem ?? scripts.ecosystem).filter(inBuild));
  // None of the test stage's own ecosystem (only a frontend builder's, copied from): its chain holds the code, and its tools read its manifests.
  else if (
    deps.wholeContextFirst ||
    (!manifests.length && holdsCode) ||
    (chainHoldsCode(graph, index, isCode) && !manifests.some(ofEcosystem(repo, build.ecosystem)))
  )
    // With those of the other tools the stage installs with after the copy (`npm ci` in a Ruby image).
    for (const ecosystem of new Set([build.ecosystem, ...(deps.installEcosystems ?? [])]))
      manifests.push(...contextManifests(repo, context, ecosystem).filter(inBuild).filter(readByTools(deps.installTools)));
  if (deps.wholeContextFirst) {
    const what = deps.codeCopied === "." || deps.codeCopied === undefined ? "the whole context" : `the code ('${deps.codeCopied}')`;
    notes.guessed.push(
      `${label}the Dockerfile copies ${what} before installing dependencies${graph.stages.length > 1 ? ` (stage ${deps.wholeContextStage})` : ""}, so the install step re-runs on every code change: ${installAdvice(build.ecosystem, repo.files, context)}`,
    );
    // No line of the Dockerfile says which files the install reads: the manifests are a guess.
    notes.todo.push({
      at: build.hashAt,
      text: named
        ? `the Dockerfile copies ${what} before installing: these are the files its install names (and those they include); add any other file the install reads`
        : `the Dockerfile copies ${what} before installing, so no line of it says which files the install reads: these are the manifests init found; add any other file the install reads (a .gemspec, a version file)`,
    });
  }
  // An install after the code in a copied folder (`COPY assets assets`, `RUN npm ci --prefix assets`) reads the manifests at its top.
  for (const f of deps.folderInstalls ?? [])
    for (const ecosystem of f.ecosystems.length ? f.ecosystems : [undefined])
      manifests.push(...contextManifests(repo, inFolder(context, f.folder).replace(/\/$/, ""), ecosystem).filter(inBuild));
  add(manifests);
  // A workspace's declaration copied before the install: its members' manifests are read by it too.
  if (!deps.wholeContextFirst)
    for (const m of manifests) {
      const declares = inFolder(context, m.slice(m.lastIndexOf("/") + 1)) === m && WORKSPACE_FILES.find(([re]) => re.test(m))?.[1];
      if (declares) add(workspaceManifests(repo, context, declares));
    }
  add(baseInputs(repo, graph, index, build, notes));
  add(yarnReleases(repo, hash).filter(inBuild));
  notes.found.push(`${label}hash inputs: ${hash.join(", ") || "(none)"}`);
  noteUnpinned(graph, index, build, notes);
  return hash;
}

/**
 * The Yarn release a `.yarnrc.yml` input runs (`yarnPath: .yarn/releases/yarn-4.1.1.cjs`): the
 * install is that file's, so a new release is a new install (where the build copies it in).
 */
function yarnReleases(repo: RepoView, hash: readonly string[]): string[] {
  return hash.flatMap((h) => {
    if (!/(^|\/)\.yarnrc\.yml$/.test(h)) return [];
    const path = /^yarnPath:\s*["']?([^"'\s#]+)/m.exec(repo.read(h) ?? "")?.[1];
    const file = path && posix.normalize(posix.join(posix.dirname(h), path));
    // Already an input when a folder or glob of the hash holds it (`.yarn`).
    const covered = (f: string) => hash.some((h) => f === h || f.startsWith(`${h}/`) || (/[*?[]/.test(h) && inputMatcher(h)(f)));
    return file && repo.files.includes(file) && !covered(file) ? [file] : [];
  });
}

/** Whether the stages the test stage is built on copy code of the context themselves (not from another stage). */
const chainHoldsCode = (graph: BuildGraph, index: number, isCode: (src: string) => boolean): boolean =>
  chainOf(graph.stages, index).some((st) =>
    st.body.some((i) => (i.op === "COPY" || i.op === "ADD") && !/--from[= ]/.test(i.args) && (copySources(i.args) ?? []).some(isCode)),
  );

/** An input that is or holds a manifest of the ecosystem (any, when it is not known): a file, a glob (`package*.json`), a folder (`requirements/`). */
const ofEcosystem = (repo: RepoView, ecosystem: Ecosystem | undefined) => (path: string) => {
  if (ecosystem === undefined) return true;
  const files = /[*?[]/.test(path) ? repo.files.filter(inputMatcher(path)) : [path, ...repo.files.filter((f) => f.startsWith(`${path}/`))];
  return files.some((f) => ecosystemManifest(f) === ecosystem);
};

/**
 * Base images the test stage pulls by tag: the cache key does not see a tag move. The cache
 * heals (one rebuild, a new generation saved), but a build by digest never moves at all.
 */
function noteUnpinned(graph: BuildGraph, index: number, build: ImageBuild, notes: Notes): void {
  const unpinned = dependenciesOf(graph.stages, index)
    .filter((stage) => stage.parent === undefined && !graph.bases.has(stage.from) && stage.from !== "scratch" && !stage.from.includes("@sha256:"))
    .map((stage) => stage.from);
  if (!unpinned.length) return;
  notes.found.push(
    `${build.label}base image${unpinned.length > 1 ? "s" : ""} by tag, not digest: ${[...new Set(unpinned)].join(", ")}. When a tag moves, the next pipeline rebuilds and saves a new cache generation; pin FROM name@sha256:... for builds that never move`,
  );
}

/** The context's .dockerignore, and the Dockerfile's own (`Dockerfile.dockerignore`, which BuildKit reads instead). */
function ignoreFiles(repo: RepoView, context: string, dockerfile?: string): string[] {
  // BuildKit reads the Dockerfile's own instead of the context's, not both.
  const own = dockerfile && repo.files.includes(`${dockerfile}.dockerignore`) ? `${dockerfile}.dockerignore` : undefined;
  return own ? [own] : [inFolder(context, ".dockerignore")].filter((f) => repo.files.includes(f));
}

/**
 * A glob's files the build context leaves out (.dockerignore) are no input of the image: such a
 * glob (every pom.xml) is written as the files it brings into the context instead.
 */
function withoutIgnored(repo: RepoView, context: string, paths: string[], dockerfile: string): string[] {
  const file = ignoreFiles(repo, context, dockerfile).pop();
  if (!file) return paths;
  const ignored = dockerignoreMatcher(repo.read(file) ?? "");
  const top = inFolder(context, "");
  return paths.flatMap((p) => {
    if (!/[*?[]/.test(p)) return [p];
    const matched = repo.files.filter(inputMatcher(p));
    const kept = matched.filter((f) => !ignored(f.slice(top.length)));
    return kept.length === matched.length ? [p] : kept;
  });
}

const existing = (repo: RepoView, context: string, sources: readonly string[]) =>
  sources.map((src) => (src === "." ? context : inFolder(context, src))).filter((path) => repo.files.some(inputMatcher(path)));

/**
 * The Dockerfiles and inputs of the base images the repository builds (`FROM myorg/app-base`,
 * built from Dockerfile.base), for the stages the tests run in: a change there changes the image.
 */
function baseInputs(repo: RepoView, graph: BuildGraph, index: number, build: ImageBuild, notes: Notes, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const stage of dependenciesOf(graph.stages, index)) {
    const base = stage.parent === undefined ? graph.bases.get(stage.from) : undefined;
    if (!base || seen.has(base.dockerfile)) continue;
    seen.add(base.dockerfile);
    notes.found.push(`${build.label}base image ${stage.from}: built by ${base.dockerfile} (${base.how}); its inputs are hash inputs`);
    if (base.byName)
      notes.todo.push({ at: build.hashAt, text: `${stage.from} is taken as built by ${base.dockerfile} (by its name): check, and drop it from hash if not` });
    out.push(...baseOwnInputs(repo, base));
    const baseIndex = targetStage(base.graph.stages, base.target)?.index;
    if (baseIndex !== undefined) out.push(...baseInputs(repo, base.graph, baseIndex, build, notes, seen));
  }
  return out;
}

function baseOwnInputs(repo: RepoView, base: RepoBase): string[] {
  const stage = targetStage(base.graph.stages, base.target);
  const sources = stage ? stageInputs(base.graph.stages, stage.index, codeSourceIn(repo.files, base.context)).sources : [];
  return [base.dockerfile, ...ignoreFiles(repo, base.context, base.dockerfile), ...existing(repo, base.context, sources)];
}

/** Whether a repository path (a file, or a glob's files) is among what the build copies of the context. */
function copiedBy(repo: RepoView, context: string, sources: readonly string[], dockerfile: string): (path: string) => boolean {
  // A source still holding a variable could be anything.
  if (sources.some((src) => src.includes("$"))) return () => true;
  const top = inFolder(context, "");
  const matchers = sources.map((src) => (src === "." ? () => true : inputMatcher(src)));
  // A file the .dockerignore leaves out of the context is copied by nothing.
  const file = ignoreFiles(repo, context, dockerfile).pop();
  const ignored = file ? dockerignoreMatcher(repo.read(file) ?? "") : () => false;
  return (path) => {
    const files = /[*?[]/.test(path) ? repo.files.filter(inputMatcher(path)) : [path];
    return files.some((f) => f.startsWith(top) && !ignored(f.slice(top.length)) && matchers.some((m) => m(f.slice(top.length))));
  };
}

/**
 * The scripts of the context the install runs after copying it all (`RUN ./scripts/setup`): inputs
 * themselves, and the one ecosystem whose tools they run (`composer install`) says which manifests count.
 */
function installScripts(repo: RepoView, context: string, scripts: readonly string[] | undefined): { files: string[]; ecosystem?: Ecosystem } | undefined {
  const files = (scripts ?? []).map((s) => inFolder(context, s)).filter((f) => repo.files.includes(f));
  if (!files.length) return undefined;
  const ecosystems = new Set(files.flatMap((f) => runTools(repo.read(f) ?? "").flatMap((tool) => ecosystemOf(tool) ?? [])));
  return { files, ...(ecosystems.size === 1 ? { ecosystem: [...ecosystems][0]! } : {}) };
}

/**
 * The ecosystems a stage's make targets install with, when it runs them after copying the whole
 * context (`RUN make install`, whose recipe runs `npm ci` and `go mod download`): whose manifests
 * the install reads. The Makefile is no input: it holds every other target too, and after a whole
 * copy the install re-runs on each build anyway.
 */
function makeInstalls(repo: RepoView, context: string, targets: readonly string[] | undefined): Ecosystem[] | undefined {
  const makefile = repo.read(inFolder(context, "Makefile"));
  if (!targets?.length || makefile === undefined) return undefined;
  const commands = targets.flatMap((t) => makeCommands(makefile, t));
  const ecosystems = [...new Set(commands.filter(installsDependencies).flatMap((c) => runTools(c).flatMap((tool) => ecosystemOf(tool) ?? [])))];
  return ecosystems.length ? ecosystems : undefined;
}

// What Python's project tools read: `uv sync` reads no poetry.lock left from an earlier tool.
const PYTHON_TOOL_FILES: Record<"uv" | "poetry", RegExp> = {
  uv: /(^|\/)(pyproject\.toml|uv\.lock|\.python-version)$/,
  poetry: /(^|\/)(pyproject\.toml|poetry\.lock|poetry\.toml)$/,
};

/** Whether a Python manifest is read by the installs, when each is `uv sync` or `poetry install`; with pip among them (files it is given), every one is. */
const readByTools = (installers: readonly PythonInstaller[] | undefined) => (file: string) => {
  if (ecosystemManifest(file) !== "python" || !installers?.length || installers.includes("pip")) return true;
  return installers.some((i) => PYTHON_TOOL_FILES[i as "uv" | "poetry"].test(file));
};

/**
 * The requirement files an install names after copying the whole context (`pip install -r
 * requirements-dev.txt`), with those they include (`-r requirements.txt`, relative to the file):
 * undefined unless each is in the repository, where the context's manifests stay the guess.
 */
function namedManifests(repo: RepoView, context: string, named: readonly string[] | undefined): string[] | undefined {
  if (!named?.length) return undefined;
  const out: string[] = [];
  const queue = named.map((f) => inFolder(context, f));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (out.includes(file)) continue;
    const text = repo.read(file);
    if (text === undefined) return undefined;
    out.push(file);
    const dir = posix.dirname(file);
    for (const m of text.matchAll(/^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)/gm)) queue.push(posix.normalize(posix.join(dir, m[1]!)));
  }
  return out;
}

/**
 * The manifests at the top of the context, when the Dockerfile names none before its install
 * step, or copies everything first: the test stage's ecosystem's, when it is known (a Go
 * project's package.json for its tooling is no dependency of the image). Files outside the
 * context are none of the build's.
 */
function contextManifests(repo: RepoView, context: string, ecosystem: Ecosystem | undefined): string[] {
  const top = inFolder(context, "");
  const own = repo.files.filter(
    (f) =>
      f.startsWith(top) &&
      !f.slice(top.length).includes("/") &&
      isManifest(f) &&
      (ecosystem === undefined || ecosystemManifest(f) === ecosystem || ecosystemManifest(f) === undefined),
  );
  // MSBuild imports the nearest Directory.Build.props/.targets and Directory.Packages.props above each project: nested ones count.
  const msbuild =
    ecosystem === "dotnet"
      ? repo.files.filter((f) => f.startsWith(top) && f.slice(top.length).includes("/") && /(^|\/)Directory\.(Build\.(props|targets)|Packages\.props)$/.test(f))
      : [];
  return [...own, ...workspaceManifests(repo, context, ecosystem), ...msbuild];
}
