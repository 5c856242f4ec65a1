import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generate } from "../../src/index.js";
import { migrate } from "../../src/migrate/migrate.js";
import { branchTagFilters } from "../../src/model/circleci.js";

// One CircleCI model for everything that emits config (src/model/circleci.ts): generate's plan
// and migrate's config are typed by it, and the branch/tag filter rule is written once.
describe("the CircleCI config model", () => {
  it("a tag job ignores every branch; a branch job names its branches; neither: no filters", () => {
    expect(branchTagFilters(["main"], ["/v.*/"])).toEqual({ branches: { ignore: ["/.*/"] }, tags: { only: ["/v.*/"] } });
    expect(branchTagFilters(["main", "/release-.*/"], [])).toEqual({ branches: { only: ["main", "/release-.*/"] } });
    expect(branchTagFilters([], [])).toBeUndefined();
  });

  it("generate and migrate give a tag deployment the same filters", async () => {
    const generated = parse(
      (
        await generate(`version: 1\nimage: acme/app\ntest: make test\ndeploy:\n  registry: docker.io\n  rules:\n    - tag: /v[0-9]+/\n      tags: ["{tag}"]\n`)
      ).files.find((f) => f.path === ".circleci/config.yml")!.content,
    );
    const migrated = parse(
      (await migrate("test:\n  override: [make test]\ndeployment:\n  release:\n    tag: /v[0-9]+/\n    commands: [./release.sh]\n")).config!,
    );
    const filtersOf = (config: { workflows: Record<string, { jobs: unknown[] }> }, prefix: string) =>
      Object.values(config.workflows)
        .flatMap((w) => w.jobs)
        .flatMap((j) => (typeof j === "object" && j ? Object.entries(j as Record<string, { filters?: unknown }>) : []))
        .find(([name]) => name.startsWith(prefix))?.[1].filters;
    expect(filtersOf(generated, "deploy-")).toEqual({ branches: { ignore: ["/.*/"] }, tags: { only: ["/v[0-9]+/"] } });
    expect(filtersOf(migrated, "deploy-")).toEqual(filtersOf(generated, "deploy-"));
  });
});
