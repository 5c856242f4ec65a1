import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT, run } from "../helpers.js";

// The real pre-commit framework (Debian's, installed by the test setup) installs our hooks from a
// clone of this repository, as the README's hook instructions say, and runs them: generate, then
// check in sync, after a hand edit and after a spec change. The hook's install runs
// `npm install` and `npm pack` in that clone: it needs the npm registry, as `npm ci` does.
const work = mkdtempSync(join(tmpdir(), "gc-precommit-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const git = (cwd: string, ...a: string[]) => run("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...a], { cwd });
const env = { ...process.env, PRE_COMMIT_HOME: join(work, "pre-commit-home") };
const preCommit = (cwd: string, hook: string, ...more: string[]) => run("pre-commit", ["run", hook, "--all-files", ...more], { cwd, env });

it("the pre-commit framework installs and runs both hooks: generate, then check in sync and drifted", () => {
  // The hooks' repository: this one as committed (what a rev names).
  const hooks = join(work, "gen-circle");
  expect(run("git", ["clone", "-q", ROOT, hooks]).status).toBe(0);
  const rev = git(hooks, "rev-parse", "HEAD").stdout.trim();

  const repo = join(work, "app");
  expect(run("git", ["init", "-q", repo]).status).toBe(0);
  writeFileSync(join(repo, "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(repo, "gen-circle.yml"), "image: myorg/app\ntest: npm test\n");
  // The README's configuration, with this clone for the repository and its commit for rev.
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```yaml\n(repos:\n  - repo: https:\/\/github\.com\/OWNER\/gen-circle\n[\s\S]*?)```/.exec(readme)?.[1];
  expect(block, "the README's pre-commit configuration").toBeDefined();
  writeFileSync(join(repo, ".pre-commit-config.yaml"), block!.replace("https://github.com/OWNER/gen-circle", hooks).replace(/rev: .*/, `rev: ${rev}`));
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "spec");

  // generate writes .circleci/ (new files: pre-commit reports only changes to tracked ones).
  const gen = preCommit(repo, "gen-circle-generate", "--hook-stage", "manual");
  expect(gen.status, gen.stdout + gen.stderr).toBe(0);
  expect(readFileSync(join(repo, ".circleci/config.yml"), "utf8")).toMatch(/^# gen-circle: generated from gen-circle.yml/);
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "pipeline");

  const inSync = preCommit(repo, "gen-circle-check");
  expect(inSync.status, inSync.stdout + inSync.stderr).toBe(0);

  writeFileSync(join(repo, ".circleci/config.yml"), readFileSync(join(repo, ".circleci/config.yml"), "utf8") + "# a hand edit\n");
  const edited = preCommit(repo, "gen-circle-check");
  expect(edited.status).toBe(1);
  expect(edited.stdout).toMatch(/config\.yml/);
  git(repo, "checkout", "--", ".circleci");

  writeFileSync(join(repo, "gen-circle.yml"), "image: myorg/app\ntest: make test\n");
  const drifted = preCommit(repo, "gen-circle-check");
  expect(drifted.status).toBe(1);
  expect(drifted.stdout).toContain("make test");
  // generate brings it back in sync and stops the commit, as pre-commit does when a hook changes files.
  const regen = preCommit(repo, "gen-circle-generate", "--hook-stage", "manual");
  expect(regen.status, regen.stdout + regen.stderr).toBe(1);
  expect(regen.stdout).toContain("files were modified by this hook");
  expect(preCommit(repo, "gen-circle-check").status).toBe(0);
}, 600_000);
