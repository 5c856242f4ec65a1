import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assumptionsFor } from "../../src/cost/assumptions.js";
import { costOfConfig, CostError, type RefCost } from "../../src/cost/estimate.js";
import { sampleOf } from "../../src/cost/refs.js";
import { generate } from "../../src/index.js";

// `gen-circle cost` plays the generated config (no process, no Docker): which jobs a push runs,
// which caches each node restores and saves by CircleCI's key rules, and what that costs.
const MB = 1e6;
const { assumptions } = assumptionsFor({ archiveMb: new Map([["*", 500]]) });

async function configOf(spec: object): Promise<string> {
  const r = await generate(stringify(spec));
  expect(r.diagnostics).toEqual([]);
  return r.files.find((f) => f.path === ".circleci/config.yml")!.content;
}

const base = {
  version: 1,
  image: { name: "registry.example.com/shop/app", hash: ["Dockerfile"] },
  test: "make test",
  deploy: {
    registry: "registry.example.com",
    rules: [
      { branch: "main", tags: ["latest"] },
      { branch: "/release-.*/", tags: ["{branch}"] },
      { tag: "/v[0-9]+(\\.[0-9]+)*/", tags: ["{tag}"] },
    ],
  },
};
const scenario = (refs: RefCost[], label: RegExp, id: string) => refs.find((r) => label.test(r.label))!.scenarios.find((s) => s.scenario === id)!;

describe("refs: one per kind of push the filters tell apart", () => {
  it("a literal as it is, a regex by its shortest match, and a branch no filter names", async () => {
    expect(sampleOf("main")).toBe("main");
    expect(sampleOf("/release-.*/")).toBe("release-");
    expect(sampleOf("/v[0-9]+(\\.[0-9]+)*/")).toBe("v0");
    expect(sampleOf("/(stable|rc)-[a-z]{2}/")).toBe("rc-aa");
    expect(sampleOf("/.*/")).toBeUndefined(); // only the empty name: no ref of its own
    const refs = costOfConfig(await configOf(base), { assumptions });
    expect(refs.map((r) => r.label)).toEqual([
      "branch feature/change (no filter names it)",
      "branch main",
      "branch release- (/release-.*/)",
      "tag v0 (/v[0-9]+(\\.[0-9]+)*/)",
    ]);
    expect(refs.map((r) => r.scenarios[0]!.jobs.map((j) => j.name))).toEqual([["test-app"], ["deploy-app-1"], ["deploy-app-2"], ["deploy-app-3"]]);
  });
});

describe("one test node", () => {
  it("a code change restores the archive once and saves nothing; a dependency change also saves one, billed as storage", async () => {
    const refs = costOfConfig(await configOf(base), { assumptions });
    const code = scenario(refs, /main/, "code");
    expect([code.machineStarts, code.restoredBytes, code.savedBytes, code.persistedBytes, code.storageCredits]).toEqual([1, 500 * MB, 0, 0, 0]);
    const deps = scenario(refs, /main/, "deps");
    // The previous hash's archive by the prefix key (a --cache-from source), then this hash's saved.
    expect([deps.restoredBytes, deps.savedBytes]).toEqual([500 * MB, 500 * MB]);
    expect(deps.storageCredits).toBe(105); // 0.5 GB × 420 credits per GB-month × 15/30 month
    const first = scenario(refs, /main/, "first");
    expect([first.restoredBytes, first.savedBytes]).toEqual([0, 500 * MB]);
    expect(first.criticalPathMinutes).toBeGreaterThan(code.criticalPathMinutes);
  });

  it("compute credits: each node's minutes at its class's rate, rounded up to a credit", async () => {
    const refs = costOfConfig(await configOf(base), { assumptions, ref: { branch: "topic" }, scenarios: ["code"] });
    const s = refs[0]!.scenarios[0]!;
    expect(s.jobs).toHaveLength(1);
    expect(s.computeCredits).toBe(Math.ceil(s.jobs[0]!.minutes[0]! * 10));
    expect(s.credits).toBe(s.computeCredits + s.storageCredits);
  });

  it("a class the rates table lacks is a question, not a guess; --rate answers it", async () => {
    const config = await configOf({ ...base, executor: { type: "machine", resource_class: "large" } });
    expect(() => costOfConfig(config, { assumptions })).toThrow(CostError);
    expect(() => costOfConfig(config, { assumptions })).toThrow(/--rate machine\.large=CREDITS_PER_MINUTE/);
    const priced = costOfConfig(config, { assumptions, rates: { "machine.large": 20 }, scenarios: ["code"] })[0]!.scenarios[0]!;
    expect(priced.computeCredits).toBe(Math.ceil(priced.jobs[0]!.minutes[0]! * 20));
  });
});

describe("four test nodes", () => {
  const p4 = { ...base, test: { command: "pytest $TEST_FILES", parallelism: 4, split: { glob: "tests/test_*.py", by: "name" } } };

  it("on a code change the build job ends on its marker; each node restores the archive once", async () => {
    const refs = costOfConfig(await configOf(p4), { assumptions });
    const s = scenario(refs, /no filter/, "code");
    expect(s.machineStarts).toBe(5);
    const build = s.jobs.find((j) => j.name === "build-app")!;
    expect(build.restored).toBeLessThan(1000); // the marker's bytes, not the archive
    expect(s.jobs.find((j) => j.name === "test-app")!.restored).toBe(4 * 500 * MB);
    // A rerun builds nothing: cheaper than a code change, which builds the code layers on each node.
    expect(scenario(refs, /no filter/, "rerun").computeCredits).toBeLessThan(s.computeCredits);
  });

  it("on a deploying branch: the deploying test job, then a deploy job; no workspace", async () => {
    const s = scenario(costOfConfig(await configOf(p4), { assumptions }), /main/, "code");
    expect(s.jobs.map((j) => [j.name, j.nodes])).toEqual([
      ["build-app", 1],
      ["test-app-deploying", 4],
      ["deploy-app-1", 1],
    ]);
    expect([s.machineStarts, s.persistedBytes, s.attachedBytes]).toEqual([6, 0, 0]);
  });
});

describe("workspaces", () => {
  it("what is persisted is billed as storage, and every later attach downloads it", () => {
    const config = `version: 2.1
jobs:
  a:
    machine: { image: ubuntu-2404:current }
    steps:
      - run: .circleci/gen-circle/image.sh export app
      - persist_to_workspace: { root: /tmp/gen-circle/workspace, paths: [app.tar] }
  b:
    machine: { image: ubuntu-2404:current }
    steps:
      - attach_workspace: { at: /tmp/gen-circle/workspace }
      - run: .circleci/gen-circle/image.sh import app
workflows:
  w:
    jobs: [a, { b: { requires: [a] } }]
`;
    const s = costOfConfig(config, { assumptions, scenarios: ["code"] })[0]!.scenarios[0]!;
    expect([s.machineStarts, s.persistedBytes, s.attachedBytes]).toEqual([2, 500 * MB, 500 * MB]);
    expect(s.storageCredits).toBe(105);
    expect(s.criticalPathMinutes).toBeCloseTo(s.jobs[0]!.minutes[0]! + s.jobs[1]!.minutes[0]!, 5);
  });
});
