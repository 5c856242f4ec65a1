import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, run, tmpTree } from "../helpers.js";

// One table of diagnostics (src/diagnostics.ts): the README lists it, and each code of the
// migrate, run and command-line groups is produced here by the mistake it names. (The spec's
// codes, GC10xx, have their cases in validation.test.ts.)
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the command line: one code per kind of mistake", () => {
  const repo = () => {
    const d = tmpTree({ "gen-circle.yml": "version: 1\nimage: acme/app\ntest: make test\n", Dockerfile: "FROM scratch\n" });
    dirs.push(d);
    return d;
  };
  const git = (d: string, ...a: string[]) => run("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...a], { cwd: d });

  it("GC4001 a flag without its value, GC4002 no git repository, GC4003 an unknown name, GC4004 --dir not a folder, GC4005 a refused overwrite, GC4006 uncommitted generated files", () => {
    const d = repo();
    const outside = cli(["run", "--cache-dir", join(d, ".c"), "--output", join(d, ".o")], d);
    expect([outside.status, outside.stderr]).toEqual([2, expect.stringMatching(/^error GC4002: .* is not in a git repository/)]);
    expect(cli(["run", "--branch", ""], d).stderr).toMatch(/^error GC4001: --branch needs a value/);
    expect(cli(["hash", "--image", "nope"], d).stderr).toMatch(/^error GC4003: No image 'nope'/);
    expect(cli(["init", "--dir", join(d, "missing")], d).stderr).toMatch(/^error GC4004: /);
    expect(cli(["init"], d).stderr).toMatch(/^error GC4005: .*gen-circle\.yml already exists/);
    expect(cli(["generate"], d).status).toBe(0);
    git(d, "init", "-q");
    git(d, "add", "gen-circle.yml", "Dockerfile");
    git(d, "commit", "-q", "-m", "spec only");
    const uncommitted = cli(["run", "--cache-dir", join(d, ".c"), "--output", join(d, ".o")], d);
    expect([uncommitted.status, uncommitted.stderr]).toEqual([2, expect.stringMatching(/^error GC4006: .*not committed/)]);
    mkdirSync(join(d, ".circleci"), { recursive: true });
    writeFileSync(join(d, ".circleci/config.yml"), "# hand-written\nversion: 2.1\n");
    const refused = cli(["generate"], d);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/^error GC4005: /)]);
  });
});
