import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/index.js";
import { STRATEGIES } from "../../src/model/strategies.js";
import { FIXTURES, ROOT } from "../helpers.js";

// The script templates are split by concern into partials (templates/scripts/partials/: one per
// cache strategy in image.sh, included by the strategy's entry in STRATEGIES; the engine probe and
// the build-log reader; the services, the split and the self-tests of test.sh). Every other
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

  it("each partial is included once (a strategy's by its entry), and each inclusion exists", () => {
    expect(partials.length).toBeGreaterThan(0);
    const byStrategy = Object.values(STRATEGIES).map((s) => s.partial);
    expect([...included, ...new Set(byStrategy)].sort()).toEqual(partials);
  });
});

describe("per-image tables", () => {
  it("every per-image case table of the scripts lists the spec's images, in its order (one view renders them all)", async () => {
    const { files } = await generate(readFileSync(join(FIXTURES, "monorepo/gen-circle.yml"), "utf8"));
    const tables = files
      .filter((f) => f.path.endsWith(".sh"))
      .flatMap((f) =>
        [...f.content.matchAll(/^\s*case "\$(?:GC_ID|image)" in\n([\s\S]*?)^\s*esac$/gm)].map((m) => ({
          file: f.path,
          ids: [...m[1]!.matchAll(/^\s*'([a-z][\w-]*)'\)$/gm)].map((x) => x[1]),
        })),
      );
    expect(tables.length).toBeGreaterThanOrEqual(5);
    const ids = tables[0]!.ids;
    expect(ids.length).toBeGreaterThan(1);
    for (const t of tables) expect(t.ids, t.file).toEqual(ids);
  });
});

describe("image.provenance", () => {
  // The build sets BUILDX_NO_DEFAULT_ATTESTATIONS=1 unless GC_PROVENANCE=true (the Docker tests
  // show the attestation there or not on the containerd store, for save-load and registry).
  const script = async (extra: string, name = "lib.sh") => {
    const { files, diagnostics } = await generate(`version: 1\nimage:\n  name: a/b\n${extra}test: make test\n`);
    expect(diagnostics).toEqual([]);
    return files.find((f) => f.path.endsWith(`/${name}`))!.content;
  };
  const lib = (extra: string) => script(extra);
  // (What the variable does, set and unset, the containerd lane shows on the real engine.)
  it("is never said with --provenance, which buildx before 0.10 rejects", async () => {
    for (const cache of ["", "cache: { strategy: registry, registry: localhost:5000 }\n", "cache: none\n"]) {
      const image = await script(cache, "image.sh");
      const code = image.split("\n").filter((l) => !l.trim().startsWith("#"));
      expect(code.join("\n")).not.toContain("--provenance");
    }
  });
  it("is false by default, and true when the spec says so", async () => {
    expect(await lib("")).not.toContain("GC_PROVENANCE=true");
    expect(await lib("")).toContain("GC_PROVENANCE=false");
    expect(await lib("  provenance: true\n")).toMatch(/^ {6}GC_PROVENANCE=true$/m);
  });
});
