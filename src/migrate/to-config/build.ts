import { shq } from "../../emit/shq.js";
import type { V1Config } from "../v1.js";
import { ARTIFACTS, type ConfigCtx, type Job, job, type JobEnv, TEST_REPORTS } from "./context.js";
import { bashEnvStep, phaseSteps } from "./steps.js";

/** The build job: every phase in 1.0 order, with the checkout, cache and store steps 2.0 needs. */
export function buildJob(ctx: ConfigCtx, env: JobEnv): Job {
  const { c, notes } = ctx;
  const build = job(ctx, "build");
  setupSteps(ctx, build, env);
  phaseSteps(ctx, build, "machine", c.machine);
  checkoutSteps(ctx, build);
  dependencySteps(ctx, build);
  phaseSteps(ctx, build, "database", c.database);
  phaseSteps(ctx, build, "compile", c.compile);
  phaseSteps(ctx, build, "test", c.test);
  if (c.test.present && !c.test.override.length) {
    notes.push({
      at: { line: 1, column: 1 },
      what: "test: inferred commands",
      why: "1.0 inferred the test command (rake test, npm test, ...) when test.override was missing; 2.0 runs only what the config says: add it.",
    });
  }
  storeSteps(ctx, build, env);
  return build;
}

/** What the 1.0 machine did before the build: environment, /etc/hosts, the report folders. */
function setupSteps({ c, mapped }: ConfigCtx, build: Job, { bashEnv, usesReports, usesArtifacts }: JobEnv): void {
  if (bashEnv.length) build.add(bashEnvStep(bashEnv));
  if (c.machine.hosts.length) {
    build.add({
      run: {
        name: "Hosts (from machine.hosts)",
        command: c.machine.hosts.map((h) => `echo ${shq(`${h.ip} ${h.host}`)} | sudo tee -a /etc/hosts`).join("\n"),
      },
    });
    for (const h of c.machine.hosts) mapped.push({ at: h.at, what: `hosts ${h.host}`, to: `jobs.build.steps[${build.steps.length - 1}] (/etc/hosts)` });
  }
  if (usesReports || usesArtifacts)
    build.add({
      run: {
        name: "Folders for test reports and artifacts",
        command: `mkdir -p${usesReports ? ` ${TEST_REPORTS}` : ""}${usesArtifacts ? ` ${ARTIFACTS}` : ""}`,
      },
    });
}

/** checkout.pre, the checkout step, then checkout.override and post (1.0's override replaced the checkout). */
function checkoutSteps(ctx: ConfigCtx, build: Job): void {
  const { c, notes } = ctx;
  phaseSteps(ctx, build, "checkout(pre)", { pre: c.checkout.pre, override: [], post: [], present: true });
  build.add("checkout");
  if (c.checkout.override.length)
    notes.push({ at: c.checkout.override[0]!.at, what: "checkout.override", why: "Runs after the built-in checkout step in 2.0 (it replaced it in 1.0)." });
  phaseSteps(ctx, build, "checkout", { pre: [], override: c.checkout.override, post: c.checkout.post, present: true });
}

/** The dependencies phase between restore_cache and save_cache of the cache_directories. */
function dependencySteps(ctx: ConfigCtx, build: Job): void {
  const { c, text, mapped, notes } = ctx;
  const cacheKey = cacheKeyFor(text, c);
  if (c.dependencies.cacheDirectories.length) {
    if (cacheKey.files.length)
      build.add({
        run: { name: "Checksum of the dependency files", command: `cat ${cacheKey.files.join(" ")} > /tmp/circle-dependency-files 2>/dev/null || true` },
      });
    build.add({ restore_cache: { keys: cacheKey.restore } });
  }
  phaseSteps(ctx, build, "dependencies", c.dependencies);
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
    const first = build.steps.length;
    build.add({ save_cache: { key: cacheKey.save, paths: c.dependencies.cacheDirectories.map((d) => d.path) } });
    for (const d of c.dependencies.cacheDirectories)
      mapped.push({ at: d.at, what: `cache_directories: ${d.path}`, to: `jobs.build.steps[${first}] (save_cache) and the restore_cache before dependencies` });
  }
}

/** After the tests: reports and artifacts stored, the workspace handed to the deploy jobs. */
function storeSteps({ c }: ConfigCtx, build: Job, { usesReports, usesArtifacts }: JobEnv): void {
  if (usesReports) build.add({ store_test_results: { path: TEST_REPORTS } });
  if (usesArtifacts) build.add({ store_artifacts: { path: ARTIFACTS } });
  for (const a of c.general.artifacts) build.add({ store_artifacts: { path: a.path } }, a.at, `general.artifacts: ${a.path}`);
  if (c.deployments.length) build.add({ persist_to_workspace: { root: ".", paths: ["."] } });
  if (build.steps.length === 0 || !build.steps.includes("checkout")) build.add("checkout");
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
