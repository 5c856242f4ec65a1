import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, tmpTree } from "../helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("gen-circle init", () => {
  it("a folder that does not exist: exit 2, nothing created", () => {
    const parent = tmpTree();
    dirs.push(parent);
    const missing = join(parent, "no-such-folder");
    const r = cli(["init", "--dir", missing], ".");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is not a folder");
    expect(existsSync(missing)).toBe(false);
  });

  it("no Dockerfile yet: init writes the spec; validate then says to add the Dockerfile", () => {
    const d = tmpTree({ "package.json": '{"scripts": {"test": "jest"}}' });
    dirs.push(d);
    expect(cli(["init"], d).status).toBe(0);
    const v = cli(["validate"], d);
    expect(v.status).toBe(2);
    expect(v.stderr).toMatch(/gen-circle\.yml:\d+:\d+ error GC1029: No Dockerfile at "Dockerfile"\. .*or add the file/);
    writeFileSync(join(d, "Dockerfile"), "FROM node:20\n");
    expect(cli(["validate"], d).status).toBe(0);
  });

  it("writes a spec that generates a working pipeline, and refuses to overwrite it", () => {
    const d = tmpTree(
      { Dockerfile: "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n", "requirements.txt": "", "tox.ini": "" },
      "My Repo-",
    );
    dirs.push(d);
    const r = cli(["init"], d);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("found:");
    expect(r.stderr).toContain("hash inputs: Dockerfile, requirements.txt");
    const spec = readFileSync(join(d, "gen-circle.yml"), "utf8");
    expect(spec).toMatch(/name: myorg\/my-repo-/);
    expect(cli(["generate"], d).status).toBe(0);
    expect(cli(["check"], d).status).toBe(0);
    const again = cli(["init"], d);
    expect(again.status).toBe(1); // GC4005, a refused write: 1, as from generate and migrate
    expect(again.stderr).toContain("already exists");
    expect(readFileSync(join(d, "gen-circle.yml"), "utf8")).toBe(spec);
  });
});
