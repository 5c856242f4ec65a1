import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { load } from "../../src/spec/load.js";
import { reporter } from "../../src/spec/normalize/context.js";
import { normalizeServices } from "../../src/spec/normalize/services.js";
import { junitFolder, normalizeTest } from "../../src/spec/normalize/test.js";
import type { ProjectSpec } from "../../src/spec/types.js";

// The test and services parts of normalize (src/spec/normalize/test.ts, services.ts), on their own.
const part = (yaml: string) => {
  const { source } = load(yaml, "gen-circle.yml");
  const diagnostics: Diagnostic[] = [];
  return { raw: source!.value as ProjectSpec, r: reporter(source!, diagnostics), at: () => diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`) };
};

describe("normalize: test and services", () => {
  it("test: the short form, results from a JUnit flag, folders inside the container, split globs cleaned", () => {
    const p = part("test:\n  command: [pytest, --junitxml=/out/j.xml]\n  workdir: app\n  split: { glob: [./t//a.py, b/*.py] }\n");
    const t = normalizeTest(p.raw.test!, ["test"], p.r);
    expect([t.command, t.results, t.parallelism, t.split]).toEqual([
      { exec: ["pytest", "--junitxml=/out/j.xml"] },
      "/out",
      1,
      { globs: ["t/a.py", "b/*.py"], by: "timings" },
    ]);
    expect(p.at()).toEqual(["3:12 GC1026"]); // workdir must be absolute
    expect(normalizeTest("npm test", ["test"], p.r)).toEqual({
      command: { shell: "npm test" },
      environment: [],
      passEnv: [],
      parallelism: 1,
      results: undefined,
    });
  });

  it("junitFolder: the folder of the file a runner is told to write, or the folder itself", () => {
    expect(junitFolder("go test ./... | go-junit-report > /reports/go.xml")).toBe("/reports");
    expect(junitFolder("JEST_JUNIT_OUTPUT_DIR=/jr/ jest")).toBe("/jr");
    expect(junitFolder("npm test")).toBeUndefined();
  });

  it("services: sorted by name, the short form, defaults of the ready probe; a bad image at its line", () => {
    const p = part("services:\n  redis: redis:7\n  db: { image: 'Bad Image', ready: pg_isready, setup: psql -c 1 }\n");
    const s = normalizeServices(p.raw.services!, ["services"], p.r);
    expect(s.map((x) => [x.name, x.image, x.ready, x.setup])).toEqual([
      ["db", "Bad Image", { command: "pg_isready", timeout: 60, interval: 1 }, ["psql -c 1"]],
      // A well-known image without ready: gets its own probe.
      ["redis", "redis:7", { command: expect.stringContaining("redis-cli"), timeout: 60, interval: 1 }, []],
    ]);
    expect(p.at()).toEqual(["3:16 GC1010"]);
  });
});
