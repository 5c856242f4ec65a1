import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

// The script templates are split by concern into partials (templates/scripts/partials/: one per
// cache strategy in image.sh, the services, the split and the self-tests of test.sh). Every
// partial is included exactly once, and every inclusion names a partial that exists; what the
// parts render is held by the snapshots (byte for byte) and shellcheck.
describe("script template partials", () => {
  const dir = join(ROOT, "templates/scripts");
  const partials = readdirSync(join(dir, "partials"))
    .filter((f) => f.endsWith(".hbs"))
    .map((f) => f.slice(0, -".hbs".length))
    .sort();
  const texts = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".hbs"))
      .map((f) => readFileSync(join(dir, f), "utf8")),
    ...partials.map((p) => readFileSync(join(dir, "partials", `${p}.hbs`), "utf8")),
  ];
  const included = texts.flatMap((t) => [...t.matchAll(/\{\{>\s*([\w-]+)\s*\}\}/g)].map((m) => m[1]!)).sort();

  it("each partial is included once, and each inclusion exists", () => {
    expect(partials.length).toBeGreaterThan(0);
    expect(included).toEqual(partials);
  });
});
