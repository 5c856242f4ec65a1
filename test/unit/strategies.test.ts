import { describe, expect, it } from "vitest";
import { partials } from "../../src/emit/generated/templates.js";
import { generate } from "../../src/index.js";
import { STRATEGIES } from "../../src/model/strategies.js";
import type { CacheStrategy } from "../../src/spec/types.js";

// A cache strategy is one entry of STRATEGIES and one partial defining image.sh's strategy
// functions: what the config and the scripts do for it is read from the entry, never its name.
const SPECS: Record<CacheStrategy, string> = {
  "save-load": "",
  registry: "cache: { strategy: registry, registry: localhost:5000 }\n",
  "layer-caching": "cache: layer-caching\n",
  none: "cache: none\n",
};
const generated = async (strategy: CacheStrategy, parallelism = 2) => {
  const { files, diagnostics } = await generate(
    `version: 1\nimage:\n  name: a/b\n${SPECS[strategy]}test:\n  command: make test\n  parallelism: ${parallelism}\n  split: { glob: "tests/*", by: name }\nservices:\n  db: { image: postgres:16, cache: true }\n`,
  );
  expect(diagnostics).toEqual([]);
  const text = (name: string) => files.find((f) => f.path.endsWith(name))!.content;
  return { config: text("config.yml"), image: text("/image.sh") };
};

describe("cache strategies: one table, one partial each", () => {
  it("the table names every strategy of the schema, each with a partial that exists", () => {
    expect(Object.keys(STRATEGIES).sort()).toEqual(Object.keys(SPECS).sort());
    for (const [name, s] of Object.entries(STRATEGIES)) {
      expect(s.name).toBe(name);
      expect(partials[s.partial], s.partial).toBeDefined();
    }
  });

  it.each(Object.values(STRATEGIES))("$name: the partial defines whole functions, and the ones the config calls", async (s) => {
    const { config, image } = await generated(s.name);
    const defined = [...image.matchAll(/^image_(\w+)\(\) \{$/gm)].map((m) => m[1]).sort();
    expect(defined).toEqual(s.archive ? ["built", "key", "ready", "save", "warm"] : ["ready", "save", "warm"]);
    // One dispatch, in image.sh itself: no partial opens a case on the command.
    expect(image.match(/case "\$cmd" in/g)).toHaveLength(1);
    for (const cmd of ["key", "built", "warm", "ready", "save"]) {
      if (config.includes(`image.sh ${cmd} `)) expect(defined, `the config calls image.sh ${cmd}`).toContain(cmd);
    }
  });

  it.each(Object.values(STRATEGIES))("$name: the config follows the entry", async (s) => {
    const { config } = await generated(s.name);
    expect(config.includes("restore_cache:") && config.includes("image archive"), "archive restored").toBe(s.archive);
    expect(config.includes("docker_layer_caching: true"), "layer caching").toBe(s.layerCaching);
    expect(/Restore postgres:16 image/.test(config), "service image cached").toBe(s.cachesServices);
    // Parallel nodes share one build only where a cache can carry it.
    expect(config.includes("gen-circle-warm-image:"), "build job").toBe(s.reusesCache);
    if (s.reusesCache) expect(config).toContain(s.warmDescription);
    // One node: the test job saves the cache itself.
    const single = (await generated(s.name, 1)).config;
    expect(single.includes(s.saveDescription), "save described").toBe(s.reusesCache);
    expect(single.includes("gen-circle-warm-image:")).toBe(false);
  });
});
