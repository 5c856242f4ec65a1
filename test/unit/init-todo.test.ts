import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detect } from "../../src/init/detect.js";
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

describe("init: other Dockerfiles than the one taken for the tests", () => {
  const view = (files: Record<string, string>) => ({ name: "shop", files: Object.keys(files), read: (p: string) => files[p] });
  const todos = (files: Record<string, string>) => detect(view(files)).todo.filter((t) => t.startsWith("image.dockerfile"));
  const app = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n";

  it("names them in a TODO: which Dockerfile runs the tests is not something a file declares", () => {
    // A folder's lower-case `dockerfile` too: docker build reads it when the folder has no Dockerfile.
    expect(todos({ Dockerfile: app, "Dockerfile.dev": app, "docker/ci.Dockerfile": app, "worker/dockerfile": app, "requirements.txt": "" })).toEqual([
      expect.stringMatching(
        /^image\.dockerfile: Dockerfile is taken for the tests; the repository has other Dockerfiles too \(Dockerfile\.dev, docker\/ci\.Dockerfile, worker\/dockerfile\)/,
      ),
    ]);
  });

  it("one next to the root Dockerfile named for the tests, as a stage would be, is taken when it copies the repository in", () => {
    const d = detect(view({ Dockerfile: app, "Dockerfile-test": app, "requirements.txt": "" }));
    expect((parse(d.spec) as { image: { dockerfile: string } }).image.dockerfile).toBe("Dockerfile-test");
    expect(d.found).toContain("Dockerfile-test: named for the tests, it is their image (not Dockerfile)");
    expect(d.todo.filter((t) => t.startsWith("image.dockerfile"))).toEqual([
      expect.stringMatching(/^image\.dockerfile: Dockerfile-test is taken for the tests; the repository has other Dockerfiles too \(Dockerfile\)/),
    ]);
    // One that copies nothing in (the code comes from a bind mount) cannot run the tests.
    expect(
      parse(detect(view({ Dockerfile: app, "Dockerfile.test": "FROM python:3.12\nRUN pip install pytest\n", "requirements.txt": "" })).spec).image.dockerfile,
    ).toBeUndefined();
  });

  it("one compose builds next to it for the app (a development build of the image) is named", () => {
    expect(
      todos({
        Dockerfile: app,
        "Dockerfile-dev": app,
        "docker-compose.yml": "services:\n  web:\n    build: { context: ., dockerfile: Dockerfile-dev }\n",
        "requirements.txt": "",
      }),
    ).toEqual([expect.stringMatching(/^image\.dockerfile: Dockerfile is taken for the tests; the repository has other Dockerfiles too \(Dockerfile-dev\)/)]);
  });

  it("not one that a compose service builds, nor a base image the hash holds, nor an ignore file, nor one under examples", () => {
    expect(
      todos({
        Dockerfile: "FROM shop-base\nCOPY . .\n",
        "Dockerfile.base": app,
        "Dockerfile.dockerignore": "",
        "db/Dockerfile": "FROM postgres:16\n",
        "docker-compose.yml": "services:\n  base:\n    build: { context: ., dockerfile: Dockerfile.base }\n    image: shop-base\n  db:\n    build: db\n",
        "examples/demo/Dockerfile": app,
        "requirements.txt": "",
      }),
    ).toEqual([]);
  });
});
