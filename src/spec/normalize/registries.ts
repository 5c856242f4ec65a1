import { Codes } from "../../diagnostics.js";
import { isRegistryHost, parseReference } from "../docker-ref.js";
import { didYouMean } from "../suggest.js";
import type { ProjectLogin, ProjectSpec, Registry } from "../types.js";
import type { Reporter } from "./context.js";

export type ResolveRegistry = (ref: string | undefined, path: (string | number)[], login?: ProjectLogin) => Registry | undefined;

/** `registries:`, and how a registry is named elsewhere (a name from it, or a host). */
export function normalizeRegistries(raw: ProjectSpec, r: Reporter): { resolveRegistry: ResolveRegistry; pullRegistries: Registry[] } {
  const { report } = r;
  const registries = new Map<string, Registry>();
  for (const [name, reg] of Object.entries(raw.registries ?? {})) {
    if (!isRegistryHost(reg.url) && reg.url !== "docker.io") {
      report(
        Codes.invalidValue,
        ["registries", name, "url"],
        `Registry url ${JSON.stringify(reg.url)} is not a host name. Use a host such as 'docker.io', 'ghcr.io' or 'localhost:5000'.`,
      );
    }
    if (reg.pull && !reg.login) {
      report(
        Codes.missingKey,
        ["registries", name, "pull"],
        `Registry '${name}' logs in before pulls (pull: true) but has no 'login:': name the variables that hold its credentials, e.g. login: { username: DOCKERHUB_USERNAME, password: DOCKERHUB_TOKEN }.`,
      );
    }
    registries.set(name, { name, host: reg.url, login: reg.login, pull: reg.pull ?? false });
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

  return { resolveRegistry, pullRegistries: [...registries.values()].filter((g) => g.pull && g.login) };
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
