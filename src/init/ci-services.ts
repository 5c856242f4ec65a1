import { parse } from "yaml";
import { simpleCommands } from "../dockerfile/toolchain.js";
import { knownService, knownTool, missingStartSettings } from "../spec/known-services.js";
import type { RepoView } from "./repo.js";
import type { ServiceGuess } from "./services.js";

/**
 * The service containers a GitHub Actions job that runs the tests declares (`jobs.<id>.services`):
 * what the project says its tests need, when compose says nothing. Each keeps its image and its
 * `env`; a well-known image gets its own probe and the settings it needs to start, another the
 * job's `--health-cmd`. The job's settings that reach a service through a published port on localhost
 * (`postgres://u:p@localhost:5432/x` with `ports: ["5432:5432"]`) are given with the service's
 * name and port instead: in the pipeline the tests reach each service by its name.
 */
export interface CiServices {
  services: ServiceGuess[];
  environment: Record<string, string>;
  /** `<workflow file> job <id>`. */
  from: string;
}

interface Job {
  services?: Record<string, { image?: unknown; env?: unknown; ports?: unknown; options?: unknown } | null>;
  env?: unknown;
  steps?: { run?: unknown; env?: unknown }[];
}

/** A step that runs tests: a test runner, or a `test` target or script. */
const RUNS_TESTS = /(^|[\s/:])(test|tests|pytest|phpunit|pest|rspec|jest|vitest|mocha)\b/;

export function ciServices(repo: RepoView): CiServices | undefined {
  const workflows = repo.files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f)).sort();
  for (const file of workflows) {
    let doc: { jobs?: Record<string, Job | null>; env?: unknown } | null;
    try {
      doc = parse(repo.read(file) ?? "") as typeof doc;
    } catch {
      continue;
    }
    for (const [id, job] of Object.entries(doc?.jobs ?? {})) {
      if (!job?.services || typeof job.services !== "object") continue;
      const steps = Array.isArray(job.steps) ? job.steps : [];
      // A command that runs tests (not `cd tests` or `mkdir test-results`).
      const testing = steps.find(
        (s) =>
          typeof s?.run === "string" &&
          simpleCommands(s.run).some((w) => !/^(cd|mkdir|ls|rm|cp|mv|echo|cat|touch)$/.test(w[0]!) && RUNS_TESTS.test(w.join(" "))),
      );
      if (!testing) continue;
      // A service chosen by the matrix (`image: ${{ matrix.db }}`) leaves the job's set unknown.
      if (Object.values(job.services).some((svc) => typeof svc?.image !== "string" || svc.image.includes("${{"))) continue;
      const found = servicesOf(job.services);
      if (!found.services.length) continue;
      const environment = settingsOf({ ...literal(doc?.env), ...literal(job.env), ...literal(testing.env) }, found.ports);
      return { services: found.services, environment, from: `${file} job ${id}` };
    }
  }
  return undefined;
}

/** Literal string settings (not `${{ ... }}` expressions). */
function literal(env: unknown): Record<string, string> {
  if (!env || typeof env !== "object") return {};
  return Object.fromEntries(
    Object.entries(env as Record<string, unknown>)
      .filter(([, v]) => ["string", "number", "boolean"].includes(typeof v) && !String(v).includes("${{"))
      .map(([k, v]) => [k, String(v)]),
  );
}

function servicesOf(declared: NonNullable<Job["services"]>): { services: ServiceGuess[]; ports: Map<string, { name: string; port: string }> } {
  const services: ServiceGuess[] = [];
  const ports = new Map<string, { name: string; port: string }>();
  for (const [key, svc] of Object.entries(declared)) {
    const image = typeof svc?.image === "string" ? svc.image : undefined;
    const name = key.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    // A development tool (a mail catcher) is no service of the tests, as in compose.
    if (!image || image.includes("${{") || !/^[a-z][a-z0-9_-]{0,62}$/.test(name) || knownTool(image)) continue;
    const environment = literal(svc?.env);
    const known = knownService(image);
    for (const setting of known ? missingStartSettings(known, environment) : []) Object.assign(environment, setting.set);
    const health = /--health-cmd[= ](?:"([^"]*)"|'([^']*)'|(\S+))/.exec(typeof svc?.options === "string" ? svc.options : "");
    // A well-known image's own probe first: it asks the server over TCP, not a socket an init phase may already answer on.
    const ready = known?.ready ?? (health ? (health[1] ?? health[2] ?? health[3]) : undefined);
    services.push({ name, image, environment, ...(ready ? { ready: known?.timeout ? { command: ready, timeout: known.timeout } : ready } : {}) });
    for (const p of Array.isArray(svc?.ports) ? svc.ports.map(String) : []) {
      // `HOST:CONTAINER` or `IP:HOST:CONTAINER`; a lone container port is published on a random host port.
      const parts = p.replace(/\/\w+$/, "").split(":");
      if (parts.length >= 2) ports.set(parts[parts.length - 2]!, { name, port: parts[parts.length - 1]! });
    }
  }
  return { services, ports };
}

/** The settings that reach a service on localhost through its published port, with the service's name and port. */
function settingsOf(env: Record<string, string>, ports: ReadonlyMap<string, { name: string; port: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_]\w*$/.test(key)) continue; // the test's environment takes shell names only
    let hit = false;
    const moved = value.replace(/\b(localhost|127\.0\.0\.1):(\d+)\b/g, (all, _host, port: string) => {
      const to = ports.get(port);
      if (!to) return all;
      hit = true;
      return `${to.name}:${to.port}`;
    });
    if (hit) out[key] = moved;
  }
  return out;
}
