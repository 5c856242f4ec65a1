import { dependencyInputs, dockerInstructions } from "../dockerfile/inputs.js";
import { inputMatcher } from "../hash/glob.js";
import { Codes, type Code, type Diagnostic } from "../diagnostics.js";
import { isDockerTag, isRegistryHost, parseReference } from "./docker-ref.js";
import type { SourceDoc } from "./load.js";
import { portableRegexProblem } from "./regex.js";
import { didYouMean } from "./suggest.js";
import type {
  DeployRule,
  Image,
  Matcher,
  ImageWithTest,
  ProjectImage,
  ProjectLogin,
  ProjectService,
  ProjectSpec,
  ProjectSplit,
  ProjectTest,
  Registry,
  Scalar,
  Service,
  Spec,
  Test,
} from "./types.js";

export interface NormalizeOptions {
  /**
   * Whether a hash pattern matches a file of the repository. When given, hash inputs that
   * match nothing are reported; the core never reads the disk itself.
   */
  matchesFiles?: (pattern: string) => boolean;
  /**
   * A repository file's text (undefined when it is not there), and the files a pattern matches.
   * When given, a Dockerfile's copies before its install step that the hash does not cover are
   * a warning: the cache would not refresh when they change.
   */
  readFile?: (path: string) => string | undefined;
  listFiles?: (pattern: string) => string[];
}

const DEFAULT_MACHINE = "ubuntu-2404:current";
const DEFAULT_DOCKER = "cimg/base:current";
const PLACEHOLDERS = ["sha", "short_sha", "branch", "tag", "build", "hash"] as const;

/** Fills in every default and checks what the schema cannot: references, regexes, globs, names. */
export function normalize(raw: ProjectSpec, src: SourceDoc, options: NormalizeOptions = {}): { spec?: Spec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (code: Code, path: (string | number)[], message: string, at: "key" | "value" = "value", within?: { text: string; offset: number }) => {
    diagnostics.push({ code, severity: "error", message, file: src.file, ...src.position(path, at, within), path: "/" + path.join("/") });
  };
  const warn = (code: Code, path: (string | number)[], message: string) => {
    diagnostics.push({ code, severity: "warning", message, file: src.file, ...src.position(path, "value"), path: "/" + path.join("/") });
  };

  if (raw === null || raw === undefined || typeof raw !== "object") {
    report(Codes.emptySpec, [], "The spec is empty. Start with 'image: myorg/myapp' and 'test: npm test' (or run 'gen-circle init').");
    return { diagnostics };
  }

  // ---- registries ----
  const registries = new Map<string, Registry>();
  for (const [name, r] of Object.entries(raw.registries ?? {})) {
    if (!isRegistryHost(r.url) && r.url !== "docker.io") {
      report(
        Codes.invalidValue,
        ["registries", name, "url"],
        `Registry url ${JSON.stringify(r.url)} is not a host name. Use a host such as 'docker.io', 'ghcr.io' or 'localhost:5000'.`,
      );
    }
    registries.set(name, { name, host: r.url, login: r.login });
  }
  const resolveRegistry = (ref: string | undefined, path: (string | number)[], login?: ProjectLogin): Registry | undefined => {
    if (ref === undefined) return { name: "docker.io", host: "docker.io", login };
    const named = registries.get(ref);
    if (named) return named;
    if (isRegistryHost(ref) || ref === "docker.io") return { name: ref, host: ref, login };
    const hint = didYouMean(ref, [...registries.keys()]);
    report(
      Codes.undefinedRegistry,
      path,
      `Registry '${ref}' is not defined. ` +
        (hint ? `Did you mean '${hint}'? ` : "") +
        (registries.size ? `Defined registries: ${[...registries.keys()].join(", ")}. ` : "") +
        "Name one from 'registries:' or give a host such as 'docker.io' or 'localhost:5000'.",
    );
    return undefined;
  };

  // ---- images ----
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
      test: testRaw === undefined ? undefined : normalizeTest(testRaw, testPath),
      services: normalizeServices(servicesRaw ?? {}, servicesPath),
      selfTest: own?.self_test ?? raw.self_test ?? [],
      deploy: own?.deploy ?? true,
    });
  }

  function cleanPath(p: string, path: (string | number)[]): string {
    const parts = p.split("/");
    if (p.startsWith("/") || parts.includes("..")) {
      report(Codes.pathEscapes, path, `Path ${JSON.stringify(p)} must stay inside the repository: use a relative path without '..'.`);
    }
    const out = parts.filter((s, i) => s !== "" && !(s === "." && parts.length > 1 && i < parts.length)).join("/");
    return out === "" ? "." : out;
  }

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

  // ---- deploy ----
  const deployRules: DeployRule[] = [];
  const deploy = raw.deploy;
  if (deploy) {
    const defaultRegistry = resolveRegistry(deploy.registry, ["deploy", "registry"], deploy.login);
    (deploy.rules ?? []).forEach((r, i) => {
      const path = ["deploy", "rules", i];
      if ((r.branch === undefined) === (r.tag === undefined)) {
        report(Codes.ruleBranchOrTag, path, "A deploy rule needs exactly one of 'branch:' (a name or /regex/) or 'tag:' (a git tag or /regex/).");
      }
      const branches = matchers(r.branch, [...path, "branch"]);
      const tags = matchers(r.tag, [...path, "tag"]);
      // (tags is missing only when it had the wrong shape: reported already by the schema.)
      const imageTags = r.tags ?? [];
      imageTags.forEach((t, j) => checkTagTemplate(t, [...path, "tags", j], r.tag !== undefined));
      const registry = r.registry !== undefined ? resolveRegistry(r.registry, [...path, "registry"], deploy.login) : defaultRegistry;
      if (registry) deployRules.push({ index: i + 1, branches, tags, imageTags, registry });
    });
  }

  function matchers(v: string | string[] | undefined, path: (string | number)[]): Matcher[] {
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((m, i) => {
      const p = Array.isArray(v) ? [...path, i] : path;
      if (m.length >= 2 && m.startsWith("/") && m.endsWith("/")) {
        const body = m.slice(1, -1);
        try {
          new RegExp(body, "u");
        } catch (e) {
          report(
            Codes.invalidRegex,
            p,
            `Invalid regular expression ${m}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, "")}. Fix it, or write the name without slashes for an exact match.`,
          );
          return { regex: body };
        }
        const problem = portableRegexProblem(body);
        if (problem) {
          // Pointed at the construct itself: the column of the character inside the regex.
          report(
            Codes.unsupportedRegex,
            p,
            `${m} ${problem.message}. A deploy regex must mean the same to CircleCI (Java) and to deploy.sh (bash, POSIX ERE).`,
            "value",
            { text: m, offset: 1 + problem.at },
          );
        }
        return { regex: body };
      }
      return { exact: m };
    });
  }

  function checkTagTemplate(t: string, path: (string | number)[], tagRule: boolean) {
    const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
    if (unknown.length) {
      report(
        Codes.invalidTagTemplate,
        path,
        `Unknown placeholder {${unknown[0]}} in tag ${JSON.stringify(t)}. Use ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}.`,
      );
      return;
    }
    if (tagRule && t.includes("{branch}")) {
      report(Codes.invalidTagTemplate, path, `{branch} is empty when a git tag is built; use {tag} in a tag rule.`);
    }
    if (!tagRule && t.includes("{tag}")) {
      report(Codes.invalidTagTemplate, path, `{tag} is empty when a branch is built; use it in a rule with 'tag:'.`);
    }
    const sample = t.replace(/\{[^}]*\}/g, "x0");
    if (!isDockerTag(sample)) {
      report(
        Codes.invalidTagTemplate,
        path,
        `Tag ${JSON.stringify(t)} is not a valid docker tag: use letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-').`,
      );
    }
  }

  // ---- cache ----
  const c = typeof raw.cache === "string" || raw.cache === undefined ? { strategy: raw.cache ?? "save-load" } : raw.cache;
  const cache: Spec["cache"] = {
    strategy: c.strategy,
    version: ("version" in c && c.version) || 1,
    defaultBranch: ("default_branch" in c && c.default_branch) || "main",
  };
  if (c.strategy === "registry") {
    const ref = "registry" in c ? c.registry : undefined;
    const registry =
      ref !== undefined
        ? resolveRegistry(ref, ["cache", "registry"])
        : deploy
          ? resolveRegistry(deploy.registry, ["deploy", "registry"], deploy.login)
          : undefined;
    const repository = "repository" in c ? c.repository : undefined;
    if (!registry && ref === undefined && !repository) {
      report(
        Codes.registryCacheNeedsRegistry,
        ["cache"],
        "The registry cache needs a registry: set 'cache.registry' (a name from 'registries:' or a host) or define 'deploy.registry'.",
      );
    }
    if (repository !== undefined) {
      const pr = parseReference(repository);
      if (!pr || pr.tag || pr.digest) {
        report(
          Codes.invalidImageRef,
          ["cache", "repository"],
          `${JSON.stringify(repository)} is not a repository name (no tag), e.g. 'localhost:5000/myapp-cache'.`,
        );
      }
    }
    cache.registry = registry;
    for (const img of images) {
      img.cacheRepository = repository ? (images.length > 1 ? `${repository}/${img.id}` : repository) : registry ? qualify(registry.host, img.name) : undefined;
    }
  }

  // ---- executor ----
  const e = typeof raw.executor === "string" || raw.executor === undefined ? { type: raw.executor ?? "machine" } : raw.executor;
  const executor: Spec["executor"] = {
    type: e.type,
    image: ("image" in e && e.image) || (e.type === "docker" ? DEFAULT_DOCKER : DEFAULT_MACHINE),
    resourceClass: "resource_class" in e ? e.resource_class : undefined,
  };

  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return { spec: { images, cache, deployRules, executor }, diagnostics };
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

function entries(rec: Record<string, Scalar> | undefined): [string, string][] {
  return Object.keys(rec ?? {})
    .sort()
    .map((k) => [k, String(rec![k])]);
}

function joinPath(dir: string, file: string): string {
  return dir === "." ? file : `${dir}/${file}`;
}

/**
 * The image's repository on a registry: the registry of the rule decides the host, the image
 * name the path (`registry.example.com/team/app` pushed to ghcr.io is `ghcr.io/team/app`).
 * Docker Hub names stay short.
 */
export function qualify(host: string, name: string): string {
  const ref = parseReference(name);
  const path = ref ? ref.path : name;
  return host === "docker.io" ? path : `${host}/${path}`;
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

export function globMatchesAny(pattern: string, files: readonly string[]): boolean {
  return files.some(inputMatcher(pattern));
}
