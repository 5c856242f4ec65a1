import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { job } from "../../src/migrate/to-config/context.js";
import { readCtx } from "../../src/migrate/v1/context.js";
import { readDependencies } from "../../src/migrate/v1/dependencies.js";
import { readTest } from "../../src/migrate/v1/test.js";
import type { Note, V1Config } from "../../src/migrate/v1.js";
import { load } from "../../src/spec/load.js";

// The 1.0 reader's dependencies and test sections, and the step list of the 2.1 writer, on their own.
const part = (yaml: string) => {
  const { source } = load(yaml, "circle.yml");
  const diagnostics: Diagnostic[] = [];
  const notes: Note[] = [];
  const ctx = readCtx(source!, source!.value as Record<string, unknown>, diagnostics, notes, new Set());
  return { ctx, diagnostics, notes };
};

describe("migrate, part by part", () => {
  it("dependencies: one cache directory or a list, bundler.without, the phases without the extra keys", () => {
    const p = part("dependencies:\n  override: [bundle install]\n  cache_directories: vendor/bundle\n  bundler: { without: [development, test] }\n");
    const d = readDependencies(p.ctx);
    expect(Object.keys(d)).toEqual(["pre", "override", "post", "present", "cacheDirectories", "bundlerWithout"]);
    expect([d.override.map((c) => c.command), d.cacheDirectories.map((c) => [c.path, c.at.line]), d.bundlerWithout]).toEqual([
      ["bundle install"],
      [["vendor/bundle", 3]],
      ["development", "test"],
    ]);
    expect(p.diagnostics).toEqual([]);
  });

  it("test: minitest_globs is a note", () => {
    const p = part("test:\n  override: [rake test]\n  minitest_globs: test/**/*_test.rb\n");
    const t = readTest(p.ctx);
    expect([t.override.map((c) => c.command), t.minitestGlobs, p.notes.map((n) => `${n.at.line} ${n.what}`)]).toEqual([
      ["rake test"],
      ["test/**/*_test.rb"],
      ["3 test.minitest_globs"],
    ]);
  });

  it("a job's steps: a step from a line of circle.yml is mapped to its index", () => {
    const ctx = { c: {} as V1Config, text: "", mapped: [], notes: [] };
    const build = job(ctx, "build");
    build.add("checkout");
    build.add({ run: { command: "make" } }, { line: 4, column: 7 }, "test.override: make");
    expect(ctx.mapped).toEqual([{ at: { line: 4, column: 7 }, what: "test.override: make", to: "jobs.build.steps[1]" }]);
  });
});
