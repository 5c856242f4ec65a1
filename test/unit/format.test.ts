import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compileSpec } from "../../src/index.js";
import { configYaml, formatYaml, prettierYaml } from "../../src/emit/config.js";
import { plan } from "../../src/model/plan.js";
import { fixtureCases } from "../helpers.js";

// The emitted config is prettier's output with fixed options. prettier is only loaded when the
// YAML holds a quote or a backslash; everywhere else the yaml library's output must already be
// exactly what prettier prints. These cases hold both halves of that.
const configs = fixtureCases()
  .filter((c) => !c.name.startsWith("invalid-"))
  .map((c) => ({ name: c.name, yaml: configYaml(plan(compileSpec(c.spec).spec!).config) }));

const odd = [
  "feature/it's",
  'say "hi"',
  "back\\slash",
  "colon: space",
  "#hash",
  "- dash",
  "@at",
  "50%",
  "yes",
  "{brace}",
  "[x]",
  "a|b&c",
  "*star",
  "&amp",
  "!bang",
  "tab\there",
  "ünïcödé",
  " lead",
];
for (const branch of odd) {
  const spec = {
    image: "myorg/app",
    test: "true",
    deploy: {
      registry: "docker.io",
      rules: [
        { branch, tags: ["x"] },
        { branch: `/${branch.replace(/[\\[\]{}*|+?()^$.]/g, "\\$&")}-.*/`, tags: ["y"] },
      ],
    },
  };
  const compiled = compileSpec(stringify(spec));
  if (compiled.spec) configs.push({ name: `branch ${JSON.stringify(branch)}`, yaml: configYaml(plan(compiled.spec).config) });
}

describe("emitted YAML is prettier-formatted", () => {
  it.each(configs)("$name", async ({ yaml }) => {
    expect(await formatYaml(yaml)).toBe(await prettierYaml(yaml));
    expect(await prettierYaml(await formatYaml(yaml))).toBe(await formatYaml(yaml));
  });

  it("covers the odd branch names", () => {
    expect(configs.filter((c) => c.name.startsWith("branch")).length).toBeGreaterThan(12);
  });
});
