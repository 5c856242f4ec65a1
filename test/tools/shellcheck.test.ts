import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/index.js";
import { fixtureCases, run, writeTree } from "../helpers.js";

// Every generated script of every fixture (test/fixtures/<case>/) passes shellcheck at its
// strictest severity: the snapshots (test/unit/fixtures.test.ts) hold the text, this its hygiene.
describe.each(fixtureCases().filter((c) => !c.name.startsWith("invalid-")))("$name", (c) => {
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
