import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generate } from "../../src/index.js";
import { ConfigError, expandWorkflow } from "../../src/run/expand.js";
import { load } from "../../src/spec/load.js";

// Deploy jobs are serialised across pipelines (CircleCI's serial groups): one deploy of a rule at a
// time, and an older pipeline's deploy is skipped once a newer one's has started, so an older
// commit never moves `latest` back.
describe("serial groups", () => {
  it("every deploy job has a group of its own, named by the project and the job", async () => {
    const { files } = await generate(
      "image: a/b\ntest: make test\ndeploy:\n  registry: ghcr.io\n  rules:\n    - branch: main\n      tags: [latest]\n    - tag: /v.*/\n      tags: ['{tag}']\n",
    );
    const config = parse(files.find((f) => f.path === ".circleci/config.yml")!.content) as {
      workflows: Record<string, { jobs: (string | Record<string, { "serial-group"?: string }>)[] }>;
    };
    const groups = config.workflows["gen-circle"]!.jobs.flatMap((j) => (typeof j === "string" ? [] : Object.entries(j)))
      .filter(([, v]) => v["serial-group"])
      .map(([name, v]) => [name, v["serial-group"]]);
    expect(groups).toEqual([
      ["deploy-b-1", "<< pipeline.project.slug >>/gen-circle/deploy-b-1"],
      ["deploy-b-2", "<< pipeline.project.slug >>/gen-circle/deploy-b-2"],
    ]);
  });

  const config = (group: string) =>
    `version: 2.1\njobs:\n  d:\n    machine: { image: ubuntu-2404:current }\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - d:\n          serial-group: ${group}\n`;
  const expand = (group: string) =>
    expandWorkflow(load(config(group), "config.yml").source!, "w", { branch: "main", tag: "", revision: "abc", number: 1, projectSlug: "local/app" });

  it("gen-circle run reads it as CircleCI does: pipeline values filled in, then letters, digits, . - _ /", () => {
    expect(expand("<< pipeline.project.slug >>/deploy").map((j) => j.name)).toEqual(["d"]);
    expect(() => expand("'deploy group'")).toThrow(ConfigError);
    expect(() => expand("'deploy group'")).toThrow(/may hold only letters, digits/);
    expect(() => expand("<< pipeline.nope >>")).toThrow(/does not know/);
  });
});
