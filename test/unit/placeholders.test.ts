import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/index.js";
import { TAG_PLACEHOLDERS } from "../../src/spec/placeholders.js";
import { ROOT } from "../helpers.js";

// A deploy tag's placeholders are one list (src/spec/placeholders.ts): the spec's check, deploy.sh
// and migrate read it; the schema's text, which cannot import it, is held to it here.
const spec = (tag: string) =>
  `version: 1\nimage: { name: a/b }\ntest: make test\ndeploy:\n  registry: docker.io\n  rules:\n    - branch: main\n      tags: ["${tag}"]\n`;

describe("deploy tag placeholders: one list", () => {
  it("the schema's description names the list, in its order", () => {
    const text = readFileSync(join(ROOT, "schemas/gen-circle.schema.json"), "utf8");
    const description = /"description": "Image tags to push: [^"]*"/.exec(text)?.[0] ?? "";
    expect([...description.matchAll(/`\{(\w+)\}`/g)].map((m) => m[1])).toEqual(TAG_PLACEHOLDERS.map((p) => p.name));
  });

  it("deploy.sh fills every placeholder of the list", async () => {
    const { files, diagnostics } = await generate(spec("{sha}"));
    expect(diagnostics).toEqual([]);
    const deploy = files.find((f) => f.path.endsWith("/deploy.sh"))!.content;
    for (const p of TAG_PLACEHOLDERS) expect(deploy).toContain(`t=\${t//\\{${p.name}\\}/${p.bash}}`);
  });

  it("the spec accepts each placeholder of the list and names the list for any other", async () => {
    for (const p of TAG_PLACEHOLDERS.filter((p) => p.name !== "tag")) expect((await generate(spec(`x-{${p.name}}`))).diagnostics).toEqual([]);
    const bad = await generate(spec("x-{nope}"));
    expect(bad.diagnostics.map((d) => d.message)).toEqual([
      `Unknown placeholder {nope} in tag "x-{nope}". Use ${TAG_PLACEHOLDERS.map((p) => `{${p.name}}`).join(", ")}.`,
    ]);
  });
});
