import { type Compose, type ComposeService, dependsOn, TEST_SERVICES } from "./compose.js";

export interface ServiceGuess {
  name: string;
  image: string;
  environment: Record<string, string>;
  ready?: string;
}

/** Services from compose: images that are not built here and not the test runner, by name. */
export function guessServices({ services, reader }: Compose): ServiceGuess[] {
  const built = (svc: ComposeService | null | undefined) => !!svc && svc.build !== undefined;
  const out: ServiceGuess[] = [];
  for (const [composeName, svc] of Object.entries(services).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc || TEST_SERVICES.includes(composeName) || built(svc) || typeof svc.image !== "string") continue;
    // A service that waits for one built here (a proxy in front of the app) uses the app: not a dependency of its tests.
    if (dependsOn(svc).some((d) => built(services[d]))) continue;
    const name = composeName.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    // A name the spec does not take, or taken already (`db` and `DB`): the first is kept.
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name) || out.some((s) => s.name === name)) continue;
    out.push({ name, image: reader.interpolate(svc.image), environment: reader.environment(svc.environment), ready: reader.readiness(svc.healthcheck) });
  }
  return out;
}
