import { describe, expect, it } from "vitest";
import { commandBook } from "../../src/model/plan/commands.js";
import { deployCondition } from "../../src/model/plan/deploy.js";
import { builtKey, imageKeyPrefix } from "../../src/model/plan/keys.js";
import type { DeployRule, Spec } from "../../src/spec/types.js";

// The parts of the plan (src/model/plan/), each on its own.
const spec = (strategy: Spec["cache"]["strategy"]) => ({ cache: { strategy, version: 3, defaultBranch: "main" } }) as unknown as Spec;
const rule = (over: Partial<DeployRule>): DeployRule =>
  ({ index: 1, branches: [], tags: [], imageTags: ["latest"], registry: { name: "docker.io", host: "docker.io" }, ...over }) as DeployRule;

describe("the plan, part by part", () => {
  it("commands: each written once, in the order the jobs first use them; the archive steps only for save-load", () => {
    const book = commandBook(spec("save-load"));
    for (const n of ["gen-circle-build-image", "gen-circle-test", "gen-circle-build-image", "gen-circle-save-image"] as const) book.use(n);
    expect(Object.keys(book.commands)).toEqual(["gen-circle-build-image", "gen-circle-test", "gen-circle-save-image"]);
    expect(JSON.stringify(book.commands["gen-circle-save-image"])).toContain("save_cache");
    const registry = commandBook(spec("registry"));
    registry.use("gen-circle-save-image");
    expect(JSON.stringify(registry.commands["gen-circle-save-image"])).not.toContain("save_cache");
    expect(() => registry.use("gen-circle-nope")).toThrow(/no command/);
  });

  it("deploy condition: the rules' names and whole-value regexes, each once", () => {
    expect(deployCondition([rule({ branches: [{ exact: "main" }] })])).toEqual({ equal: ["main", "<< pipeline.git.branch >>"] });
    expect(deployCondition([rule({ tags: [{ regex: "v[0-9]+" }] }), rule({ index: 2, tags: [{ regex: "v[0-9]+" }], imageTags: ["{tag}"] })])).toEqual({
      matches: { pattern: "^(?:v[0-9]+)$", value: "<< pipeline.git.tag >>" },
    });
    expect(deployCondition([rule({ branches: [{ exact: "main" }, { exact: "dev" }] })])).toEqual({
      or: [{ equal: ["main", "<< pipeline.git.branch >>"] }, { equal: ["dev", "<< pipeline.git.branch >>"] }],
    });
  });

  it("keys: the marker key never starts with an image's key prefix (CircleCI restores by prefix)", () => {
    const s = spec("save-load");
    for (const id of ["app", "built-app", "service", "a"]) expect(builtKey(s, "app").startsWith(imageKeyPrefix(s, id))).toBe(false);
  });
});
