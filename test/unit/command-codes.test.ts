import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCheck, runGenerate } from "../../src/cli/commands/generate.js";
import { runInit } from "../../src/cli/commands/init.js";
import { runMigrate } from "../../src/cli/commands/migrate.js";
import { ExitError, ExitStatus, exitStatusOf } from "../../src/cli/exit.js";
import { Codes, formatDiagnostic, type Diagnostic } from "../../src/diagnostics.js";
import { tmpTree } from "../helpers.js";

// The codes and exit statuses of the commands' own findings, run in this process as main.ts runs
// them (an ExitError's message on stderr, its status the exit status): check's findings (GC50xx),
// a refused write (GC4005), migrate --spec writing no gen-circle.yml (GC2009).
interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

async function inProcess(cwd: string, command: () => ExitStatus | Promise<ExitStatus>): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process, "cwd").mockReturnValue(cwd);
  vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
  let status: number;
  try {
    status = await command();
  } catch (e) {
    if (!(e instanceof ExitError)) throw e;
    if (e.message) err.push(e.message + "\n");
    status = e.status;
  } finally {
    vi.restoreAllMocks();
  }
  return { status, stdout: out.join(""), stderr: err.join("") };
}

afterEach(() => vi.restoreAllMocks());

describe("gen-circle check: one code per kind of finding, printed as file:line:col", () => {
  it("GC5001 missing, GC5002 orphan, GC5003 edited by hand, GC5004 out of date, GC5005 not written by gen-circle, GC5006 not executable", async () => {
    const d = tmpTree({ "gen-circle.yml": "image: acme/app\ntest: make test\n", Dockerfile: "FROM scratch\n" });
    expect((await inProcess(d, () => runGenerate({ dir: d }))).status).toBe(ExitStatus.Ok);
    const file = (p: string) => join(d, ".circleci", p);
    const lines = (p: string) => readFileSync(file(p), "utf8").split("\n");
    writeFileSync(join(d, "gen-circle.yml"), "image: acme/app\ntest: make check\n"); // test.sh drifts
    const drift = lines("gen-circle/test.sh").findIndex((l) => l.includes("make test")) + 1;
    const lib = lines("gen-circle/lib.sh");
    const edited = lib.findIndex((l) => l.includes("gc_log()"));
    writeFileSync(file("gen-circle/lib.sh"), lib.map((l, i) => (i === edited ? l.replace("gc_log()", "gc_log2()") : l)).join("\n"));
    rmSync(file("config.yml"));
    writeFileSync(file("gen-circle/old.sh"), readFileSync(file("gen-circle/hash.sh"))); // generated, intact, no longer generated
    writeFileSync(file("gen-circle/hash.sh"), "echo mine\n");
    chmodSync(file("gen-circle/image.sh"), 0o644);

    const check = await inProcess(d, () => runCheck({ dir: d }));
    expect(check.status).toBe(ExitStatus.Failed);
    const found = check.stderr.split("\n").filter((l) => / error GC5/.test(l));
    expect(found.sort()).toEqual([
      ".circleci/config.yml:1:1 error GC5001: missing",
      ".circleci/gen-circle/hash.sh:1:1 error GC5005: not written by gen-circle",
      ".circleci/gen-circle/image.sh:1:1 error GC5006: not executable",
      `.circleci/gen-circle/lib.sh:${edited + 1}:1 error GC5003: edited by hand`,
      ".circleci/gen-circle/old.sh:1:1 error GC5002: orphan: the spec no longer generates it",
      // at the first line that differs (the test command), not at the header's checksum
      `.circleci/gen-circle/test.sh:${drift}:1 error GC5004: out of date with the spec`,
    ]);
    expect(drift).toBeGreaterThan(4);
    expect(new Set(found.map((l) => / (GC5\d{3}):/.exec(l)![1]))).toEqual(new Set(Object.values(Codes).filter((c) => c.startsWith("GC50"))));
    expect(check.stdout).toContain("+++ b/.circleci/gen-circle/test.sh"); // the diffs, as before
    expect(check.stderr).toContain("6 generated file(s) differ: run 'gen-circle generate' and commit the result");

    // --json: the same findings, as one document on stdout without the diffs; the same exit status.
    const json = await inProcess(d, () => runCheck({ dir: d, json: true }));
    expect(json.status).toBe(ExitStatus.Failed);
    const doc = JSON.parse(json.stdout) as { diagnostics: Diagnostic[] };
    expect(doc.diagnostics.map(formatDiagnostic).sort()).toEqual(found);

    // From the folder above (--dir): each file named as seen from there.
    const above = await inProcess(dirname(d), () => runCheck({ dir: d }));
    expect(above.stderr).toContain(`${basename(d)}/.circleci/config.yml:1:1 error GC5001: missing`);
  });

  it("--json with a warning of the spec: the warning and the findings in one document", async () => {
    const d = tmpTree({
      "gen-circle.yml": "image:\n  name: acme/app\n  hash: [Dockerfile, requirements/base.txt]\n",
      Dockerfile: "FROM python:3.12\nCOPY requirements/ /r/\nRUN pip install -r /r/test.txt\nCOPY . /app\n",
      "requirements/base.txt": "",
      "requirements/test.txt": "",
    });
    const r = await inProcess(d, () => runCheck({ dir: d, json: true }));
    expect(r.status).toBe(ExitStatus.Failed);
    const doc = JSON.parse(r.stdout) as { diagnostics: Diagnostic[] };
    expect(doc.diagnostics.map((x) => x.code)).toEqual([Codes.hashMissesDockerInput, ...Array(5).fill(Codes.fileMissing)]);
  });

  it("in sync: exit 0 and no finding", async () => {
    const d = tmpTree({ "gen-circle.yml": "image: acme/app\ntest: make test\n", Dockerfile: "FROM scratch\n" });
    await inProcess(d, () => runGenerate({ dir: d }));
    const r = await inProcess(d, () => runCheck({ dir: d }));
    expect([r.status, r.stderr]).toEqual([ExitStatus.Ok, "generated files are up to date\n"]);
  });
});

describe("GC4005, a refused write: exit 1 whichever command refuses it", () => {
  it("init, generate and migrate", async () => {
    const d = tmpTree({ "gen-circle.yml": "image: acme/app\ntest: make test\n", Dockerfile: "FROM scratch\n", "circle.yml": "test:\n  override: [make]\n" });
    const init = await inProcess(d, () => runInit({ dir: d }));
    expect([init.status, init.stderr]).toEqual([ExitStatus.Failed, expect.stringMatching(/^error GC4005: .*gen-circle\.yml already exists; not overwritten/)]);
    await inProcess(d, () => runGenerate({ dir: d }));
    writeFileSync(join(d, ".circleci/config.yml"), "# hand-written\nversion: 2.1\n");
    const generate = await inProcess(d, () => runGenerate({ dir: d }));
    expect([generate.status, generate.stderr]).toEqual([ExitStatus.Failed, expect.stringMatching(/^error GC4005: .*not written by gen-circle/)]);
    const migrate = await inProcess(d, () => runMigrate({ file: join(d, "circle.yml") }));
    expect([migrate.status, migrate.stderr]).toEqual([ExitStatus.Failed, expect.stringMatching(/^error GC4005: .*already exists; not overwritten/)]);
  });

  it("one exit status per command-line code: 1 for a refused write, 2 for every other", () => {
    const commandLine = Object.values(Codes).filter((c) => c.startsWith("GC40"));
    expect(commandLine.filter((c) => exitStatusOf(c) === ExitStatus.Failed)).toEqual([Codes.wouldOverwrite]);
    expect(commandLine.filter((c) => exitStatusOf(c) === ExitStatus.InvalidInput)).toHaveLength(commandLine.length - 1);
  });
});

describe("GC2009: migrate --spec that writes no gen-circle.yml", () => {
  it("a warning of the file, after the notes it refers to; the config written, exit 0", async () => {
    const d = tmpTree({ "circle.yml": "test:\n  override:\n    - make test\n" });
    const r = await inProcess(d, () => runMigrate({ file: join(d, "circle.yml"), spec: true }));
    expect(r.status).toBe(ExitStatus.Ok);
    expect(r.stderr).toMatch(
      /need a person:\n(?:.*\n)*circle\.yml:1:1 warning GC2009: no gen-circle\.yml written: the file does not build a docker image gen-circle could take over \(see above\)\n$/,
    );
    expect(existsSync(join(d, ".circleci/config.yml"))).toBe(true);
    expect(existsSync(join(d, "gen-circle.yml"))).toBe(false);
  });

  it("not without --spec, nor when the spec is written", async () => {
    const plain = tmpTree({ "circle.yml": "test:\n  override:\n    - make test\n" });
    expect((await inProcess(plain, () => runMigrate({ file: join(plain, "circle.yml") }))).stderr).not.toContain("GC2009");
    const docker = tmpTree({ "circle.yml": "test:\n  override:\n    - docker build -t acme/app .\n    - docker run acme/app make test\n" });
    const r = await inProcess(docker, () => runMigrate({ file: join(docker, "circle.yml"), spec: true }));
    expect(existsSync(join(docker, "gen-circle.yml"))).toBe(true);
    expect(r.stderr).not.toContain("GC2009");
  });
});
