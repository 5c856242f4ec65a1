import { describe, expect, it } from "vitest";
import { dockerInstructions } from "../../src/dockerfile/parse.js";
import { entrypointProblem } from "../../src/init/entrypoint.js";
import { detect } from "../../src/init/detect.js";
import { generate } from "../../src/index.js";
import { parse } from "yaml";

// The test stage's ENTRYPOINT gets `sh -c COMMAND` as its arguments: our own small Dockerfiles and scripts.
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";
const problem = (files: Record<string, string>, ...dockerfile: string[]) =>
  entrypointProblem(repoView(files), ".", dockerInstructions(lines("FROM python:3.12", "COPY . /app", ...dockerfile)));

// A Python image whose ENTRYPOINT starts the app: it never runs the command it is given.
const bootImage = {
  "requirements.txt": "pytest\n",
  "tests/test_app.py": "",
  "boot.sh": lines("#!/bin/sh", "exec gunicorn app.wsgi"),
  Dockerfile: lines(
    "FROM python:3.12",
    "WORKDIR /app",
    "COPY requirements.txt .",
    "RUN pip install -r requirements.txt",
    "COPY . .",
    'ENTRYPOINT ["/app/boot.sh"]',
  ),
};

describe("init: an ENTRYPOINT that would not run the tests", () => {
  it("a script that runs its arguments, a wrapper before it, no entrypoint or a cleared one: none", () => {
    const passes = { "docker/entrypoint.sh": lines("#!/bin/sh", "set -e", "python manage.py migrate", 'exec "$@"') };
    expect(problem(passes, 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]')).toBeUndefined();
    expect(problem(passes, 'ENTRYPOINT ["tini", "--", "/usr/local/bin/entrypoint.sh"]')).toBeUndefined();
    expect(problem({ "bin/docker-entrypoint": lines("#!/bin/bash", 'exec "${@}"') }, 'ENTRYPOINT ["./bin/docker-entrypoint"]')).toBeUndefined();
    expect(problem(passes)).toBeUndefined();
    expect(problem(passes, 'ENTRYPOINT ["/entrypoint.sh"]', "ENTRYPOINT []")).toBeUndefined();
  });

  it("a script that starts the app and never runs them, the shell form, a program: each said", () => {
    expect(problem({ "boot.sh": lines("#!/bin/sh", "python manage.py migrate", "exec gunicorn app.wsgi") }, 'ENTRYPOINT ["/opt/app/boot.sh"]')).toBe(
      'its ENTRYPOINT (/opt/app/boot.sh) runs boot.sh, which never runs the command it is given ("$@")',
    );
    expect(problem({}, "ENTRYPOINT python -m app")).toMatch(/shell form, which ignores the command/);
    expect(problem({}, 'ENTRYPOINT ["java", "-jar", "/app.jar"]')).toMatch(/ENTRYPOINT \(java -jar \/app\.jar\) is not a script of the repository/);
  });

  it('init clears it in the spec (entrypoint: "") with a TODO; an ENTRYPOINT of a later stage is not the test stage\'s', async () => {
    const files = {
      ...bootImage,
    };
    const found = detect(repoView(files));
    expect(found.todo).toContainEqual(
      expect.stringMatching(/^test\.entrypoint: the tests run as 'IMAGE sh -c COMMAND', but its ENTRYPOINT .*entrypoint "" runs the command without it/),
    );
    const spec = parse(found.spec);
    expect(spec.test).toEqual({ command: "pytest", entrypoint: "" });
    // The spec init writes is one the schema takes, and the pipeline passes the empty entrypoint on.
    const generated = await generate(found.spec);
    expect(generated.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(generated.files.find((f) => f.path.endsWith("/test.sh"))!.content).toContain("entrypoint=(--entrypoint '')");
    const later = {
      ...files,
      Dockerfile: files.Dockerfile.replace(
        'ENTRYPOINT ["/app/boot.sh"]',
        'FROM nginx:1.27 AS web\nCOPY --from=0 /app/static /usr/share/nginx/html\nENTRYPOINT ["/app/boot.sh"]',
      ),
    };
    const other = detect(repoView(later));
    expect(other.todo.join("\n")).not.toContain("ENTRYPOINT");
    expect(parse(other.spec).test).toEqual({ command: "pytest" });
  });
});

describe("init: a test runner's image (its ENTRYPOINT runs the tests)", () => {
  it("is the stage the tests run in, and its ENTRYPOINT (with a CMD after it) is the command, run with no entrypoint", () => {
    const files = {
      "App.sln": "",
      "src/App/App.csproj": "",
      "tests/App.Tests/App.Tests.csproj": "",
      "tests/App.Tests/UnitTest1.cs": "",
      Dockerfile: lines(
        "FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build",
        "WORKDIR /app",
        "COPY src/App/App.csproj src/App/",
        "RUN dotnet restore src/App/App.csproj",
        "COPY . .",
        "RUN dotnet build -c Release",
        "FROM build AS runner",
        "WORKDIR /app/tests/App.Tests",
        'ENTRYPOINT ["dotnet", "test"]',
        'CMD ["--filter", "Category!=Integration & Kind=Unit", "--logger", "trx;LogFileName=out.trx"]',
        "FROM build AS publish",
        "RUN dotnet publish src/App -o /out",
        "FROM mcr.microsoft.com/dotnet/aspnet:8.0",
        "COPY --from=publish /out /app",
        'ENTRYPOINT ["dotnet", "App.dll"]',
      ),
    };
    const found = detect(repoView(files));
    const spec = parse(found.spec);
    expect(spec.image.target).toBe("runner");
    // Its report flags are left out, as a CI command's are; a word the shell would split is quoted.
    expect(spec.test).toEqual({ command: "dotnet test --filter 'Category!=Integration & Kind=Unit'", entrypoint: "" });
    expect(found.todo.join("\n")).not.toContain("ENTRYPOINT");
  });
});

describe("init: entrypoints that run their arguments", () => {
  it("a command runner's verb or `--` at the end, gosu/su-exec with the user, env with settings: no problem", () => {
    expect(problem({}, 'ENTRYPOINT ["bundle", "exec"]')).toBeUndefined();
    expect(problem({}, 'ENTRYPOINT ["poetry", "run"]')).toBeUndefined();
    expect(problem({}, 'ENTRYPOINT ["/usr/local/bin/wait-for", "db:5432", "--"]')).toBeUndefined();
    expect(problem({}, 'ENTRYPOINT ["gosu", "app", "tini", "--", "/usr/local/bin/entrypoint.sh"]', "")).toMatch(/entrypoint\.sh/);
    expect(problem({ "entrypoint.sh": lines("#!/bin/sh", 'exec "$@"') }, 'ENTRYPOINT ["su-exec", "app", "/entrypoint.sh"]')).toBeUndefined();
    expect(problem({}, 'ENTRYPOINT ["env", "-i", "A=1", "python", "-m", "app"]')).toMatch(/python -m app/);
  });
});

describe("init: the compose test service's own entrypoint", () => {
  const files = (entrypoint: string) => ({
    ...bootImage,
    "docker-compose.yml": lines("services:", "  test:", "    build: .", `    entrypoint: ${entrypoint}`, "    command: pytest -x"),
  });
  const testOf = (entrypoint: string) => {
    const found = detect(repoView(files(entrypoint)));
    return { test: parse(found.spec).test, todo: found.todo.join("\n") };
  };

  it("replaces the image's: none, one program, or a program whose other words go before the command", () => {
    expect(testOf('""')).toEqual({ test: { command: "pytest -x", entrypoint: "" }, todo: expect.not.stringContaining("ENTRYPOINT") });
    expect(testOf("[]").test).toEqual({ command: "pytest -x", entrypoint: "" });
    expect(testOf("/usr/bin/tini").test).toEqual({ command: "pytest -x", entrypoint: "/usr/bin/tini" });
    expect(testOf('["/wait-for", "db:5432", "--"]').test).toEqual({ command: ["db:5432", "--", "sh", "-c", "pytest -x"], entrypoint: "/wait-for" });
    // `sh -c` is how the pipeline runs a command already.
    expect(testOf('["/bin/sh", "-c"]').test).toEqual({ command: "pytest -x", entrypoint: "" });
  });
});
