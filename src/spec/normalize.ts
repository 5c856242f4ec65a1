import { Codes, type Diagnostic } from "../diagnostics.js";
import { inputMatcher } from "../hash/glob.js";
import type { SourceDoc } from "./load.js";
import { normalizeCache } from "./normalize/cache.js";
import { reporter } from "./normalize/context.js";
import { normalizeDeploy } from "./normalize/deploy.js";
import { normalizeImages } from "./normalize/images.js";
import { normalizeRegistries } from "./normalize/registries.js";
import type { ProjectSpec, Spec } from "./types.js";

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

export const DEFAULT_MACHINE = "ubuntu-2404:current";
/** 2 vCPUs on both executors (machine: 7.5 GB of memory; docker: 4 GB). */
export const DEFAULT_RESOURCE_CLASS = "medium";
const DEFAULT_DOCKER = "cimg/base:current";

/**
 * The empty spec's diagnostic (GC1027), built here only: compileSpec reports it for an empty
 * document, normalize for a document that is no mapping. At the document: 1:1, path "".
 */
export function emptySpecDiagnostic(file: string): Diagnostic {
  return {
    code: Codes.emptySpec,
    severity: "error",
    file,
    line: 1,
    column: 1,
    path: "",
    message: "The spec is empty. Start with 'image: myorg/myapp' and 'test: npm test' (or run 'gen-circle init').",
  };
}

/** Fills in every default and checks what the schema cannot: references, regexes, globs, names. */
export function normalize(raw: ProjectSpec, src: SourceDoc, options: NormalizeOptions = {}): { spec?: Spec; diagnostics: Diagnostic[] } {
  if (raw === null || raw === undefined || typeof raw !== "object") return { diagnostics: [emptySpecDiagnostic(src.file)] };
  const diagnostics: Diagnostic[] = [];
  const r = reporter(src, diagnostics);
  // In this order: the diagnostics come out in the order of the spec's sections.
  const { resolveRegistry, pullRegistries } = normalizeRegistries(raw, r);
  const images = normalizeImages(raw, r, options);
  const deployRules = normalizeDeploy(raw, r, resolveRegistry);
  const cache = normalizeCache(raw, r, resolveRegistry, images);

  // ---- executor ----
  const e = typeof raw.executor === "string" || raw.executor === undefined ? { type: raw.executor ?? "machine" } : raw.executor;
  const executor: Spec["executor"] = {
    type: e.type,
    image: ("image" in e && e.image) || (e.type === "docker" ? DEFAULT_DOCKER : DEFAULT_MACHINE),
    // Always said: CircleCI's own default "is subject to change", and so would the bill be.
    resourceClass: ("resource_class" in e && e.resource_class) || DEFAULT_RESOURCE_CLASS,
  };

  // Among several images, one no test, self-test or deploy uses: a job that only built it would
  // bill a machine on every push for nothing. (One image alone is the project: building it is the check.)
  images.forEach((img, i) => {
    if (images.length < 2 || img.test || img.selfTest.length || (img.deploy && deployRules.length)) return;
    r.warn(
      Codes.imageUnused,
      raw.images ? ["images", i] : ["image"],
      `Nothing tests or deploys ${img.id}, so no job builds it. Give it a test (or self_test), or deploy rules (deploy: true); else remove it.`,
    );
  });

  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  const context = raw.deploy?.context;
  const deployContexts = context === undefined ? [] : Array.isArray(context) ? context : [context];
  const c = raw.changes;
  const changes = c === undefined || c === false ? undefined : { base: (c !== true && c.base) || "main" };
  const smallJobs = raw.small_jobs ?? "docker";
  return { spec: { images, cache, deployRules, deployContexts, pullRegistries, executor, smallJobs, ...(changes ? { changes } : {}) }, diagnostics };
}

export { qualify } from "./normalize/registries.js";
export { junitFolder } from "./normalize/images.js";

export function globMatchesAny(pattern: string, files: readonly string[]): boolean {
  return files.some(inputMatcher(pattern));
}
