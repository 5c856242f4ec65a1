import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatDiagnostic, generate } from "../../src/index.js";
import { fixtureCases, ROOT, run, writeTree } from "../helpers.js";
import { configSchemaErrors } from "../schema.js";

// Each folder of test/fixtures is a case: gen-circle.yml in, the generated files (or the rendered
// diagnostics, for invalid-* cases) out, compared with snapshots/<case>/. Review snapshot diffs
// like code: a change there is a change in every user's pipeline.
for (const c of fixtureCases()) {
  describe(c.name, () => {
    if (c.name.startsWith("invalid-")) {
      it("reports every problem at once, with positions, and generates nothing", async () => {
        const result = await generate(c.spec, { fileName: "gen-circle.yml" });
        expect(result.files).toEqual([]);
        expect(result.diagnostics.length).toBeGreaterThan(0);
        const rendered = result.diagnostics.map(formatDiagnostic).join("\n") + "\n";
        await expect(rendered).toMatchFileSnapshot(join(ROOT, "snapshots", c.name, "diagnostics.txt"));
      });
      return;
    }

    it("generates the expected files", async () => {
      const result = await generate(c.spec, { fileName: "gen-circle.yml" });
      expect(result.diagnostics).toEqual([]);
      for (const f of result.files) {
        await expect(f.content).toMatchFileSnapshot(join(ROOT, "snapshots", c.name, f.path));
      }
    });

    it("emits a config that CircleCI's schema accepts", async () => {
      const result = await generate(c.spec);
      const config = parse(result.files.find((f) => f.path === ".circleci/config.yml")!.content);
      expect(configSchemaErrors(config)).toEqual([]);
    });

    it("emits shellcheck-clean scripts", async () => {
      const result = await generate(c.spec);
      const dir = mkdtempSync(join(tmpdir(), "gc-shellcheck-"));
      try {
        const scripts = result.files.filter((f) => f.path.endsWith(".sh"));
        writeTree(dir, Object.fromEntries(scripts.map((f) => [f.path, f.content])));
        const r = run("shellcheck", ["--severity=style", ...scripts.map((f) => f.path)], { cwd: dir });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
