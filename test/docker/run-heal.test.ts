import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, run } from "../helpers.js";
import { DOCKER, docker, ENGINE_PATH } from "./engine.js";
import { Project, removeImages } from "./project.js";

// A cache that heals: the key is the hash of the declared inputs, and a base image is a tag. When
// the tag moves (a security rebuild of the base), the archive restored for this very hash no
// longer matches, every step runs again, and CircleCI never overwrites a key: without healing,
// every pipeline would rebuild in full until the key expired. Here the first pipeline after the
// move rebuilds and saves a fresh archive under a new generation of the key; the second is warm.
const INSTALL = /(^|\s)demo: installing dependencies$/m;
const p = new Project({ name: "heal" });
const base = p.image.replace(/\/app$/, "/base:latest");
const out = join(p.state, "run-output");
const gcRun = () => cli(["run", "--branch", "feature/heal", "--cache-dir", join(out, "cache"), "--output", join(out, "run")], p.dir, { PATH: ENGINE_PATH });
const git = (...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd: p.dir });

/** The base image's tag, moved to an image with other content (the registry holds it; no engine does). */
function pushBase(version: string): void {
  const built = run(DOCKER, ["build", "-q", "-t", base, "-"], { input: `FROM gen-circle-test/busybox:latest\nRUN echo ${version} > /base-version\n` });
  expect(built.status, built.stderr).toBe(0);
  expect(docker("push", "-q", base).status).toBe(0);
  fresh();
}
/** A new CI machine: no image of the project, not the base either, and no build cache. */
function fresh(): void {
  removeImages(p.image);
  removeImages(base);
}

beforeAll(() => {
  p.write("Dockerfile", readFileSync(join(p.dir, "Dockerfile"), "utf8").replace(/^FROM .*$/m, `FROM ${base}`));
  pushBase("v1");
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "an image on a base by tag");
});
afterAll(() => {
  fresh();
  p.cleanup();
});

describe("a base image's tag moves", () => {
  it("the first pipeline after rebuilds and saves a new generation of the key; the second is warm again", () => {
    const cold = gcRun();
    expect(cold.status, cold.stdout + cold.stderr).toBe(0);
    expect(cold.stdout).toMatch(INSTALL);
    fresh();
    const warm = gcRun();
    expect(warm.status, warm.stdout + warm.stderr).toBe(0);
    expect(warm.stdout).not.toMatch(INSTALL);
    expect(warm.stdout).toMatch(/Save app image archive .*: skipped: .* exists/);

    pushBase("v2"); // the tag moves; the hash of the declared inputs does not
    const moved = gcRun();
    expect(moved.status, moved.stdout + moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(INSTALL);
    expect(moved.stdout).toMatch(/the build used none of it/);
    expect(moved.stdout).toMatch(/the cache for hash \w+ was stale: saved a fresh archive/);
    expect(moved.stdout).toMatch(/✓ Save app image archive .*: saved gen-circle-v1-app-/);

    fresh();
    const healed = gcRun();
    expect(healed.status, healed.stdout + healed.stderr).toBe(0);
    expect(healed.stdout).not.toMatch(INSTALL);
    expect(healed.stdout).not.toMatch(/the build used none of it/);
    expect(healed.stdout).toMatch(/Save app image archive .*: skipped: .* exists/);
    // The image holds the moved base.
    expect(docker("run", "--rm", `${p.image}:ci-${git("rev-parse", "HEAD").stdout.trim()}`, "cat", "/base-version").stdout.trim()).toBe("v2");
  });
});
