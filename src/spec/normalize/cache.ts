import { Codes } from "../../diagnostics.js";
import { parseReference } from "../docker-ref.js";
import type { Image, ProjectSpec, Spec } from "../types.js";
import type { Reporter } from "./context.js";
import { qualify, type ResolveRegistry } from "./registries.js";

/** `cache:`: the strategy, and for the registry cache where its tags go (per image). */
export function normalizeCache(raw: ProjectSpec, r: Reporter, resolveRegistry: ResolveRegistry, images: Image[]): Spec["cache"] {
  const { report } = r;
  const deploy = raw.deploy;
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
        // Not a reference at all (GC1010), or one with a tag or digest where a repository is wanted (GC1011).
        report(
          pr ? Codes.imageNameWithTag : Codes.invalidImageRef,
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

  return cache;
}
