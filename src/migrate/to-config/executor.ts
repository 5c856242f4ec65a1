import { shq } from "../../emit/shq.js";
import type { ExecutorShape } from "../../model/circleci.js";
import { ARTIFACTS, type ConfigCtx, type JobEnv, TEST_REPORTS } from "./context.js";

const IMAGES: Record<string, string> = {
  python: "cimg/python",
  ruby: "cimg/ruby",
  node: "cimg/node",
  go: "cimg/go",
  php: "cimg/php",
  java: "cimg/openjdk",
  elixir: "cimg/elixir",
  erlang: "cimg/elixir",
  scala: "cimg/openjdk",
  clojure: "cimg/clojure",
  rust: "cimg/rust",
};
const SERVICES: Record<string, { image: string; uses: RegExp }> = {
  postgresql: { image: "cimg/postgres:14.0", uses: /\b(psql|createdb|createuser|pg_|rake db:|db:migrate|DATABASE_URL|postgres)/ },
  mysql: { image: "cimg/mysql:8.0", uses: /\b(mysql|mysqladmin)\b/ },
  redis: { image: "cimg/redis:7.0", uses: /\bredis/ },
  mongodb: { image: "mongo:6", uses: /\bmongo/ },
  memcached: { image: "memcached:1.6", uses: /\bmemcache/ },
  "rabbitmq-server": { image: "rabbitmq:3", uses: /\brabbit|amqp/ },
  elasticsearch: { image: "docker.elastic.co/elasticsearch/elasticsearch:7.17.9", uses: /\belasticsearch\b/ },
};

/** A build that runs docker gets a VM with Docker. */
export function machineExecutor({ c, mapped }: ConfigCtx): ExecutorShape {
  for (const s of c.machine.services)
    if (s.name === "docker") mapped.push({ at: s.at, what: "services: docker", to: "executors.default.machine (a VM with Docker)" });
  return { machine: { image: "ubuntu-2404:current" } };
}

/** Otherwise the image of the machine's language, and the services' images beside it. */
export function dockerExecutor(ctx: ConfigCtx): ExecutorShape {
  const images = [{ image: languageImage(ctx) }];
  serviceImages(ctx, images);
  return { docker: images };
}

/** The convenience image of the first language with one; the others are a note. */
function languageImage({ c, mapped, notes }: ConfigCtx): string {
  const lang = c.machine.languages.find((l) => IMAGES[l.name]);
  const version = lang ? majorMinor(lang.version) : "";
  const primary = lang ? `${IMAGES[lang.name]}:${version || "current"}` : "cimg/base:current";
  if (lang) {
    mapped.push({ at: lang.at, what: `${lang.name} ${lang.version}`, to: `executors.default.docker[0] (${primary})` });
    if (lang.version && version !== lang.version)
      notes.push({
        at: lang.at,
        what: `${lang.name} ${lang.version}`,
        why: `CircleCI's convenience images are tagged by release; ${primary} is the nearest name. Check that the tag exists, or pick a newer version.`,
      });
  }
  for (const l of c.machine.languages) {
    if (l === lang) continue;
    notes.push({
      at: l.at,
      what: `${l.name} ${l.version}`,
      why: `A second language: the job uses ${primary}; install ${l.name} in a step or pick an image that has both.`,
    });
  }
  return primary;
}

/** Secondary images for the services listed, and for the databases the commands use. */
function serviceImages({ c, text, mapped, notes }: ConfigCtx, images: { image: string }[]): void {
  const wanted = new Set(c.machine.services.map((s) => s.name));
  // 1.0 ran PostgreSQL and MySQL on every build: keep them only where the commands use them.
  for (const [name, svc] of Object.entries(SERVICES)) {
    const listed = c.machine.services.find((s) => s.name === name);
    if (listed || ((name === "postgresql" || name === "mysql") && svc.uses.test(text))) {
      images.push({ image: svc.image });
      if (listed) mapped.push({ at: listed.at, what: `services: ${name}`, to: `executors.default.docker[${images.length - 1}] (${svc.image})` });
      wanted.delete(name);
    }
  }
  for (const s of c.machine.services) {
    if (wanted.has(s.name) && s.name !== "docker")
      notes.push({ at: s.at, what: `services: ${s.name}`, why: "No 2.0 image is known for this service: add a secondary image for it to the executor." });
  }
}

/** The job environment: timezone, literal values, and through $BASH_ENV the values that refer to other variables. */
export function jobEnvironment({ c, text, mapped }: ConfigCtx, executor: ExecutorShape): JobEnv {
  const environment: Record<string, string> = {};
  const bashEnv: string[] = [];
  for (const e of c.machine.environment) {
    if (/\$/.test(e.value)) {
      bashEnv.push(`echo ${shq(`export ${e.key}="${e.value.replace(/"/g, '\\"')}"`)} >> "$BASH_ENV"`);
      mapped.push({ at: e.at, what: `environment ${e.key}`, to: "a step that appends it to $BASH_ENV (it refers to other variables)" });
    } else {
      environment[e.key] = e.value;
      mapped.push({ at: e.at, what: `environment ${e.key}`, to: "executors.default.environment" });
    }
  }
  if (c.machine.timezone) {
    environment.TZ = c.machine.timezone.value;
    mapped.push({ at: c.machine.timezone.at, what: "timezone", to: "executors.default.environment.TZ" });
  }
  const usesReports = /CIRCLE_TEST_REPORTS/.test(text);
  const usesArtifacts = /CIRCLE_ARTIFACTS/.test(text);
  if (usesReports) environment.CIRCLE_TEST_REPORTS = TEST_REPORTS;
  if (usesArtifacts) environment.CIRCLE_ARTIFACTS = ARTIFACTS;
  if (Object.keys(environment).length) executor.environment = environment;
  return { bashEnv, usesReports, usesArtifacts };
}

function majorMinor(v: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? (m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!) : "";
}
