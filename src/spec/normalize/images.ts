import { Codes } from "../../diagnostics.js";
import { isCodeSource } from "../../dockerfile/code.js";
import { dependencyInputs, dockerInstructions } from "../../dockerfile/inputs.js";
import { cleanSource } from "../../dockerfile/parse.js";
import { unsetBaseArgs } from "../../dockerfile/stages.js";
import { inputMatcher } from "../../hash/glob.js";
import { parseReference } from "../docker-ref.js";
import type { Image, ImageWithTest, ProjectImage, ProjectSpec } from "../types.js";
import { cleanPath, entries, joinPath, type Reporter } from "./context.js";
import { normalizeServices } from "./services.js";
import { normalizeTest } from "./test.js";
import type { NormalizeOptions } from "../normalize.js";

/** An image as written, and where: an entry of images:, or the single image:. */
interface ImageEntry {
  raw: ProjectImage;
  /**
   * What an entry of images: holds beyond the build (its test, services...); the single image:
   * takes those from the top level.
   */
  own?: ImageWithTest;
  path: (string | number)[];
  /** where its name is written: `image: NAME` has no `name:` key */
  namePath: (string | number)[];
}

/** The names and job ids seen so far: each must be unique across the images. */
interface Seen {
  names: Set<string>;
  ids: Map<string, string>;
}

/** `image:` or `images:`: names, ids, paths, the hash and each image's test and services. */
export function normalizeImages(raw: ProjectSpec, r: Reporter, options: NormalizeOptions): Image[] {
  if (raw.image !== undefined && raw.images !== undefined) {
    r.report(Codes.imageAndImages, ["images"], "Use either 'image:' (one image) or 'images:' (several), not both.", "key");
  }
  if (raw.image === undefined && raw.images === undefined) {
    r.report(Codes.imageMissing, [], "The spec needs 'image:' (e.g. 'image: myorg/myapp') or 'images:' for several images.");
  }
  const seen: Seen = { names: new Set(), ids: new Map() };
  return imageEntries(raw).map((entry) => normalizeImage(raw, entry, r, options, seen));
}

function imageEntries(raw: ProjectSpec): ImageEntry[] {
  if (raw.images) return raw.images.map((img, i) => ({ raw: img, own: img, path: ["images", i], namePath: ["images", i, "name"] }));
  if (raw.image === undefined) return [];
  if (typeof raw.image === "string") return [{ raw: { name: raw.image }, path: [], namePath: ["image"] }];
  return [{ raw: raw.image, path: ["image"], namePath: ["image", "name"] }];
}

/** One image; in this order, so that its diagnostics come out in the order of its keys. */
function normalizeImage(raw: ProjectSpec, entry: ImageEntry, r: Reporter, options: NormalizeOptions, seen: Seen): Image {
  const { raw: ri, own, path } = entry;
  const id = imageId(entry, r, seen);
  const { context, dockerfile } = buildFiles(entry, r, options);
  const hash = hashInputs(entry, context, dockerfile, r, options);
  const testRaw = own?.test ?? raw.test;
  const testPath = own?.test === undefined ? ["test"] : [...path, "test"];
  const servicesRaw = own?.services ?? raw.services;
  const servicesPath = own?.services === undefined ? ["services"] : [...path, "services"];
  return {
    id,
    name: ri.name,
    dockerfile,
    context,
    target: ri.target,
    buildArgs: buildArgs(entry, dockerfile, r, options),
    hash: hash.map((h) => h.replace(/^\.\//, "")),
    provenance: ri.provenance ?? false,
    test: testRaw === undefined ? undefined : normalizeTest(testRaw, testPath, r),
    services: normalizeServices(servicesRaw ?? {}, servicesPath, r),
    selfTest: own?.self_test ?? raw.self_test ?? [],
    deploy: own?.deploy ?? true,
  };
}

/** The name (a repository without tag, listed once) and the job id it gives (unique). */
function imageId({ raw: ri, path, namePath }: ImageEntry, r: Reporter, { names, ids }: Seen): string {
  const ref = parseReference(ri.name);
  if (!ref) {
    r.report(
      Codes.invalidImageRef,
      namePath,
      `${JSON.stringify(ri.name)} is not a valid docker repository name. Use lowercase letters, digits and separators ('.', '_', '-', '/'), e.g. 'myorg/myapp'.`,
    );
  } else if (ref.tag || ref.digest) {
    r.report(
      Codes.imageNameWithTag,
      namePath,
      `Image name ${JSON.stringify(ri.name)} has a ${ref.digest ? "digest" : "tag"}; gen-circle tags the image itself (by hash, commit and deploy rules). Drop the ':${ref.tag ?? ""}${ref.digest ? "@" + ref.digest : ""}' part.`,
    );
  }
  if (names.has(ri.name)) r.report(Codes.duplicateName, namePath, `Image ${JSON.stringify(ri.name)} is listed twice. Each image needs its own entry once.`);
  names.add(ri.name);
  const id = ri.id ?? deriveId(ri.name);
  const prior = ids.get(id);
  if (prior !== undefined) {
    r.report(
      Codes.duplicateName,
      ri.id ? [...path, "id"] : namePath,
      `Images ${JSON.stringify(prior)} and ${JSON.stringify(ri.name)} both get the job name '${id}'. Give one of them a distinct 'id:'.`,
    );
  }
  ids.set(id, ri.name);
  return id;
}

/** The build context and Dockerfile, checked against the repository when its files are known. */
function buildFiles({ raw: ri, path, namePath }: ImageEntry, r: Reporter, options: NormalizeOptions): { context: string; dockerfile: string } {
  const context = cleanPath(r, ri.context ?? ".", [...path, "context"]);
  const dockerfile = cleanPath(r, ri.dockerfile ?? (context === "." ? "Dockerfile" : `${context}/Dockerfile`), [...path, "dockerfile"]);
  if (options.matchesFiles && !options.matchesFiles(context)) {
    r.report(
      Codes.contextMissing,
      ri.context === undefined ? namePath : [...path, "context"],
      `The build context ${JSON.stringify(context)} holds no file in the repository. Fix 'context:' (a folder, relative to the repository root).`,
    );
  } else if (options.matchesFiles && !options.matchesFiles(dockerfile)) {
    r.report(
      Codes.dockerfileMissing,
      ri.dockerfile === undefined ? namePath : [...path, "dockerfile"],
      `No Dockerfile at ${JSON.stringify(dockerfile)}. Fix 'dockerfile:' (a path relative to the repository root), or add the file.`,
    );
  }
  return { context, dockerfile };
}

/** `hash:` as written (default: the Dockerfile and .dockerignore), checked against the repository. */
function hashInputs(entry: ImageEntry, context: string, dockerfile: string, r: Reporter, options: NormalizeOptions): string[] {
  const { raw: ri, path } = entry;
  const patterns = Array.isArray(ri.hash) ? ri.hash : [dockerfile, joinPath(context, ".dockerignore")];
  warnUncoveredCopies(entry, context, dockerfile, patterns, r, options);
  const outside = outsideContext(context, dockerfile, Array.isArray(ri.hash) ? ri.hash : []);
  (Array.isArray(ri.hash) ? ri.hash : []).forEach((h, i) => {
    const clean = cleanPath(r, h, [...path, "hash", i]);
    // A path outside the repository is GC1025 (cleanPath's): said once.
    const escapes = h.startsWith("/") || h.split("/").includes("..");
    if (!escapes && outside(clean)) {
      r.warn(
        Codes.hashOutsideContext,
        [...path, "hash", i],
        `Hash input ${JSON.stringify(h)} is outside the build context ${JSON.stringify(context)}: the build cannot read it, so the image does not change with it, and the cache would refresh for nothing. Remove it, or set 'context:' to a folder that holds it (with 'dockerfile:' naming the Dockerfile).`,
      );
    }
    if (options.matchesFiles && !options.matchesFiles(clean)) {
      r.report(
        Codes.hashMatchesNothing,
        [...path, "hash", i],
        `Hash input ${JSON.stringify(h)} matches no file in the repository. Fix the path or glob (globs: '*', '?', '**', '[...]'), or remove it.`,
      );
    }
  });
  return patterns;
}

/**
 * Whether a hash input (a repository path or glob) lies outside the build context, where the
 * build cannot read it. The Dockerfiles the hash names (the image's, a base image's built here)
 * and what lies in their folders are their builds' inputs: not outside.
 */
function outsideContext(context: string, dockerfile: string, hash: readonly string[]): (input: string) => boolean {
  const under = (path: string, folder: string) => folder === "." || path === folder || path.startsWith(`${folder}/`);
  const isDockerfile = (p: string) => p === dockerfile || /(^|\/)(Dockerfile([.-][^/]*)?|[^/]*\.Dockerfile)$/i.test(p);
  const baseFolders = hash
    .map((h) => h.replace(/^\.\//, ""))
    .filter((h) => h !== dockerfile && isDockerfile(h))
    .map((h) => (h.includes("/") ? h.slice(0, h.lastIndexOf("/")) : "."));
  return (input) => {
    if (context === "." || isDockerfile(input) || /\.dockerignore$/.test(input) || baseFolders.some((f) => under(input, f))) return false;
    const glob = input.search(/[*?[]/);
    // The literal folder a glob starts in: one that holds the context may match inside it.
    const start = glob === -1 ? input : input.slice(0, input.lastIndexOf("/", glob) + 1).replace(/\/$/, "") || ".";
    return !under(start, context) && !(glob !== -1 && under(context, start));
  };
}

/**
 * Build args are passed as written: a `${VAR}` or `$VAR` in one reaches the build as that text
 * (a compose file would have filled it in), and the hash holds it as that text too.
 */
function buildArgs({ raw: ri, path, namePath }: ImageEntry, dockerfile: string, r: Reporter, options: NormalizeOptions): [string, string][] {
  const args = entries(ri.build_args);
  const text = options.readFile?.(dockerfile);
  for (const { name, stage } of text === undefined ? [] : unsetBaseArgs(dockerInstructions(text), Object.fromEntries(args), ri.target))
    r.warn(
      Codes.baseArgUnset,
      ri.build_args ? [...path, "build_args"] : namePath,
      `${dockerfile}: the FROM of ${stage.name === undefined ? `stage ${stage.index}` : `stage '${stage.name}'`} reads ARG ${name}, which has no default and no build arg here: Docker fills it in as empty, and the build fails. Give it in 'build_args:' (e.g. ${name}: <the value CI passes with --build-arg>).`,
    );
  for (const [name, value] of args) {
    const variable = /\$(\{[A-Za-z_][A-Za-z0-9_]*(:?[-+?=][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[0];
    if (variable === undefined) continue;
    r.warn(
      Codes.buildArgVariable,
      [...path, "build_args", name],
      `Build arg ${name} holds ${JSON.stringify(variable)}: gen-circle passes build args as written, so the build gets that text, not a variable's value. Write the value itself (build args are part of the hash); a value that changes from build to build belongs in an ARG default of the Dockerfile, not here.`,
    );
  }
  return args;
}

/** What the Dockerfile copies before its install step must be in the hash, or the cache goes stale. */
function warnUncoveredCopies(entry: ImageEntry, context: string, dockerfile: string, patterns: string[], r: Reporter, options: NormalizeOptions): void {
  const { raw: ri, path, namePath } = entry;
  const dockerfileText = options.readFile?.(dockerfile);
  if (dockerfileText === undefined || !options.listFiles) return;
  const covered = (f: string) => patterns.some((h) => inputMatcher(h.replace(/^\.\//, ""))(f));
  const { listFiles } = options;
  // A copied folder is code when it holds source files; one the repository does not have is read by its name.
  const isCode = (src: string) => {
    const below = src === "." ? [] : listFiles(joinPath(context, cleanSource(src)));
    return isCodeSource(src, below.length ? below : undefined);
  };
  const read = { target: ri.target, buildArgs: Object.fromEntries(entries(ri.build_args)), isCode };
  for (const copied of dependencyInputs(dockerInstructions(dockerfileText), read).sources) {
    const input = joinPath(context, copied);
    const missed = options.listFiles(input).filter((f) => !covered(f));
    if (missed.length) {
      r.warn(
        Codes.hashMissesDockerInput,
        Array.isArray(ri.hash) ? [...path, "hash"] : namePath,
        `${dockerfile} copies ${JSON.stringify(copied)} before its install step, but the hash does not cover ${missed.slice(0, 3).join(", ")}${missed.length > 3 ? ` and ${missed.length - 3} more` : ""}: the cache would not refresh when ${missed.length === 1 ? "it changes" : "they change"}. Add ${JSON.stringify(input)} to ${Array.isArray(ri.hash) ? "hash" : "a 'hash:' list (with the Dockerfile)"}.`,
      );
    }
  }
}

/** Job-name id from an image name: its last path part. */
function deriveId(name: string): string {
  const last = name.split("/").pop() ?? name;
  const id = last
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z]+/, "");
  return id || "image";
}

// normalize.ts re-exports it from here.
export { junitFolder } from "./test.js";
