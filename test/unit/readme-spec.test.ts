import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSpec } from "../../src/index.js";
import { ROOT } from "../helpers.js";

// The README's complete spec is one a user copies: it must be valid, every key of it.
describe("the README's spec", () => {
  it("is a valid spec, with no warning", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## The spec")))![1]!;
    expect(example).toContain("changes:");
    const { spec, diagnostics } = compileSpec(example);
    expect(diagnostics).toEqual([]);
    expect(spec?.changes).toEqual({ base: "main" });
  });
});
