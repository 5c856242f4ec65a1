import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderSpec } from "../../src/init/render.js";

const spec = { version: 1 as const, image: { name: "acme/shop" }, services: { db: { image: "postgres:16" } }, test: { command: "make test" } };

describe("init TODO comments", () => {
  it("writes each TODO above the key it is about, and the spec reads back the same", () => {
    const text = renderSpec(spec, [
      { at: ["test", "command"], text: "no test command found; make test is a guess" },
      { at: ["services", "db"], text: "check the settings postgres needs" },
    ]);
    expect(text).toMatch(/# TODO: check the settings postgres needs\n\s+db:/);
    expect(text).toMatch(/# TODO: no test command found; make test is a guess\n\s+command:/);
    expect(parse(text)).toEqual(spec);
  });

  it("puts a TODO about a key the spec does not have above its nearest part", () => {
    const text = renderSpec(spec, [{ at: ["image", "target"], text: "two stages could run the tests" }]);
    expect(text).toMatch(/# TODO: two stages could run the tests\nimage:/);
  });

  it("writes two TODOs for one key as two lines", () => {
    const text = renderSpec(spec, [
      { at: ["services", "db"], text: "one" },
      { at: ["services", "db"], text: "two" },
    ]);
    expect(text).toMatch(/# TODO: one\n\s+# TODO: two\n\s+db:/);
  });
});
