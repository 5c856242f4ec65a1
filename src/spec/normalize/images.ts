import { Codes } from "../../diagnostics.js";
import { dependencyInputs, dockerInstructions } from "../../dockerfile/inputs.js";
import { inputMatcher } from "../../hash/glob.js";
import { parseReference } from "../docker-ref.js";
import type { Image, ImageWithTest, ProjectImage, ProjectService, ProjectSpec, ProjectSplit, ProjectTest, Service, Test } from "../types.js";
import { cleanPath as clean, entries, joinPath, type Reporter } from "./context.js";
import type { NormalizeOptions } from "../normalize.js";

/** `image:` or `images:`: names, ids, paths, the hash and each image's test and services. */
export function normalizeImages(raw: ProjectSpec, r: Reporter, options: NormalizeOptions): Image[] {
  const { report, warn } = r;
  const cleanPath = (p: string, path: (string | number)[]) => clean(r, p, path);
  if (raw.image !== undefined && raw.images !== undefined) {
    report(Codes.imageMissing, ["images"], "Use either 'image:' (one image) or 'images:' (several), not both.", "key");
  }
  if (raw.image === undefined && raw.images === undefined) {
    report(Codes.imageMissing, [], "The spec needs 'image:' (e.g. 'image: myorg/myapp') or 'images:' for several images.");
  }
  // `own`: what an entry of images: holds beyond the build (its test, services...); the single
  // image: takes those from the top level.
  const imageEntries: { raw: ProjectImage; own?: ImageWithTest; path: (string | number)[]; single: boolean }[] = [];
  if (raw.images) raw.images.forEach((img, i) => imageEntries.push({ raw: img, own: img, path: ["images", i], single: false }));
  else if (raw.image !== undefined) {
    const img = typeof raw.image === "string" ? { name: raw.image } : raw.image;
    imageEntries.push({ raw: img, path: typeof raw.image === "string" ? [] : ["image"], single: true });
  }

  const images: Image[] = [];
  const ids = new Map<string, string>();
  const names = new Set<string>();
  for (const { raw: ri, own, path, single } of imageEntries) {
    const namePath = single && typeof raw.image === "string" ? ["image"] : [...path, "name"];
    const ref = parseReference(ri.name);
    if (!ref) {
      report(
        Codes.invalidImageRef,
        namePath,
        `${JSON.stringify(ri.name)} is not a valid docker repository name. Use lowercase letters, digits and separators ('.', '_', '-', '/'), e.g. 'myorg/myapp'.`,
      );
    } else if (ref.tag || ref.digest) {
      report(
        Codes.imageNameWithTag,
        namePath,
        `Image name ${JSON.stringify(ri.name)} has a ${ref.digest ? "digest" : "tag"}; gen-circle tags the image itself (by hash, commit and deploy rules). Drop the ':${ref.tag ?? ""}${ref.digest ? "@" + ref.digest : ""}' part.`,
      );
    }
    if (names.has(ri.name)) report(Codes.duplicateName, namePath, `Image ${JSON.stringify(ri.name)} is listed twice. Each image needs its own entry once.`);
    names.add(ri.name);
    const id = ri.id ?? deriveId(ri.name);
    const prior = ids.get(id);
    if (prior !== undefined) {
      report(
        Codes.duplicateName,
        ri.id ? [...path, "id"] : namePath,
        `Images ${JSON.stringify(prior)} and ${JSON.stringify(ri.name)} both get the job name '${id}'. Give one of them a distinct 'id:'.`,
      );
    }
    ids.set(id, ri.name);

    const context = cleanPath(ri.context ?? ".", [...path, "context"]);
    const dockerfile = cleanPath(ri.dockerfile ?? (context === "." ? "Dockerfile" : `${context}/Dockerfile`), [...path, "dockerfile"]);
    if (options.matchesFiles && !options.matchesFiles(context)) {
      report(
        Codes.contextMissing,
        ri.context === undefined ? namePath : [...path, "context"],
        `The build context ${JSON.stringify(context)} holds no file in the repository. Fix 'context:' (a folder, relative to the repository root).`,
      );
    } else if (options.matchesFiles && !options.matchesFiles(dockerfile)) {
      report(
        Codes.dockerfileMissing,
        ri.dockerfile === undefined ? namePath : [...path, "dockerfile"],
        `No Dockerfile at ${JSON.stringify(dockerfile)}. Fix 'dockerfile:' (a path relative to the repository root), or add the file.`,
      );
    }
    const hashPatterns = Array.isArray(ri.hash) ? ri.hash : [dockerfile, joinPath(context, ".dockerignore")];
    const dockerfileText = options.readFile?.(dockerfile);
    if (dockerfileText !== undefined && options.listFiles) {
      const covered = (f: string) => hashPatterns.some((h) => inputMatcher(h.replace(/^\.\//, ""))(f));
      for (const copied of dependencyInputs(dockerInstructions(dockerfileText)).sources) {
        const input = joinPath(context, copied);
        const missed = options.listFiles(input).filter((f) => !covered(f));
        if (missed.length) {
          warn(
            Codes.hashMissesDockerInput,
            Array.isArray(ri.hash) ? [...path, "hash"] : namePath,
            `${dockerfile} copies ${JSON.stringify(copied)} before its install step, but the hash does not cover ${missed.slice(0, 3).join(", ")}${missed.length > 3 ? ` and ${missed.length - 3} more` : ""}: the cache would not refresh when ${missed.length === 1 ? "it changes" : "they change"}. Add ${JSON.stringify(input)} to ${Array.isArray(ri.hash) ? "hash" : "a 'hash:' list (with the Dockerfile)"}.`,
          );
        }
      }
    }
    (Array.isArray(ri.hash) ? ri.hash : []).forEach((h, i) => {
      const clean = cleanPath(h, [...path, "hash", i]);
      if (options.matchesFiles && !options.matchesFiles(clean)) {
        report(
          Codes.hashMatchesNothing,
          [...path, "hash", i],
          `Hash input ${JSON.stringify(h)} matches no file in the repository. Fix the path or glob (globs: '*', '?', '**', '[...]'), or remove it.`,
        );
      }
    });

    const testRaw = own?.test ?? raw.test;
    const testPath = own?.test === undefined ? ["test"] : [...path, "test"];
    const servicesRaw = own?.services ?? raw.services;
    const servicesPath = own?.services === undefined ? ["services"] : [...path, "services"];
    images.push({
      id,
      name: ri.name,
      dockerfile,
      context,
      target: ri.target,
      buildArgs: entries(ri.build_args),
      hash: hashPatterns.map((h) => h.replace(/^\.\//, "")),
      provenance: ri.provenance ?? false,
      test: testRaw === undefined ? undefined : normalizeTest(testRaw, testPath),
      services: normalizeServices(servicesRaw ?? {}, servicesPath),
      selfTest: own?.self_test ?? raw.self_test ?? [],
      deploy: own?.deploy ?? true,
    });
  }

  return images;

  function normalizeTest(t: ProjectTest, path: (string | number)[]): Test {
    if (typeof t === "string") return { command: { shell: t }, environment: [], passEnv: [], parallelism: 1, results: junitFolder(t) };
    for (const key of ["results", "artifacts", "workdir"] as const) {
      const v = t[key];
      if (v !== undefined && !v.startsWith("/")) {
        report(
          Codes.containerPath,
          [...path, key],
          `'${key}' is a folder inside the container and must be absolute, e.g. '/results'; got ${JSON.stringify(v)}.`,
        );
      }
    }
    return {
      command: Array.isArray(t.command) ? { exec: t.command } : { shell: t.command },
      environment: entries(t.environment),
      passEnv: t.pass_env ?? [],
      results: t.results ?? junitFolder(Array.isArray(t.command) ? t.command.join(" ") : t.command),
      artifacts: t.artifacts,
      parallelism: t.parallelism ?? 1,
      split: normalizeSplit(t.split, [...path, "split"]),
      workdir: t.workdir,
      user: t.user,
    };
  }

  function normalizeSplit(s: ProjectSplit | undefined, path: (string | number)[]): Test["split"] {
    if (s === undefined) return undefined;
    const o = typeof s === "string" ? { glob: s } : s;
    const list = Array.isArray(o.glob) ? o.glob : [o.glob];
    const globPath = typeof s === "string" ? path : [...path, "glob"];
    const globs = list.map((g, i) => cleanPath(g, Array.isArray(o.glob) ? [...globPath, i] : globPath));
    return { globs, by: o.by ?? "timings" };
  }

  function normalizeServices(map: Record<string, ProjectService>, path: (string | number)[]): Service[] {
    return Object.keys(map)
      .sort()
      .map((name) => {
        const s = map[name]!;
        const o = typeof s === "string" ? { image: s } : s;
        const imgPath = typeof s === "string" ? [...path, name] : [...path, name, "image"];
        if (!parseReference(o.image)) {
          report(
            Codes.invalidImageRef,
            imgPath,
            `${JSON.stringify(o.image)} is not a valid docker image reference. Use e.g. 'postgres:15' or 'redis:7-alpine'.`,
          );
        }
        const ready = o.ready === undefined ? undefined : typeof o.ready === "string" ? { command: o.ready } : o.ready;
        return {
          name,
          image: o.image,
          environment: entries(o.environment),
          command: o.command ?? [],
          ready: ready && { command: ready.command, timeout: ready.timeout ?? 60, interval: ready.interval ?? 1 },
          setup: o.setup === undefined ? [] : Array.isArray(o.setup) ? o.setup : [o.setup],
          cache: o.cache ?? false,
        };
      });
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

// Where common test runners are told to write JUnit XML: the folder becomes test.results when the
// spec names none, so that `pytest --junitxml=/results/junit.xml` alone stores its results.
const JUNIT_FILE_FLAGS = [
  /--junit-?xml[= ]["']?(\/[^\s"']+)/, // pytest
  /--junitfile[= ]["']?(\/[^\s"']+)/, // gotestsum
  /mochaFile=["']?(\/[^\s"',]+)/, // mocha-junit-reporter
  /JEST_JUNIT_OUTPUT_FILE=["']?(\/[^\s"']+)/, // jest-junit
  /go-junit-report\b[^|>]*>\s*["']?(\/[^\s"']+)/, // go test ... | go-junit-report > FILE
];
const JUNIT_DIR_FLAGS = [/JEST_JUNIT_OUTPUT_DIR=["']?(\/[^\s"']+)/];

export function junitFolder(command: string): string | undefined {
  for (const re of JUNIT_DIR_FLAGS) {
    const m = re.exec(command);
    if (m) return m[1]!.replace(/\/+$/, "") || "/";
  }
  for (const re of JUNIT_FILE_FLAGS) {
    const m = re.exec(command);
    if (m) return m[1]!.replace(/\/[^/]*$/, "") || "/";
  }
  return undefined;
}
