import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { commands, phases } from "../../src/migrate/v1/commands.js";
import { readCtx } from "../../src/migrate/v1/context.js";
import { readDeployments } from "../../src/migrate/v1/deployment.js";
import { readGeneral } from "../../src/migrate/v1/general.js";
import { readMachine } from "../../src/migrate/v1/machine.js";
import type { Note } from "../../src/migrate/v1.js";
import { load } from "../../src/spec/load.js";

// The parts of the 1.0 reader (src/migrate/v1/), each on its own.
const part = (yaml: string) => {
  const { source } = load(yaml, "circle.yml");
  const diagnostics: Diagnostic[] = [];
  const notes: Note[] = [];
  const ctx = readCtx(source!, source!.value as Record<string, unknown>, diagnostics, notes, new Set());
  return { ctx, diagnostics, notes, codes: () => diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`) };
};

describe("the 1.0 reader, part by part", () => {
  it("commands: strings, modifiers, a command holding ': ', one command where a list belongs", () => {
    const p = part('test:\n  override:\n    - make test\n    - ./slow.sh: { timeout: 900, pwd: app }\n    - echo "a: b"\n  post: make lint\n');
    const t = phases(p.ctx, "test");
    expect(t.override.map((c) => [c.command, c.timeout, c.pwd])).toEqual([
      ["make test", undefined, undefined],
      ["./slow.sh", 900, "app"],
      ['echo "a: b"', undefined, undefined],
    ]);
    expect(t.post.map((c) => c.command)).toEqual(["make lint"]);
    expect(p.codes()).toEqual(["6:9 warning GC2005"]);
    expect(commands(p.ctx, { not: "a list" }, ["x"])).toEqual([]);
    expect(p.codes()).toContain("1:1 error GC2005");
  });

  it("machine: environment as NAME=value lines is read as a mapping; languages and services", () => {
    const p = part("machine:\n  environment:\n    - A=1\n    - B=x=y\n  python: { version: 3.6.1 }\n  services: [postgresql]\n");
    const m = readMachine(p.ctx, phases(p.ctx, "machine", ["environment", "services", "python"]));
    expect(m.environment.map((e) => [e.key, e.value])).toEqual([
      ["A", "1"],
      ["B", "x=y"],
    ]);
    expect([m.languages.map((l) => `${l.name} ${l.version}`), m.services.map((s) => s.name)]).toEqual([["python 3.6.1"], ["postgresql"]]);
    expect(p.codes()).toEqual(["2:3 warning GC2007"]);
  });

  it("deployment and general: branches, tags, heroku noted, branches only/ignore", () => {
    const p = part(
      "deployment:\n  prod:\n    branch: main\n    heroku: { appname: shop }\n  loose:\n    commands: [./x.sh]\ngeneral:\n  branches: { ignore: [gh-pages] }\n  artifacts: [out]\n",
    );
    const d = readDeployments(p.ctx);
    expect(d.map((x) => [x.name, x.branches, x.heroku?.appname])).toEqual([
      ["prod", ["main"], "shop"],
      ["loose", [], undefined],
    ]);
    expect(p.codes()).toEqual(["5:3 warning GC2008"]);
    expect(p.notes.map((n) => n.what)).toEqual(["deployment prod: heroku shop"]);
    const g = readGeneral(p.ctx);
    expect([g.branchesIgnore, g.artifacts.map((a) => a.path)]).toEqual([["gh-pages"], ["out"]]);
  });
});
