import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics.js";
import { load } from "../../src/spec/load.js";
import { normalizeCache } from "../../src/spec/normalize/cache.js";
import { cleanPath, reporter } from "../../src/spec/normalize/context.js";
import { normalizeDeploy } from "../../src/spec/normalize/deploy.js";
import { normalizeImages } from "../../src/spec/normalize/images.js";
import { normalizeRegistries } from "../../src/spec/normalize/registries.js";
import type { ProjectSpec } from "../../src/spec/types.js";

// The parts of normalize (src/spec/normalize/), each on its own: what it fills in and what it
// reports, at which line.
const part = (yaml: string) => {
  const { source } = load(yaml, "gen-circle.yml");
  const diagnostics: Diagnostic[] = [];
  return {
    raw: source!.value as ProjectSpec,
    r: reporter(source!, diagnostics),
    diagnostics,
    at: () => diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`),
  };
};

describe("normalize, part by part", () => {
  it("registries: a name from registries:, a host, or an error with the nearest name", () => {
    const p = part("registries:\n  internal: { url: registry.example.com }\n");
    const resolve = normalizeRegistries(p.raw, p.r).resolveRegistry;
    expect(resolve("internal", [])?.host).toBe("registry.example.com");
    expect(resolve("ghcr.io", [])?.host).toBe("ghcr.io");
    expect(resolve("intenral", ["deploy", "registry"])).toBeUndefined();
    expect(p.diagnostics[0]!.message).toContain("Did you mean 'internal'?");
  });

  it("images: ids from names, default paths and hash, the top-level test for a single image", () => {
    const p = part("image: registry.example.com/team/Web-App\ntest: pytest --junitxml=/out/junit.xml\n");
    const [img] = normalizeImages(p.raw, p.r, {});
    expect(p.diagnostics.map((d) => d.code)).toEqual(["GC1010"]); // uppercase in a repository name
    expect([img!.id, img!.dockerfile, img!.hash, img!.test?.results]).toEqual(["web-app", "Dockerfile", ["Dockerfile", ".dockerignore"], "/out"]);
  });

  it("deploy: one of branch or tag, portable regexes, placeholders that mean something for the rule", () => {
    const p = part(
      [
        "deploy:",
        "  registry: docker.io",
        "  rules:",
        "    - { branch: main, tag: v1, tags: [x] }",
        '    - { tag: "/v(?=1)/", tags: ["{branch}"] }',
        '    - { branch: "/rel-.*/", tags: ["{sha}"] }',
        "",
      ].join("\n"),
    );
    const rules = normalizeDeploy(p.raw, p.r, normalizeRegistries(p.raw, p.r).resolveRegistry);
    expect(p.at()).toEqual(["4:7 GC1024", "5:17 GC1019", "5:33 GC1018"]);
    expect(rules.map((r) => [r.index, r.branches, r.tags])).toEqual([
      [1, [{ exact: "main" }], [{ exact: "v1" }]],
      [2, [], [{ regex: "v(?=1)" }]],
      [3, [{ regex: "rel-.*" }], []],
    ]);
  });

  it("cache: the registry cache's repository per image of a monorepo, from the deploy registry", () => {
    const p = part(
      "images:\n  - name: acme/api\n  - name: acme/web\ncache: registry\ndeploy:\n  registry: localhost:5000\n  rules: [{ branch: main, tags: [latest] }]\n",
    );
    const images = normalizeImages(p.raw, p.r, {});
    const cache = normalizeCache(p.raw, p.r, normalizeRegistries(p.raw, p.r).resolveRegistry, images);
    expect([cache.strategy, cache.registry?.host, images.map((i) => i.cacheRepository)]).toEqual([
      "registry",
      "localhost:5000",
      ["localhost:5000/acme/api", "localhost:5000/acme/web"],
    ]);
    expect(p.diagnostics).toEqual([]);
  });

  it("paths: relative, without ./ or empty parts; one that leaves the repository is an error", () => {
    const p = part("x: 1\n");
    expect(cleanPath(p.r, "./src//app/", ["x"])).toBe("src/app");
    cleanPath(p.r, "../secrets", ["x"]);
    expect(p.at()).toEqual(["1:4 GC1025"]);
  });
});
