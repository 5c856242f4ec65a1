import { shq } from "../emit/shq.js";
import {
  branchTagFilters,
  type CircleConfigShape,
  type ExecutorShape,
  type JobShape,
  type RunShape,
  type StepShape,
  type WorkflowJobShape,
  workflowJob,
} from "../model/circleci.js";
import type { Command, Note, Phases, Pos, V1Config } from "./v1.js";

/**
 * A CircleCI 1.0 config as a 2.1 config: one `build` job with every phase in 1.0 order, and a
 * deploy job per deployment behind it, with the filters the deployment's branch and tag ask for.
 * @see CircleCI's 1.0 → 2.0 migration guide
 */
export interface Mapped {
  at: Pos;
  what: string;
  to: string;
}

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
const TEST_REPORTS = "/tmp/circle-test-reports";
const ARTIFACTS = "/tmp/circle-artifacts";

export function toConfig(c: V1Config): { config: CircleConfigShape; mapped: Mapped[]; notes: Note[] } {
  const mapped: Mapped[] = [];
  const notes: Note[] = [...c.notes];
  const all = [c.machine, c.checkout, c.dependencies, c.database, c.compile, c.test].flatMap((p) => [...p.pre, ...p.override, ...p.post]);
  const text = all.map((x) => x.command).join("\n") + "\n" + c.deployments.flatMap((d) => d.commands.map((x) => x.command)).join("\n");
  const steps: StepShape[] = [];
  let stepNo = 0;
  const push = (job: string, step: StepShape, at: Pos | undefined, what: string, list = steps) => {
    list.push(step);
    if (at) mapped.push({ at, what, to: `jobs.${job}.steps[${list.length - 1}]` });
    stepNo += 1;
  };

  // ---- executor
  const usesDocker = c.machine.services.some((s) => s.name === "docker") || /\bdocker(-compose)?\s/.test(text);
  const executor: ExecutorShape = {};
  if (usesDocker) {
    executor.machine = { image: "ubuntu-2404:current" };
    for (const s of c.machine.services)
      if (s.name === "docker") mapped.push({ at: s.at, what: "services: docker", to: "executors.default.machine (a VM with Docker)" });
  } else {
    const lang = c.machine.languages.find((l) => IMAGES[l.name]);
    const version = lang ? majorMinor(lang.version) : "";
    const primary = lang ? `${IMAGES[lang.name]}:${version || "current"}` : "cimg/base:current";
    const images: { image: string }[] = [{ image: primary }];
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
    executor.docker = images;
  }

  // ---- job environment, timezone, hosts, PATH-like values through $BASH_ENV
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

  const run = (cmd: Command, dir?: string): StepShape => {
    const r: RunShape = { command: cmd.command };
    const pwd = cmd.pwd ?? c.general.buildDir;
    if (pwd) r.working_directory = pwd.startsWith("/") || pwd.startsWith("~") || pwd.startsWith("$") ? pwd : `~/project/${pwd}`;
    else if (dir) r.working_directory = dir;
    if (cmd.environment) r.environment = cmd.environment;
    if (cmd.timeout) r.no_output_timeout = `${cmd.timeout}s`;
    if (cmd.background) r.background = true;
    if (cmd.pwd?.includes("$"))
      notes.push({
        at: cmd.at,
        what: `pwd: ${cmd.pwd}`,
        why: "2.0 does not expand variables in working_directory: replace it with a literal path, or 'cd' in the command.",
      });
    if (cmd.parallel || cmd.files)
      notes.push({
        at: cmd.at,
        what: "parallel/files modifiers",
        why: "Set the job's parallelism and split the files with `circleci tests glob ... | circleci tests split`; the command runs once per container as written.",
      });
    if (cmd.unknown.length)
      notes.push({ at: cmd.at, what: `modifiers ${cmd.unknown.join(", ")}`, why: "Not known to CircleCI 1.0's reference: not migrated." });
    if (/docker login .*-p\s/.test(cmd.command))
      notes.push({
        at: cmd.at,
        what: "docker login -p",
        why: 'The password is on the command line (visible in the process list); use `echo "$DOCKER_PASS" | docker login -u "$DOCKER_USER" --password-stdin`.',
      });
    if (/docker login\b.*\s-e\s/.test(cmd.command))
      notes.push({ at: cmd.at, what: "docker login -e", why: "Docker removed the --email flag; this command fails on a current Docker: drop '-e ...'." });
    return { run: r };
  };
  const phase = (name: string, p: Phases, job: string, list: StepShape[]) => {
    for (const k of ["pre", "override", "post"] as const) for (const cmd of p[k]) push(job, run(cmd), cmd.at, `${name}.${k}: ${short(cmd.command)}`, list);
  };

  // ---- build job, in 1.0 order
  if (bashEnv.length) push("build", { run: { name: "Environment (from machine.environment)", command: bashEnv.join("\n") } }, undefined, "");
  if (c.machine.hosts.length) {
    push(
      "build",
      {
        run: {
          name: "Hosts (from machine.hosts)",
          command: c.machine.hosts.map((h) => `echo ${shq(`${h.ip} ${h.host}`)} | sudo tee -a /etc/hosts`).join("\n"),
        },
      },
      undefined,
      "",
    );
    for (const h of c.machine.hosts) mapped.push({ at: h.at, what: `hosts ${h.host}`, to: `jobs.build.steps[${steps.length - 1}] (/etc/hosts)` });
  }
  if (usesReports || usesArtifacts)
    push(
      "build",
      {
        run: {
          name: "Folders for test reports and artifacts",
          command: `mkdir -p${usesReports ? ` ${TEST_REPORTS}` : ""}${usesArtifacts ? ` ${ARTIFACTS}` : ""}`,
        },
      },
      undefined,
      "",
    );
  phase("machine", c.machine, "build", steps);
  phase("checkout(pre)", { pre: c.checkout.pre, override: [], post: [], present: true }, "build", steps);
  push("build", "checkout", undefined, "");
  if (c.checkout.override.length)
    notes.push({ at: c.checkout.override[0]!.at, what: "checkout.override", why: "Runs after the built-in checkout step in 2.0 (it replaced it in 1.0)." });
  phase("checkout", { pre: [], override: c.checkout.override, post: c.checkout.post, present: true }, "build", steps);

  const cacheKey = cacheKeyFor(text, c);
  if (c.dependencies.cacheDirectories.length) {
    if (cacheKey.files.length)
      push(
        "build",
        { run: { name: "Checksum of the dependency files", command: `cat ${cacheKey.files.join(" ")} > /tmp/circle-dependency-files 2>/dev/null || true` } },
        undefined,
        "",
      );
    push("build", { restore_cache: { keys: cacheKey.restore } }, undefined, "");
  }
  phase("dependencies", c.dependencies, "build", steps);
  if (c.dependencies.present && !c.dependencies.override.length && c.machine.languages.length) {
    notes.push({
      at: { line: 1, column: 1 },
      what: "dependencies: inferred commands",
      why: "1.0 inferred an install step (bundle install, npm install, pip install ...) when dependencies.override was missing; 2.0 infers nothing: add the install command.",
    });
  }
  if (c.dependencies.bundlerWithout)
    notes.push({
      at: { line: 1, column: 1 },
      what: "dependencies.bundler.without",
      why: `Use 'bundle install --without ${c.dependencies.bundlerWithout.join(" ")}' in dependencies.`,
    });
  if (c.dependencies.cacheDirectories.length) {
    const first = steps.length;
    push("build", { save_cache: { key: cacheKey.save, paths: c.dependencies.cacheDirectories.map((d) => d.path) } }, undefined, "");
    for (const d of c.dependencies.cacheDirectories)
      mapped.push({ at: d.at, what: `cache_directories: ${d.path}`, to: `jobs.build.steps[${first}] (save_cache) and the restore_cache before dependencies` });
  }
  phase("database", c.database, "build", steps);
  phase("compile", c.compile, "build", steps);
  phase("test", c.test, "build", steps);
  if (c.test.present && !c.test.override.length) {
    notes.push({
      at: { line: 1, column: 1 },
      what: "test: inferred commands",
      why: "1.0 inferred the test command (rake test, npm test, ...) when test.override was missing; 2.0 runs only what the config says: add it.",
    });
  }
  if (usesReports) push("build", { store_test_results: { path: TEST_REPORTS } }, undefined, "");
  if (usesArtifacts) push("build", { store_artifacts: { path: ARTIFACTS } }, undefined, "");
  for (const a of c.general.artifacts) push("build", { store_artifacts: { path: a.path } }, a.at, `general.artifacts: ${a.path}`);
  if (c.deployments.length) push("build", { persist_to_workspace: { root: ".", paths: ["."] } }, undefined, "");
  if (steps.length === 0 || !steps.includes("checkout")) push("build", "checkout", undefined, "");

  // ---- deploy jobs and the workflow
  const jobs: Record<string, JobShape> = { build: { executor: "default", steps } };
  // The build job runs for 1.0's branches, and for the deployments' tags (a tag job's upstream
  // must name the tags too, or CircleCI never runs it for a tag).
  const tagFilters = [...new Set(c.deployments.flatMap((d) => d.tags))];
  const branches = c.general.branchesOnly.length
    ? { only: c.general.branchesOnly }
    : c.general.branchesIgnore.length
      ? { ignore: c.general.branchesIgnore }
      : undefined;
  const buildFilters =
    branches || tagFilters.length ? { ...(branches ? { branches } : {}), ...(tagFilters.length ? { tags: { only: tagFilters } } : {}) } : undefined;
  const workflow: WorkflowJobShape[] = [workflowJob("build", [], buildFilters)];
  const used = new Set(["build"]);
  for (const d of c.deployments) {
    let name = `deploy-${slug(d.name)}`;
    for (let i = 2; used.has(name); i++) name = `deploy-${slug(d.name)}-${i}`;
    used.add(name);
    const ds: StepShape[] = [];
    push(name, { attach_workspace: { at: "~/project" } }, undefined, "", ds);
    if (bashEnv.length) push(name, { run: { name: "Environment (from machine.environment)", command: bashEnv.join("\n") } }, undefined, "", ds);
    for (const cmd of d.commands) push(name, run(cmd), cmd.at, `deployment.${d.name}: ${short(cmd.command)}`, ds);
    if (d.heroku) {
      push(
        name,
        {
          run: {
            name: `Deploy to Heroku (${d.heroku.appname})`,
            command: `git push --force "https://heroku:$HEROKU_API_KEY@git.heroku.com/${d.heroku.appname}.git" "HEAD:refs/heads/main"`,
          },
        },
        d.heroku.at,
        `deployment.${d.name}.heroku`,
        ds,
      );
    }
    if (!ds.some((s) => typeof s === "object" && "run" in s))
      push(name, { run: { name: "Nothing to deploy", command: "echo 'deployment had no commands'" } }, undefined, "", ds);
    jobs[name] = { executor: "default", steps: ds };
    workflow.push(workflowJob(name, ["build"], branchTagFilters(d.branches, d.tags)));
    mapped.push({
      at: d.at,
      what: `deployment ${d.name}`,
      to: `jobs.${name}, workflow filters ${d.tags.length ? `tags ${d.tags.join(", ")}` : `branches ${d.branches.join(", ") || "(all)"}`}`,
    });
    if (d.branches.length && d.tags.length)
      notes.push({ at: d.at, what: `deployment ${d.name}`, why: "It has both branch and tag: migrated for the tags only; add a second job for the branches." });
    if (usesDocker) {
      notes.push({
        at: d.at,
        what: `deployment ${d.name}: docker push`,
        why: "The deploy job runs on a new machine: images built in the build job are not there. Rebuild or load them first (or run 'gen-circle migrate --spec', whose pipeline hands the tested image over).",
      });
    }
  }
  const config: CircleConfigShape = {
    version: 2.1,
    executors: { default: executor },
    jobs,
    workflows: { build_and_deploy: { jobs: workflow } },
  };
  return { config, mapped, notes };
}

function cacheKeyFor(text: string, c: V1Config): { files: string[]; restore: string[]; save: string } {
  const files = new Set<string>();
  for (const m of text.matchAll(/-r\s+([\w./-]+\.txt)/g)) files.add(m[1]!);
  const langs = new Set(c.machine.languages.map((l) => l.name));
  if (/\bbundle\b/.test(text) || langs.has("ruby")) files.add("Gemfile.lock");
  if (/\bnpm (install|ci)\b/.test(text) || (langs.has("node") && !/\byarn\b/.test(text))) files.add("package.json");
  if (/\byarn\b/.test(text)) files.add("yarn.lock");
  if (/\bcomposer\b/.test(text) || langs.has("php")) files.add("composer.lock");
  if (/\bmvn\b/.test(text)) files.add("pom.xml");
  if (/\bmix\b/.test(text)) files.add("mix.lock");
  const list = [...files];
  if (list.length) {
    return {
      files: list,
      restore: ['v1-deps-{{ checksum "/tmp/circle-dependency-files" }}', "v1-deps-"],
      save: 'v1-deps-{{ checksum "/tmp/circle-dependency-files" }}',
    };
  }
  // No dependency file known: 1.0's own rule, the newest cache of the branch, else of any branch.
  return { files: [], restore: ["v1-deps-{{ .Branch }}-", "v1-deps-"], save: "v1-deps-{{ .Branch }}-{{ epoch }}" };
}

function majorMinor(v: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? (m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!) : "";
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "deploy"
  );
}

function short(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 60 ? one.slice(0, 57) + "..." : one;
}
