// A job's docker client settings (DOCKER_CONFIG), in the job's own home. A CircleCI machine has
// Docker and its CLI plugins installed, and nobody is logged in to a registry: a job logs in
// itself. So a job here gets this machine's client setup (the contexts, the current context, the
// CLI plugins, where plugins are) and none of its credentials (auths, credential stores) or
// buildx builders (CircleCI's machine builds with the default one).
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The settings of config.json that say where the engine and the plugins are. */
const KEPT = ["currentContext", "cliPluginsExtraDirs"] as const;

/** The docker config folder this machine's client reads (DOCKER_CONFIG, else ~/.docker). */
export function machineDockerConfig(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return env.HOME ? join(env.HOME, ".docker") : undefined;
}

/** The settings kept from a config.json's text; none when it is not a JSON object. */
export function keptSettings(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  const all = parsed as Record<string, unknown>;
  return Object.fromEntries(KEPT.filter((k) => k in all).map((k) => [k, all[k]]));
}

/** Writes the job's docker config folder below its home and returns its path. */
export function jobDockerConfig(machine: string | undefined, home: string): string {
  const dir = join(home, ".docker");
  mkdirSync(dir, { recursive: true });
  if (machine && existsSync(machine)) {
    // Plugins are read only (and large): a link. Contexts a job may add to: a copy.
    if (existsSync(join(machine, "cli-plugins"))) symlinkSync(join(machine, "cli-plugins"), join(dir, "cli-plugins"));
    readable(() => existsSync(join(machine, "contexts")) && cpSync(join(machine, "contexts"), join(dir, "contexts"), { recursive: true }));
    const config = join(machine, "config.json");
    const kept = readable(() => existsSync(config) && keptSettings(readFileSync(config, "utf8")));
    if (kept && Object.keys(kept).length) writeFileSync(join(dir, "config.json"), JSON.stringify(kept, null, 2) + "\n");
  }
  return dir;
}

/** What f returns; undefined where this user may not read it (docker could not either). */
function readable<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EACCES") return undefined;
    throw e;
  }
}
