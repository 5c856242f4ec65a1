import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, FIXTURES, tmpTree } from "../helpers.js";

// gen-circle migrate from the command line: what it writes, and what it refuses to overwrite.
const base = join(FIXTURES, "migrate");

describe("gen-circle migrate (CLI)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const repo = (files: Record<string, string>) => {
    const d = tmpTree(files);
    dirs.push(d);
    return d;
  };
  const seed002 = readFileSync(join(base, "seed-002/circle.yml"), "utf8");

  it("writes the config and the report; never overwrites without --force", () => {
    const d = repo({ "circle.yml": seed002 });
    const r = cli(["migrate", "--report", "MIGRATION.md"], d);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(d, ".circleci/config.yml"), "utf8")).toContain("version: 2.1");
    expect(readFileSync(join(d, "MIGRATION.md"), "utf8")).toContain("## Every line");
    expect(r.stderr).toMatch(/circle.yml:\d+:\d+ docker login -p/);
    writeFileSync(join(d, ".circleci/config.yml"), "# mine\n");
    const again = cli(["migrate"], d);
    expect(again.status).toBe(1);
    expect(readFileSync(join(d, ".circleci/config.yml"), "utf8")).toBe("# mine\n");
    expect(cli(["migrate", "--force"], d).status).toBe(0);
  });

  it("--spec says the next step, and that step works: generate --force takes over the migrated config", () => {
    const d = repo({ "circle.yml": readFileSync(join(base, "seed-000-inline-docker/circle.yml"), "utf8"), Dockerfile: "FROM python:3.12\n" });
    const r = cli(["migrate", "--spec"], d);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("next: review gen-circle.yml, then 'gen-circle generate --force' replaces the migrated .circleci/config.yml");
    const refused = cli(["generate"], d);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("not written by gen-circle");
    expect(cli(["generate", "--force"], d).status).toBe(0);
    expect(readFileSync(join(d, ".circleci/config.yml"), "utf8")).toMatch(/^# gen-circle: generated from gen-circle.yml/);
    expect(cli(["check"], d).status).toBe(0);
  });

  it("--dry-run prints and writes nothing; bad input exits 2 with file:line:col", () => {
    const d = repo({ "circle.yml": seed002, "v2.yml": "version: 2\njobs: {}\n" });
    const r = cli(["migrate", "--dry-run"], d);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--- .circleci/config.yml");
    expect(existsSync(join(d, ".circleci"))).toBe(false);
    const bad = cli(["migrate", "v2.yml"], d);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^v2.yml:1:1 error GC2001: /m);
    expect(existsSync(join(d, ".circleci"))).toBe(false);
  });
});
