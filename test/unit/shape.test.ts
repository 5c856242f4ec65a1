import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { generate } from "../../src/index.js";
import { changePaths } from "../../src/model/plan/changes.js";
import { fixtureCases } from "../helpers.js";

// The pipeline's shape: what CircleCI charges for is machine starts and bytes restored,
// so a warm pipeline with one test node restores the archive once, in one job; a build job exists
// only for several test nodes, and ends before downloading the archive when the cache has it.
const work = mkdtempSync(join(tmpdir(), "gc-shape-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Step = string | Record<string, unknown>;
interface Config {
  commands: Record<string, { steps: Step[] }>;
  jobs: Record<string, { parallelism?: number; steps: Step[] }>;
  workflows: Record<string, { jobs: (string | Record<string, { name?: string; requires?: string[] }>)[] }>;
}

async function configOf(spec: object | string): Promise<Config> {
  const r = await generate(typeof spec === "string" ? spec : stringify(spec));
  expect(r.diagnostics).toEqual([]);
  // With changes:, the pipeline is the continuation the setup job posts.
  const pipeline = r.files.find((f) => f.path === ".circleci/gen-circle/continue.yml") ?? r.files.find((f) => f.path === ".circleci/config.yml")!;
  return parse(pipeline.content) as Config;
}

/** A job's steps with the config's commands expanded and their parameters filled in. */
function expand(c: Config, steps: Step[]): Step[] {
  return steps.flatMap((s) => {
    if (typeof s === "string") return [s];
    const [name, body] = Object.entries(s)[0]!;
    if (c.commands[name]) {
      let text = JSON.stringify(c.commands[name].steps);
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) text = text.replaceAll(`<< parameters.${k} >>`, String(v));
      return expand(c, JSON.parse(text) as Step[]);
    }
    if (name === "when") return expand(c, (body as { steps: Step[] }).steps);
    return [s];
  });
}
const kind = (s: Step) => (typeof s === "string" ? s : Object.keys(s)[0]!);
const runCommand = (s: Step) => (typeof s === "object" && "run" in s ? (s.run as { command: string }).command : "");
const keysOf = (s: Step): string[] => {
  if (typeof s !== "object") return [];
  if ("restore_cache" in s) return (s.restore_cache as { keys: string[] }).keys;
  if ("save_cache" in s) return [(s.save_cache as { key: string }).key];
  return [];
};

const base = { version: 1, image: { name: "acme/app", hash: ["Dockerfile"] }, test: { command: "make test", results: "/r" } };

describe("cache keys", () => {
  it("no emitted key uses {{ arch }}; each names the machine file instead", async () => {
    for (const c of fixtureCases().filter((f) => !f.name.startsWith("invalid-"))) {
      const config = await configOf(c.spec);
      const keys = Object.values(config.jobs).flatMap((j) => expand(config, j.steps).flatMap(keysOf));
      expect(JSON.stringify(config), c.name).not.toContain("{{ arch }}");
      for (const k of keys) expect(k, c.name).toContain('{{ checksum "/tmp/gen-circle/hash/machine" }}');
    }
  });

  it("no marker or service key starts with an image archive's key prefix, whatever the image ids", async () => {
    const ids = ["built", "built-x", "service", "a", "a-b"];
    const spec = {
      version: 1,
      images: ids.map((id) => ({
        id,
        name: `acme/${id}`,
        hash: ["Dockerfile"],
        test: { command: "t", parallelism: 2, split: { glob: "tests/*", by: "name" } },
      })),
      services: { db: { image: "postgres:15", cache: true } },
    };
    const config = await configOf(spec);
    const keys = Object.values(config.jobs).flatMap((j) => expand(config, j.steps).flatMap(keysOf));
    const archivePrefixes = keys.filter((k) => /^gen-circle-v1-.*-$/.test(k));
    expect(archivePrefixes.length).toBeGreaterThan(0);
    for (const p of archivePrefixes) {
      const wrong = keys.filter((k) => k !== p && k.startsWith(p) && !k.startsWith(p + '{{ checksum "/tmp/gen-circle/hash/'));
      expect(wrong, p).toEqual([]);
    }
  });
});

describe("pipeline shape", () => {
  const deploy = {
    registry: "r.example.com",
    context: "registry-push",
    rules: [
      { branch: "main", tags: ["latest"] },
      { tag: "/v.*/", tags: ["{tag}"] },
    ],
  };
  const entry = (c: Config, name: string) => {
    const found = c.workflows["gen-circle"]!.jobs.find((j) => typeof j === "object" && (j[name] !== undefined || Object.values(j)[0]?.name === name));
    return found && typeof found === "object" ? (Object.values(found)[0] as Record<string, unknown>) : undefined;
  };
  const order = (c: Config, job: string) => expand(c, c.jobs[job]!.steps).map((s) => runCommand(s).replace(/^\.circleci\/gen-circle\//, "") || kind(s));

  it("parallelism 1: the job that tests a deploying branch pushes once its tests passed; nothing goes through the workspace", async () => {
    const config = await configOf({ ...base, deploy });
    expect(Object.keys(config.jobs)).toEqual(["test-app", "deploy-app-1", "deploy-app-2"]);
    const tested = [
      "checkout",
      "image.sh key app",
      "restore_cache",
      "image.sh ready app",
      "image.sh save app",
      "save_cache",
      "test.sh run app",
      "store_test_results",
    ];
    expect(order(config, "test-app")).toEqual(tested);
    expect(order(config, "deploy-app-1")).toEqual([...tested, "deploy.sh app 1"]);
    expect(order(config, "deploy-app-2")).toEqual([...tested, "deploy.sh app 2"]);
    expect(JSON.stringify(config)).not.toMatch(/workspace/);
    // The test job runs for every other branch and no tag, without the registry's context.
    expect(entry(config, "test-app")).toEqual({ filters: { branches: { ignore: ["main"] } } });
    expect(entry(config, "deploy-app-1")).toMatchObject({ context: ["registry-push"], filters: { branches: { only: ["main"] } } });
    expect(entry(config, "deploy-app-2")).toMatchObject({ context: ["registry-push"], filters: { branches: { ignore: ["/.*/"] }, tags: { only: ["/v.*/"] } } });
    expect(entry(config, "deploy-app-1")!.requires).toBeUndefined();
  });

  it("an image without tests is built, its cache saved and pushed by one job", async () => {
    const config = await configOf({
      version: 1,
      image: { name: "acme/app", hash: ["Dockerfile"] },
      deploy: { registry: "r.example.com", rules: [{ branch: "main", tags: ["latest"] }] },
    });
    expect(Object.keys(config.jobs)).toEqual(["build-app", "deploy-app"]);
    expect(order(config, "deploy-app")).toEqual(expect.arrayContaining(["image.sh key app", "image.sh ready app", "image.sh save app", "deploy.sh app 1"]));
    expect(order(config, "build-app")).not.toContain("deploy.sh app 1");
  });

  it("parallel nodes: node 0 pushes a candidate on deploying refs only, and the deploy job only copies its manifest", async () => {
    const config = await configOf({ ...base, test: { ...base.test, parallelism: 3, split: { glob: "tests/*", by: "name" } }, deploy });
    expect(Object.keys(config.jobs)).toEqual(["build-app", "test-app", "deploy-app-1", "deploy-app-2"]);
    expect(order(config, "test-app").slice(-2)).toEqual(["deploy.sh app 1 candidate", "deploy.sh app 2 candidate"]);
    expect(order(config, "deploy-app-1")).toEqual(["checkout", "deploy.sh app 1 promote"]);
    // The test job twice: for other refs without secrets, for deploying refs with the context.
    expect(entry(config, "test-app")).toEqual({ requires: ["build-app"], filters: { branches: { ignore: ["main"] } } });
    expect(entry(config, "test-app-deploying")).toEqual({
      name: "test-app-deploying",
      requires: ["build-app"],
      context: ["registry-push"],
      filters: { branches: { only: ["main"] }, tags: { only: ["/v.*/"] } },
    });
    expect(entry(config, "deploy-app-2")).toMatchObject({ requires: ["test-app-deploying"], context: ["registry-push"] });
    expect(JSON.stringify(config)).not.toMatch(/workspace/);
  });

  it("parallelism 4: a build job that stops on the marker before restoring the archive, then four test nodes", async () => {
    const config = await configOf({ ...base, test: { ...base.test, parallelism: 4, split: { glob: "tests/*", by: "name" } } });
    expect(Object.keys(config.jobs)).toEqual(["build-app", "test-app"]);
    expect(config.jobs["test-app"]!.parallelism).toBe(4);
    const wf = config.workflows["gen-circle"]!.jobs;
    expect(wf).toContainEqual({ "test-app": { requires: ["build-app"] } });
    const build = expand(config, config.jobs["build-app"]!.steps);
    const halt = build.findIndex((s) => runCommand(s).includes("circleci-agent step halt"));
    const marker = build.findIndex((s) => keysOf(s).some((k) => k.startsWith("gen-circle-v1.built-")));
    const archive = build.findIndex((s) => kind(s) === "restore_cache" && keysOf(s).some((k) => k.startsWith("gen-circle-v1-app-")));
    expect(marker).toBeGreaterThan(0);
    expect(halt).toBeGreaterThan(marker);
    expect(archive).toBeGreaterThan(halt);
    // The marker is saved after the archive: it never promises an archive that is not there.
    const saves = build.filter((s) => kind(s) === "save_cache").map((s) => keysOf(s)[0]!);
    expect(saves[0]).toMatch(/^gen-circle-v1-app-/);
    expect(saves[1]).toMatch(/^gen-circle-v1\.built-app-/);
    // Test nodes save only to replace a stale archive (image.sh save decides; the build job saved it).
    const test = expand(config, config.jobs["test-app"]!.steps);
    expect(test.filter((s) => runCommand(s).includes("image.sh save"))).toHaveLength(1);
    // Saved under the hash's key and a generation; restored by the hash's key as a prefix (the newest generation).
    const saved = test.filter((s) => kind(s) === "save_cache").map((s) => keysOf(s)[0]!);
    const restored = test.filter((s) => kind(s) === "restore_cache").flatMap(keysOf);
    expect(saved[0]).toBe(`${restored[0]}-{{ checksum "/tmp/gen-circle/hash/app.gen" }}`);
  });

  it("layer-caching and none: one job, nothing to save", async () => {
    for (const strategy of ["none", "layer-caching"]) {
      const config = await configOf({ ...base, cache: { strategy }, test: { ...base.test, parallelism: 3, split: { glob: "tests/*", by: "name" } } });
      expect(Object.keys(config.jobs)).toEqual(["test-app"]);
    }
  });
});

describe("only what changed (changes:)", () => {
  const two = {
    version: 1,
    changes: true,
    images: [
      { name: "acme/api", context: "services/api", hash: ["services/api/Dockerfile"], test: "go test ./..." },
      { name: "acme/web", context: ".", dockerfile: "web.Dockerfile", hash: ["web.Dockerfile"], test: "npm test" },
    ],
    deploy: { registry: "ghcr.io", rules: [{ branch: "main", tags: ["latest"] }] },
  };

  it("config.yml is a setup config: one small container job, for every branch and tag, that runs changes.sh", async () => {
    const r = await generate(stringify(two));
    expect(r.diagnostics).toEqual([]);
    const setup = parse(r.files.find((f) => f.path === ".circleci/config.yml")!.content) as Record<string, unknown> & Config;
    expect(setup.setup).toBe(true);
    expect(setup.executors).toEqual({ "gen-circle-small": { docker: [{ image: "cimg/base:current" }], resource_class: "small" } });
    expect(Object.keys(setup.jobs)).toEqual(["gen-circle-changes"]);
    expect(JSON.stringify(setup.jobs["gen-circle-changes"])).toContain(".circleci/gen-circle/changes.sh");
    expect(setup.workflows).toEqual({ "gen-circle-setup": { jobs: [{ "gen-circle-changes": { filters: { tags: { only: ["/.*/"] } } } }] } });
    expect(r.files.map((f) => f.path)).toEqual(expect.arrayContaining([".circleci/gen-circle/continue.yml", ".circleci/gen-circle/changes.sh"]));
  });

  it("the continuation: a run-<image> parameter each (false unless the setup job says), and each image's jobs in a workflow of its own", async () => {
    const c = (await configOf(two)) as Config & { parameters: Record<string, { default: boolean }>; workflows: Record<string, { when?: string }> };
    expect(Object.keys(c.parameters)).toEqual(["run-api", "run-web"]);
    expect(Object.values(c.parameters).map((p) => p.default)).toEqual([false, false]);
    const names = (w: string) => c.workflows[w]!.jobs.map((j) => (typeof j === "string" ? j : Object.keys(j)[0]));
    expect(Object.keys(c.workflows)).toEqual(["gen-circle-api", "gen-circle-web"]);
    expect(c.workflows["gen-circle-api"]!.when).toBe("<< pipeline.parameters.run-api >>");
    expect(names("gen-circle-api")).toEqual(["test-api", "deploy-api"]);
    expect(names("gen-circle-web")).toEqual(["test-web", "deploy-web"]);
  });

  it("small_jobs: machine puts the setup job and the manifest-copying deploy jobs on a machine (no container image to pull)", async () => {
    const r = await generate(stringify({ ...two, small_jobs: "machine" }));
    const setup = parse(r.files.find((f) => f.path === ".circleci/config.yml")!.content) as Config & { executors: object };
    expect(setup.executors).toEqual({ "gen-circle-small": { machine: { image: "ubuntu-2404:current" }, resource_class: "medium" } });
    const p4 = await configOf({
      ...two,
      changes: false,
      small_jobs: "machine",
      test: undefined,
      images: [{ ...two.images[0], test: { command: "x", parallelism: 2, split: { glob: "t/*", by: "name" } } }],
    });
    expect((p4 as Config & { executors: Record<string, object> }).executors["gen-circle-small"]).toEqual({
      machine: { image: "ubuntu-2404:current" },
      resource_class: "medium",
    });
    expect((p4.jobs["deploy-api"] as unknown as { executor: string }).executor).toBe("gen-circle-small");
  });

  it("without changes: one config, one workflow, no changes.sh", async () => {
    const r = await generate(stringify({ ...two, changes: false }));
    expect(r.files.map((f) => f.path)).not.toContain(".circleci/gen-circle/changes.sh");
    expect(Object.keys((await configOf({ ...two, changes: false })).workflows)).toEqual(["gen-circle"]);
  });

  it("an image's paths: its context, Dockerfile and hash inputs' folders; a context of the whole repository is every path", () => {
    const img = (over: object) => ({
      id: "x",
      name: "x",
      dockerfile: "Dockerfile",
      context: ".",
      hash: [],
      buildArgs: [],
      provenance: false,
      services: [],
      selfTest: [],
      deploy: true,
      ...over,
    });
    expect(changePaths(img({ context: "services/api", dockerfile: "docker/api.Dockerfile", hash: ["services/api/go.mod", "shared/**/*.proto"] }))).toEqual([
      "docker/api.Dockerfile",
      "services/api",
      "services/api/go.mod",
      "shared",
    ]);
    expect(changePaths(img({ context: "." }))).toEqual([""]);
  });
});
