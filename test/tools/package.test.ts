import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run, writeTree } from "../helpers.js";

// The package as users get it: packed, installed into an empty folder, run through npx.
const work = mkdtempSync(join(tmpdir(), "gc-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const npm = (args: string[], cwd: string) =>
  run("npm", args, { cwd, env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" } });

describe("npm package", () => {
  it("packs, installs from the tarball and runs init + generate", () => {
    const packed = npm(["pack", "--pack-destination", work, "--ignore-scripts"], ROOT);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toMatch(/^gen-circle-.*\.tgz$/);

    const project = join(work, "project");
    writeTree(project, {
      "package.json": JSON.stringify({ name: "shop", private: true, scripts: { test: "node test.js" } }),
      Dockerfile: "FROM node:20\nCOPY package.json ./\nRUN npm install\nCOPY . .\n",
    });
    const installed = npm(["install", "--no-save", "--offline", join(work, tarball)], project);
    expect(installed.status, installed.stderr).toBe(0);

    const help = run("npx", ["--no-install", "gen-circle", "--help"], { cwd: project });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("gen-circle <command>");
    const version = run("npx", ["--no-install", "gen-circle", "--version"], { cwd: project });
    expect(version.stdout).toBe(`gen-circle ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
    // Only the runtime dependencies came with the tarball: no dev dependency is installed.
    expect(readdirSync(join(project, "node_modules"))).not.toContain("vitest");
    const init = run("npx", ["--no-install", "gen-circle", "init"], { cwd: project });
    expect(init.status, init.stderr).toBe(0);
    const gen = run("npx", ["--no-install", "gen-circle", "generate"], { cwd: project });
    expect(gen.status, gen.stderr).toBe(0);
    expect(readdirSync(join(project, ".circleci/gen-circle")).sort()).toEqual(["hash.sh", "image.sh", "lib.sh", "test.sh"]);
    expect(run("npx", ["--no-install", "gen-circle", "check"], { cwd: project }).status).toBe(0);
  });
});
