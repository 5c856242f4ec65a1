import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runnerOf } from "../../src/init/ci-tests.js";
import { detect } from "../../src/init/detect.js";
import { dockerInstructions } from "../../src/dockerfile/parse.js";
import { buildTestRun, runsTests } from "../../src/init/test-rules.js";

const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";

interface Image {
  name: string;
  target?: string;
  hash: string[];
  test: { command: string };
}
const imagesOf = (files: Record<string, string>) => {
  const d = detect(repoView(files));
  const spec = parse(d.spec) as { image?: Image; images?: Image[]; test?: { command: string } };
  return { d, images: spec.images ?? [{ ...spec.image!, test: spec.test! }] };
};

describe("the tests the build runs", () => {
  it("the run of a suite in the stage's chain, from the folder the image ends in", () => {
    const chain = dockerInstructions(
      lines(
        "FROM node:22 AS web",
        "WORKDIR /src",
        "RUN npm ci",
        "COPY . .",
        "RUN npm run lint && CI=1 npm run test:coverage && npm run build",
        "WORKDIR /src/dist",
        "WORKDIR /src",
      ),
    );
    expect(buildTestRun(chain)).toBe("CI=1 npm run test:coverage");
    // Run elsewhere than where the image ends: not the command of the image.
    expect(buildTestRun(dockerInstructions(lines("FROM golang:1.22", "WORKDIR /a", "RUN go test ./...", "WORKDIR /b")))).toBeUndefined();
    // A `cd` in the RUN moves it too.
    expect(buildTestRun(dockerInstructions(lines("FROM node:22", "WORKDIR /app", "RUN cd web && npm run test:unit")))).toBeUndefined();
    expect(buildTestRun(dockerInstructions(lines("FROM node:22", "WORKDIR /app/web", "RUN cd /app/web && npm run test:unit")))).toBe("npm run test:unit");
  });

  it("checks of the build are not the suite: a version, one test by name or file, a positive filter", () => {
    expect(runsTests("vendor/bin/phpunit --version")).toBe(false);
    expect(runsTests("go test -v -run TestVersion ./util/version_test.go")).toBe(false);
    expect(runsTests('dotnet test --filter "FullyQualifiedName~Smoke"')).toBe(false);
    expect(runsTests('dotnet test --filter "Category!=Slow"')).toBe(true);
    expect(runsTests("pnpm test:unit")).toBe(true);
    expect(runsTests("pnpm run build")).toBe(false);
    // Flags that print and go on, or leave some out, run the suite.
    expect(runsTests("mvn -B -V verify")).toBe(true);
    expect(runsTests("vitest --run --coverage")).toBe(true);
    expect(runsTests('pytest -k "not integration"')).toBe(true);
    expect(runsTests("pytest -k smoke")).toBe(false);
  });

  it("Gradle's `-x test` and Maven's -DskipTests run no tests", () => {
    expect(runnerOf("./gradlew build -x test")).toBeUndefined();
    expect(runnerOf("./gradlew check")).toBe("gradle test");
    expect(runnerOf("mvn -B package -DskipTests")).toBeUndefined();
    expect(runnerOf("mvn -B verify")).toBe("mvn test");
  });

  it("init takes the build's own run as the test command", () => {
    const { images } = imagesOf({
      Dockerfile: lines(
        "FROM mcr.microsoft.com/dotnet/sdk:8.0",
        "WORKDIR /src",
        "COPY . .",
        "RUN dotnet restore",
        'RUN dotnet test --filter "Category!=Slow" -c Release',
      ),
      "App.sln": "",
      "tests/AppTests/AppTests.csproj": "<Project/>",
      "tests/AppTests/UnitTest1.cs": "",
    });
    expect(images[0]!.test.command).toBe('dotnet test --filter "Category!=Slow" -c Release');
  });
});

describe("one Dockerfile, two toolchains with tests of their own", () => {
  const dockerfile = (frontendRun: string) =>
    lines(
      "FROM node:22 AS web",
      "WORKDIR /web",
      "COPY web/package.json web/package-lock.json ./",
      "RUN npm ci",
      "COPY web/ ./",
      `RUN ${frontendRun}`,
      "FROM golang:1.22 AS api",
      "WORKDIR /src",
      "COPY . .",
      "COPY --from=web /web/dist ./web/dist",
      "RUN go build -o /app ./cmd/app",
      "FROM gcr.io/distroless/static",
      "COPY --from=api /app /app",
    );
  const files = (run: string, more: Record<string, string> = {}) => ({
    Dockerfile: dockerfile(run),
    "go.mod": "module x\n",
    "go.sum": "",
    "cmd/app/main.go": "",
    "app_test.go": "",
    "web/package.json": JSON.stringify({ scripts: { test: "vitest run", build: "vite build" } }),
    "web/package-lock.json": "{}",
    "web/src/app.test.ts": "",
    ...more,
  });

  it("the build runs the frontend's tests: an image for each stage, in the Dockerfile's order, each with its own hash and command", () => {
    const { d, images } = imagesOf(files("npm run test:ci && npm run build"));
    expect(images.map((i) => [i.name, i.target])).toEqual([
      ["myorg/shop-web", "web"],
      ["myorg/shop", "api"],
    ]);
    expect(images[0]!.hash).toEqual(["Dockerfile", "web/package.json", "web/package-lock.json"]);
    expect(images[0]!.test.command).toBe("npm run test:ci");
    // The API stage copies the code itself: its own manifests count, not only the frontend's it copies from.
    expect(images[1]!.hash).toEqual(expect.arrayContaining(["go.mod", "go.sum"]));
    expect(images[1]!.test.command).toBe("go test ./...");
    expect(d.todo.some((t) => t.includes("could run the tests as well as"))).toBe(false);
  });

  it("CI runs the frontend's suite in the folder the stage copies: split too", () => {
    const ci = lines("jobs:", "  web:", "    defaults: { run: { working-directory: web } }", "    steps:", "      - run: npm ci", "      - run: npm test");
    const { images } = imagesOf(files("npm run build", { ".github/workflows/ci.yml": ci }));
    expect(images.map((i) => i.target)).toEqual(["web", "api"]);
  });

  it("nothing runs the frontend's tests (the build only builds, CI only builds): one image, and the other stage is a TODO", () => {
    const { d, images } = imagesOf(files("npm run build"));
    expect(images.map((i) => i.target)).toEqual(["api"]);
    expect(d.todo.some((t) => t.includes("'web' (FROM node:22) could run the tests as well as 'api'"))).toBe(true);
  });

  it("a compose test service's target says where the tests run: that stage is the image, no split", () => {
    const dockerfile = lines(
      "FROM node:22 AS web",
      "WORKDIR /web",
      "COPY web/package.json web/package-lock.json ./",
      "RUN npm ci",
      "COPY web/ ./",
      "RUN npm run test:ci && npm run build",
      "FROM golang:1.22 AS race",
      "WORKDIR /src",
      "COPY . .",
      "FROM golang:1.22 AS api",
      "WORKDIR /src",
      "COPY . .",
      "COPY --from=web /web/dist ./web/dist",
      "FROM gcr.io/distroless/static",
      "COPY --from=api /src/app /app",
    );
    const { images } = imagesOf({
      ...files("npm run test:ci && npm run build"),
      Dockerfile: dockerfile,
      "docker-compose.yml": lines("services:", "  app:", "    build: .", "  sut:", "    build: { context: ., target: race }", "    command: go test ./..."),
    });
    expect(images.map((i) => i.target)).toEqual(["race"]);
  });
});

describe("the stage that holds the tests", () => {
  const files = (dockerfile: string) => ({
    "requirements.txt": "django\n",
    "manage.py": "",
    "app/models.py": "",
    "app/tests/test_models.py": "",
    "frontend/package.json": "{}",
    "frontend/src/app.test.ts": "",
    Dockerfile: dockerfile,
  });

  it("of the same toolchain, the builder with the whole context before a last stage that copies only manage.py beside its venv", () => {
    const kiwi = lines(
      "FROM python:3.12 AS buildroot",
      "WORKDIR /src",
      "COPY . /src/",
      "RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt",
      "FROM python:3.12-slim",
      "COPY --from=buildroot /venv/ /venv",
      "COPY ./manage.py /src/",
    );
    expect(imagesOf(files(kiwi)).images[0]!.target).toBe("buildroot");
    // With the whole repository copied from the builder, the last stage holds the tests too: it stays.
    const whole = kiwi.replace("COPY ./manage.py /src/", "COPY --from=buildroot /src /src");
    expect(imagesOf(files(whole)).images[0]!.target).toBeUndefined();
  });

  it("not across toolchains: a frontend builder holding its own tests does not take over the Python image", () => {
    const split = lines(
      "FROM node:22 AS frontend",
      "WORKDIR /app",
      "COPY frontend/package.json ./",
      "RUN npm install",
      "COPY frontend ./",
      "RUN npm run build",
      "FROM python:3.12",
      "WORKDIR /src",
      "COPY requirements.txt ./",
      "RUN pip install -r requirements.txt",
      "COPY manage.py ./",
      "COPY app/models.py app/",
    );
    expect(imagesOf(files(split)).images.map((i) => i.target ?? null)).toContain(null);
  });
});
