import { describe, expect, it } from "vitest";
import { dockerignoreMatcher, isTestFile } from "../../src/dockerfile/dockerignore.js";
import { detect } from "../../src/init/detect.js";

describe(".dockerignore as Docker reads it", () => {
  it("paths from the root, folders and what is below them, ** for any folders, ! to take back, the last match deciding", () => {
    const ignored = dockerignoreMatcher(
      ["# comment", "/tests", "./docs/", "**/*.log", "*.md", "!README.md", "node_modules", "build/*", "!build/keep"].join("\n"),
    );
    expect(["tests/test_app.py", "docs/index.html", "a/b/c.log", "CHANGES.md", "node_modules/x/index.js", "build/out.js"].filter(ignored)).toHaveLength(6);
    expect(["README.md", "src/tests.py", "src/CHANGES.md", "build/keep", "app/tests_helper.py"].filter(ignored)).toEqual([]);
    // A later pattern excludes again what an exception let in.
    expect(dockerignoreMatcher("*\n!src\nsrc/**/*_test.go\n")("src/app/app_test.go")).toBe(true);
    expect(dockerignoreMatcher("*\n!src\nsrc/**/*_test.go\n")("src/app/app.go")).toBe(false);
  });

  it("test files as the common runners find them", () => {
    const tests = [
      "tests/test_x.py",
      "app/test_models.py",
      "pkg/a_test.go",
      "src/a.test.ts",
      "web/b.spec.jsx",
      "src/test/java/AppTest.java",
      "spec/user_spec.rb",
      "__tests__/x.js",
    ];
    expect(tests.filter(isTestFile)).toEqual(tests);
    expect(["src/testing.go", "app/contest.py", "latest/x.js", "src/Tester.java", "config/routes/test/routes.yaml"].filter(isTestFile)).toEqual([]);
  });
});

describe("init: a .dockerignore that leaves the tests out", () => {
  const view = (files: Record<string, string>) => ({ name: "shop", files: Object.keys(files), read: (p: string) => files[p] });
  const todos = (files: Record<string, string>) => detect(view(files)).todo.filter((t) => t.includes("leaves every test file out"));
  const files = {
    Dockerfile: "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
    "requirements.txt": "pytest\n",
    "app/main.py": "",
    "tests/test_main.py": "",
  };

  it("is a TODO at the test command; the Dockerfile's own .dockerignore is the one read", () => {
    expect(todos({ ...files, ".dockerignore": "tests/\n.git\n" })).toEqual([
      "image.target: .dockerignore leaves every test file out of the build context (tests/test_main.py): the tests run in the image, so let them in (a test stage's Dockerfile can have its own .dockerignore)",
    ]);
    expect(todos({ ...files, ".dockerignore": "tests/\n", "Dockerfile.dockerignore": ".git\n" })).toEqual([]);
    expect(todos({ ...files, ".dockerignore": ".git\n**/__pycache__\n" })).toEqual([]);
  });
});

describe("init: a test stage that copies folders of the context but no test file", () => {
  const files = (dockerfile: string) => ({
    Dockerfile: dockerfile,
    "mix.exs": "",
    "mix.lock": "",
    "lib/app.ex": "",
    "priv/repo/seeds.exs": "",
    "test/app_test.exs": "",
    "test/test_helper.exs": "",
  });
  const run = (f: Record<string, string>) => detect({ name: "shop", files: Object.keys(f), read: (p: string) => f[p] });
  it("is a TODO at the target: the tests run in the image", () => {
    const d = run(files("FROM elixir:1.17\nWORKDIR /app\nCOPY mix.exs mix.lock ./\nRUN mix deps.get\nCOPY ./lib lib\nCOPY priv priv\n"));
    expect(d.todo).toContain(
      "image.target: the stages the tests run in copy mix.exs, mix.lock, lib, priv of the context but no test file (test/app_test.exs, test/test_helper.exs): the tests run in the image, so copy them in",
    );
  });
  it("not when a copy brings a test file, or the whole context", () => {
    for (const last of ["COPY test test", "COPY . ."])
      expect(run(files(`FROM elixir:1.17\nWORKDIR /app\nCOPY mix.exs mix.lock ./\nRUN mix deps.get\nCOPY lib lib\n${last}\n`)).todo.join("\n")).not.toContain(
        "no test file",
      );
  });
});
