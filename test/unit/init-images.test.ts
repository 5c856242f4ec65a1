import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detect } from "../../src/init/detect.js";

/** The TODOs about the image (a test command's own, e.g. a build tool's default command, are another file's). */
const imageTodos = (d: { todo: string[] }) => d.todo.filter((t) => !/^(images\.\d+\.)?(test\.command|image\.hash|hash):/.test(t));

// The stage a multi-stage build's tests run in, read from the stage graph: our own small
// Dockerfiles, one per rule.
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";

interface Spec {
  image: { name: string; dockerfile?: string; target?: string; hash?: string[]; context?: string };
  images?: { target?: string; test: { command: unknown } }[];
  test: { command: unknown; environment?: Record<string, unknown> };
}
const specOf = (d: { spec: string }) => parse(d.spec) as Spec;

const GO = { "go.mod": "module x\n", "go.sum": "", "main.go": "package main\n" };

describe("init: the test stage of a multi-stage build", () => {
  it("a final stage FROM scratch or distroless holds no toolchain: the builder that has Go and the code is the target", () => {
    for (const runtime of ["scratch", "gcr.io/distroless/static-debian12", "cgr.dev/chainguard/static:latest"]) {
      const d = detect(
        repoView({
          Dockerfile: lines(
            "FROM golang:1.22 AS build",
            "WORKDIR /src",
            "COPY go.mod go.sum ./",
            "RUN go mod download",
            "COPY . .",
            "RUN go build -o /app .",
            `FROM ${runtime}`,
            "COPY --from=build /app /app",
          ),
          ...GO,
        }),
      );
      expect(specOf(d).image.target).toBe("build");
      expect(specOf(d).test.command).toBe("go test ./...");
      expect(imageTodos(d)).toEqual([]);
    }
  });

  it("a JRE runtime stage is not the test stage: the Maven builder is, with the Maven wrapper it copies", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM eclipse-temurin:21-jdk AS builder",
          "WORKDIR /app",
          "COPY mvnw pom.xml ./",
          "COPY .mvn .mvn",
          "RUN ./mvnw -B dependency:go-offline",
          "COPY src src",
          "RUN ./mvnw -B package -DskipTests",
          "FROM eclipse-temurin:21-jre",
          "COPY --from=builder /app/target/app.jar /app.jar",
          'ENTRYPOINT ["java", "-jar", "/app.jar"]',
        ),
        mvnw: "",
        ".mvn/wrapper/maven-wrapper.properties": "",
        "pom.xml": "<project/>",
        "src/main/java/App.java": "",
      }),
    );
    expect(specOf(d).image.target).toBe("builder");
    expect(specOf(d).image.hash).toEqual(["Dockerfile", "mvnw", "pom.xml", ".mvn"]);
    expect(specOf(d).test.command).toBe("./mvnw -B test");
    expect(d.found.join("\n")).toContain("test stage: 'builder' (FROM eclipse-temurin:21-jdk), with java and the code");
  });

  it("prefers a stage named for the tests, following the chain it is built on (FROM builder AS test inherits the toolchain and the code)", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS builder",
          "WORKDIR /app",
          "COPY package.json package-lock.json ./",
          "RUN npm ci",
          "COPY . .",
          "RUN npm run build",
          "FROM builder AS test",
          "ENV CI=true",
          "FROM node:22-slim AS prod",
          "COPY --from=builder /app/dist ./dist",
          'CMD ["node", "dist/server.js"]',
        ),
        "package.json": '{"scripts": {"test": "vitest run"}}',
        "package-lock.json": "{}",
        "src/server.ts": "",
      }),
    );
    expect(specOf(d).image.target).toBe("test");
    expect(specOf(d).test.command).toBe("npm test");
    expect(imageTodos(d)).toEqual([]);
  });

  it("a development stage is preferred to the builder; a stage that only inherits (and changes its folder) is not taken", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM python:3.12 AS builder",
          "COPY requirements.txt .",
          "RUN pip install -r requirements.txt",
          "WORKDIR /app",
          "COPY . /app",
          "FROM builder AS development",
          "RUN pip install -r requirements-dev.txt",
          "FROM builder AS prepare-production",
          "WORKDIR /app/dist",
          "RUN python -m compileall .",
          "FROM python:3.12-slim",
          "COPY --from=prepare-production /app /app",
        ),
        "requirements.txt": "flask\n",
        "requirements-dev.txt": "pytest\n",
        "app/main.py": "",
      }),
    );
    expect(specOf(d).image.target).toBe("development");
    expect(specOf(d).test.command).toBe("pytest");
  });

  it("the builder, not a stage that only inherits from it, when no stage is named for tests", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM maven:3-eclipse-temurin-17 AS builder",
          "COPY pom.xml .",
          "RUN mvn dependency:go-offline",
          "COPY src src",
          "RUN mvn package -DskipTests",
          "FROM builder AS prepare-production",
          "WORKDIR /target/dependency",
          "RUN jar -xf ../*.jar",
          "FROM eclipse-temurin:17-jre-focal",
          "COPY --from=prepare-production /target/dependency/BOOT-INF/lib /app/lib",
        ),
        "pom.xml": "<project/>",
        "src/main/java/App.java": "",
      }),
    );
    expect(specOf(d).image.target).toBe("builder");
    expect(specOf(d).test.command).toBe("mvn -B test");
    expect(imageTodos(d)).toEqual([]);
  });

  it("node:slim that only receives built files, nginx or caddy serving them: the stage with node and the code is the target", () => {
    for (const final of [["FROM node:22-slim", "COPY --from=build /app/dist ./dist", "COPY package.json ./"], ["FROM nginx:1.27"], ["FROM caddy:2"]]) {
      const d = detect(
        repoView({
          Dockerfile: lines(
            "FROM node:22 AS build",
            "WORKDIR /app",
            "COPY package.json yarn.lock ./",
            "RUN yarn install --frozen-lockfile",
            "COPY . .",
            "RUN yarn build",
            ...final,
            ...(final.length === 1 ? ["COPY --from=build /app/dist /usr/share/nginx/html"] : []),
          ),
          "package.json": '{"scripts": {"test": "jest"}}',
          "yarn.lock": "",
          "src/index.js": "",
        }),
      );
      expect(specOf(d).image.target).toBe("build");
      expect(specOf(d).test.command).toBe("yarn test");
    }
  });

  it("the last stage is right when it has the toolchain and the code: no target", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS assets",
          "COPY ui/ /ui/",
          "RUN cd /ui && npm ci",
          "FROM ruby:3.3",
          "COPY Gemfile* ./",
          "RUN bundle install",
          "COPY . .",
        ),
        Gemfile: "gem 'rspec'\n",
        "ui/package.json": "{}",
        "ui/app.js": "",
        "lib/app.rb": "",
      }),
    );
    expect(specOf(d).image.target).toBeUndefined();
    expect(specOf(d).test.command).toBe("bundle exec rspec");
  });

  it(".NET: the SDK stage, not the ASP.NET runtime", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:8.0 AS build",
          "WORKDIR /source",
          "COPY *.csproj .",
          "RUN dotnet restore",
          "COPY . .",
          "RUN dotnet publish -c Release -o /app --no-restore",
          "FROM mcr.microsoft.com/dotnet/aspnet:8.0",
          "COPY --from=build /app .",
        ),
        "web.csproj": "<Project/>",
        "Program.cs": "",
      }),
    );
    expect(specOf(d).image.target).toBe("build");
    expect(specOf(d).image.hash).toEqual(["Dockerfile", "*.csproj"]);
    expect(specOf(d).test.command).toBe("dotnet test");
  });

  it("a base image from an ARG default is read as FROM would read it", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "ARG GO_IMAGE=golang:1.22-alpine",
          "FROM ${GO_IMAGE} AS build",
          "COPY . .",
          "RUN go build -o /app",
          "FROM alpine:3.20",
          "COPY --from=build /app /app",
        ),
        ...GO,
      }),
    );
    expect(specOf(d).image.target).toBe("build");
    expect(specOf(d).test.command).toBe("go test ./...");
  });

  it("an OS base image counts when its RUN lines install the toolchain; without them it does not", () => {
    const installed = detect(
      repoView({
        Dockerfile: lines("FROM alpine:3.20", "RUN apk add --no-cache nodejs npm", "WORKDIR /app", "COPY . /app"),
        "package.json": '{"scripts": {"test": "node --test"}}',
      }),
    );
    expect(specOf(installed).test.command).toBe("npm test");
    expect(imageTodos(installed)).toEqual([]);
    const bare = detect(
      repoView({
        Dockerfile: lines(
          "FROM rust:1.80 AS build",
          "COPY . .",
          "RUN cargo build --release",
          "FROM debian:12",
          "COPY . /srv",
          "COPY --from=build /target/release/app /app",
        ),
        "Cargo.toml": "",
        "src/main.rs": "",
      }),
    );
    expect(specOf(bare).image.target).toBe("build");
    expect(specOf(bare).test.command).toBe("cargo test");
  });

  it("two stages equally good: the last is chosen, and a TODO above target names the other", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS web",
          "COPY web/ /web/",
          "RUN cd /web && npm ci && npm run build",
          "FROM golang:1.22 AS api",
          "COPY . /src",
          "RUN cd /src && go build -o /api",
          "FROM gcr.io/distroless/base",
          "COPY --from=web /web/dist /static",
          "COPY --from=api /api /api",
        ),
        ...GO,
        "web/package.json": "{}",
        "web/main.ts": "",
      }),
    );
    expect(specOf(d).image.target).toBe("api");
    expect(imageTodos(d)).toEqual([
      "image.target: 'web' (FROM node:22) could run the tests as well as 'api' (FROM golang:1.22): api chosen; set target: to the other if its tests are the ones to run, or add an image with that target to run both",
    ]);
    expect(d.spec).toMatch(/  # TODO: 'web' \(FROM node:22\) could run the tests[^\n]*\n  target: api\n/);
  });

  it("a stage the chosen one copies built files from, with another toolchain, is still named; one with the same toolchain is not", () => {
    const dockerfile = (web: string) =>
      lines(
        `FROM ${web} AS web`,
        "COPY web/ /web/",
        `RUN cd /web && ${web.startsWith("node") ? "npm ci" : "go build"}`,
        "FROM golang:1.22 AS api",
        "COPY . /src",
        "COPY --from=web /web/dist /src/dist",
        "RUN cd /src && go build -o /api",
        "FROM scratch",
        "COPY --from=api /api /api",
      );
    const files = { ...GO, "web/package.json": "{}", "web/main.ts": "", "web/main.go": "" };
    expect(imageTodos(detect(repoView({ ...files, Dockerfile: dockerfile("node:22") })))).toEqual([
      "image.target: 'web' (FROM node:22) could run the tests as well as 'api' (FROM golang:1.22): api chosen; set target: to the other if its tests are the ones to run, or add an image with that target to run both",
    ]);
    expect(imageTodos(detect(repoView({ ...files, Dockerfile: dockerfile("golang:1.22") })))).toEqual([]);
  });

  it("a compose target is kept when it is a stage that has the code", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS base",
          "COPY package*.json ./",
          "RUN npm ci",
          "FROM base AS dev",
          "COPY . .",
          "FROM base AS ci",
          "COPY . .",
          "FROM nginx",
          "COPY --from=dev /dist /html",
        ),
        "package.json": '{"scripts": {"test": "jest"}}',
        "package-lock.json": "{}",
        "index.js": "",
        "compose.yaml": "services:\n  web:\n    build: { context: ., target: dev }\n",
      }),
    );
    expect(specOf(d).image.target).toBe("dev");
    expect(d.found).toContain("build target from compose.yaml: dev");
    expect(imageTodos(d)).toEqual([]);
  });

  it("the compose test service's target is the stage the tests run in", () => {
    const d = detect(
      repoView({
        Dockerfile: lines("FROM golang:1.22 AS build", "COPY . .", "FROM build AS checks", "RUN go vet ./...", "FROM scratch", "COPY --from=build /app /app"),
        ...GO,
        "compose.yaml": "services:\n  app:\n    build: .\n    image: acme/app\n  sut:\n    build: { context: ., target: checks }\n    command: go test ./...\n",
      }),
    );
    expect(specOf(d).image).toMatchObject({ name: "acme/app", target: "checks" });
    expect(specOf(d).test.command).toBe("go test ./...");
  });

  it("a compose target that copies no code, or that the Dockerfile does not have, is not used: a TODO says why", () => {
    const dockerfile = lines(
      "FROM python:3.12 AS build",
      "COPY requirements.txt .",
      "RUN pip install -r requirements.txt",
      "WORKDIR /app",
      "COPY . /app",
      "FROM python:3.12-slim AS prod",
      "COPY --from=build /usr/local/lib/python3.12 /usr/local/lib/python3.12",
      "COPY --from=build /app/dist /app",
    );
    const files = { Dockerfile: dockerfile, "requirements.txt": "pytest\n", "app.py": "" };
    const prod = detect(repoView({ ...files, "compose.yaml": "services:\n  app:\n    build: { context: ., target: prod }\n" }));
    expect(specOf(prod).image.target).toBe("build");
    expect(imageTodos(prod)).toEqual([
      "image.target: compose.yaml builds target 'prod', which copies none of the code (only files from other stages, or none): the tests run in 'build' (FROM python:3.12), which has the toolchain and the code",
    ]);
    const missing = detect(repoView({ ...files, "compose.yaml": "services:\n  app:\n    build: { context: ., target: tests }\n" }));
    expect(specOf(missing).image.target).toBe("build");
    expect(missing.todo[0]).toMatch(/builds target 'tests', which is not a stage of Dockerfile: the tests run in 'build'/);
  });

  it("a final stage that copies the builder's whole copy of the repository has the code (a Rails image): the whole Dockerfile", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM ruby:3.3-slim AS base",
          "WORKDIR /rails",
          "FROM base AS build",
          "COPY Gemfile Gemfile.lock ./",
          "RUN bundle install",
          "COPY . .",
          "FROM base",
          'COPY --from=build "${BUNDLE_PATH}" "${BUNDLE_PATH}"',
          "COPY --from=build /rails /rails",
        ),
        Gemfile: "gem 'rails'\n",
        "Gemfile.lock": "",
        "bin/rails": "",
        "test/models/user_test.rb": "",
        "app/models/user.rb": "",
      }),
    );
    expect(specOf(d).image.target).toBeUndefined();
    // A builder that pruned its dependencies to production ones: its copy would test without the test tools.
    const pruned = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:20 AS build",
          "WORKDIR /app",
          "COPY package*.json ./",
          "RUN npm ci",
          "COPY . .",
          "RUN npm run build && npm prune --omit=dev",
          "FROM node:20-alpine",
          "WORKDIR /app",
          "COPY --from=build /app ./",
        ),
        "package.json": '{"scripts": {"test": "jest"}}',
        "package-lock.json": "{}",
        "src/index.js": "",
      }),
    );
    expect(specOf(pruned).image.target).toBe("build");
    expect(pruned.todo).toContain(
      "image.target: the image prunes its packages to the production ones (npm prune): the test runner is not in it; prune in a later stage than the tests'",
    );
    // A built file copied out of the builder is no code: the builder is the test stage.
    const go = detect(
      repoView({
        Dockerfile: lines(
          "FROM golang:1.22 AS build",
          "WORKDIR /src",
          "COPY . .",
          "RUN go build -o /src/app",
          "FROM debian:12",
          "COPY --from=build /src/app /app",
        ),
        ...GO,
      }),
    );
    expect(specOf(go).image.target).toBe("build");
  });

  it("a builder without a name cannot be a target: a TODO says to name it", () => {
    const d = detect(repoView({ Dockerfile: lines("FROM golang:1.22", "COPY . .", "RUN go build -o /app", "FROM scratch", "COPY --from=0 /app /app"), ...GO }));
    expect(specOf(d).image.target).toBeUndefined();
    expect(imageTodos(d)).toEqual([
      "image.target: the tests can run in stage 0 (FROM golang:1.22), which has no name: name it (AS test) and set target: to it",
    ]);
    expect(specOf(d).test.command).toBe("go test ./...");
  });

  it("no stage with both a toolchain and the code: the whole Dockerfile, with a TODO", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM alpine AS fetch",
          "RUN wget -O /bin/tool https://example.com/tool",
          "FROM alpine",
          "COPY --from=fetch /bin/tool /bin/tool",
          "COPY . /srv",
        ),
      }),
    );
    expect(specOf(d).image.target).toBeUndefined();
    expect(imageTodos(d)[0]).toMatch(/^image.target: no stage has both a toolchain and the project's code/);
  });

  it("no stage copies the code (a bind mount gives it to the build only): the last stage with a toolchain, with a TODO", () => {
    const d = detect(
      repoView({
        ...GO,
        Dockerfile: lines(
          "FROM golang:1.22 AS builder",
          "RUN --mount=type=bind,source=go.mod,target=go.mod go mod download",
          "RUN --mount=type=bind,target=. go build -o /bin/app .",
          "FROM gcr.io/distroless/static",
          "COPY --from=builder /bin/app /app",
        ),
      }),
    );
    expect(specOf(d).image.target).toBe("builder");
    expect(imageTodos(d)[0]).toMatch(/^image.target: no stage has both a toolchain and the project's code: 'builder' \(FROM golang:1.22\) has the toolchain/);
    // Its toolchain's test command, flagged: the stage cannot run it yet.
    expect(specOf(d).test.command).toBe("go test ./...");
    expect(d.todo).toContainEqual(expect.stringMatching(/^test.command: no stage of the image can run the tests yet/));
  });

  it("of the Dockerfiles compose builds (none named Dockerfile), the first whose image runs code, not one that serves files", () => {
    const d = detect(
      repoView({
        "Dockerfile.nginx": lines(
          "FROM node:20 AS assets",
          "COPY . .",
          "RUN npm ci && npm run build",
          "FROM nginx:1.27",
          "COPY --from=assets /dist /usr/share/nginx/html",
        ),
        "Dockerfile.debian": lines("FROM python:3.12 AS release", "COPY requirements.txt .", "RUN pip install -r requirements.txt", "COPY . ."),
        "requirements.txt": "django\n",
        "manage.py": "",
        "tests/test_app.py": "",
        "package.json": "{}",
        "compose.yaml": lines(
          "services:",
          "  nginx:",
          "    build: { context: ., dockerfile: Dockerfile.nginx }",
          "  web:",
          "    build: { context: ., dockerfile: '${DOCKERFILE:-./Dockerfile.debian}' }",
        ),
      }),
    );
    expect(specOf(d).image.dockerfile).toBe("Dockerfile.debian");
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^image.dockerfile: compose.yaml builds 2 Dockerfiles \(Dockerfile.nginx, Dockerfile.debian\): Dockerfile.debian is taken/),
    );
    // The app's Dockerfile, named through a variable, is the tests' own: no note that compose runs another.
    expect(d.todo.filter((t) => /\$\{DOCKERFILE|\.\/Dockerfile/.test(t))).toEqual([]);
  });

  it("compose builds the app's stage; a stage built on it and named for the tests is theirs", () => {
    const dockerfile = lines(
      "FROM python:3.12 AS release",
      "COPY requirements.txt .",
      "RUN pip install -r requirements.txt",
      "COPY app/ ./app/",
      "FROM release AS unittests",
      "COPY tests/ ./tests/",
      "FROM release AS docs",
    );
    const files = { Dockerfile: dockerfile, "requirements.txt": "", "app/main.py": "", "tests/test_main.py": "" };
    const d = detect(repoView({ ...files, "compose.yaml": lines("services:", "  web:", "    build: { context: ., target: release }") }));
    expect(specOf(d).image.target).toBe("unittests");
    expect(d.found).toContainEqual(expect.stringMatching(/test stage: 'unittests' \(FROM release\), built on the target compose.yaml builds \(release\)/));
    // Another stage on it that copies the tests in holds them: the tests run there too.
    const compose = { "compose.yaml": lines("services:", "  web:", "    build: { context: ., target: release }") };
    const holding = detect(repoView({ ...files, ...compose, Dockerfile: dockerfile.replace("unittests", "extra") }));
    expect(specOf(holding).image.target).toBe("extra");
    // Without either, compose's target stands.
    const plain = detect(repoView({ ...files, ...compose, Dockerfile: lines("FROM python:3.12 AS release", "COPY . .", "FROM release AS docs") }));
    expect(specOf(plain).image.target).toBe("release");
  });

  it("a stage named for another kind of tests (e2e) is not the unit tests'; a compose target without the code keeps its TODO", () => {
    const dockerfile = lines(
      "FROM python:3.12 AS dev",
      "COPY requirements.txt .",
      "RUN pip install -r requirements.txt",
      "COPY . .",
      "FROM dev AS e2e-test",
      "RUN pip install playwright",
      "FROM dev AS test",
      "FROM python:3.12-slim AS prod",
    );
    const files = { Dockerfile: dockerfile, "requirements.txt": "", "app/main.py": "", "tests/test_main.py": "" };
    const compose = (target: string, extra = "") => ({ "compose.yaml": lines("services:", "  app:", `    build: { context: ., target: ${target} }`, extra) });
    expect(specOf(detect(repoView({ ...files, ...compose("dev") }))).image.target).toBe("test");
    // dev gets the code from a bind mount only: compose's target has none, and init says so.
    const mounted = {
      ...files,
      Dockerfile: lines(
        "FROM python:3.12 AS dev",
        "COPY requirements.txt .",
        "RUN pip install -r requirements.txt",
        "FROM python:3.12-slim AS prod",
        "COPY . .",
      ),
      ...compose("dev", "    volumes: ['.:/app']"),
    };
    expect(imageTodos(detect(repoView(mounted)))).toContainEqual(expect.stringMatching(/builds target 'dev', which copies none of the code/));
  });

  it("a Dockerfile's context from a compose file init does not read for services (docker-compose.build.yml)", () => {
    const files = {
      "api/Dockerfile": lines("FROM node:20", "WORKDIR /app", "COPY . .", "RUN npm install"),
      "package.json": '{"workspaces": ["api"], "scripts": {"test": "vitest run"}}',
      "api/package.json": "{}",
      "api/app.test.ts": "",
      "docker-compose.yml": lines("services:", "  db:", "    image: postgres:16"),
      "docker-compose.build.yml": lines("services:", "  api:", "    build:", "      context: .", "      dockerfile: ./api/Dockerfile"),
    };
    const d = detect(repoView(files));
    expect(specOf(d).image.context ?? ".").toBe(".");
    expect(d.found).toContainEqual("api/Dockerfile: built with the context . by docker-compose.build.yml");
    // Without it, the Dockerfile's folder.
    const { "docker-compose.build.yml": _, ...alone } = files;
    expect(specOf(detect(repoView(alone))).image.context).toBe("api");
  });

  it("several images: the TODO of each goes above its own target", () => {
    const stages = lines("FROM golang:1.22", "COPY . .", "FROM scratch", "COPY --from=0 /app /app");
    const d = detect(repoView({ "a/Dockerfile": stages, "a/go.mod": "", "a/main.go": "", "b/Dockerfile": stages, "b/go.mod": "", "b/main.go": "" }));
    expect(imageTodos(d).map((t) => t.split(":")[0])).toEqual(["images", "images.0.target", "images.1.target"]);
    // The images have no target yet: each TODO goes above its image.
    expect(d.spec).toMatch(/  # TODO: the tests can run in stage 0[^\n]*\n  - name: myorg\/shop-b\n/);
  });
});

describe("init: no file named Dockerfile", () => {
  it("the Dockerfile compose builds, its variable's default filled in; the test service's, with its target", () => {
    const d = detect(
      repoView({
        "deploy/debian.Dockerfile": lines(
          "FROM elixir:1.17 AS deps",
          "COPY mix.exs mix.lock ./",
          "RUN mix deps.get",
          "FROM deps AS test-image",
          "COPY . .",
          "FROM deps AS prod",
        ),
        "deploy/newman.Dockerfile": lines("FROM postman/newman"),
        "mix.exs": "",
        "mix.lock": "",
        "docker-compose.yml": lines(
          "services:",
          "  test:",
          "    build: { context: ., dockerfile: '${DOCKER_FILE:-deploy/debian.Dockerfile}', target: test-image }",
          "  newman:",
          "    build: { context: ., dockerfile: deploy/newman.Dockerfile }",
        ),
      }),
    );
    expect(specOf(d).image).toMatchObject({ dockerfile: "deploy/debian.Dockerfile", target: "test-image" });
    expect(d.todo).toContainEqual(expect.stringMatching(/^image\.dockerfile: docker-compose\.yml builds 2 Dockerfiles .*deploy\/debian\.Dockerfile is taken/));
  });

  it("without compose: the variant by name that can run the tests (a toolchain and the code), not a runtime image or one without the code", () => {
    const d = detect(
      repoView({
        "Dockerfile.alpine": lines("FROM eclipse-temurin:21-jre-alpine", "COPY target/app.jar /app.jar"),
        "Dockerfile.compile": lines("FROM gradle:8-jdk21", "WORKDIR /src"),
        "Dockerfile.prod": lines(
          "FROM gradle:8-jdk21 AS builder",
          "WORKDIR /src",
          "COPY . .",
          "RUN gradle build -x test",
          "FROM eclipse-temurin:21-jre",
          "COPY --from=builder /src/build/libs/app.jar /app.jar",
        ),
        "build.gradle": "",
        "settings.gradle": "",
        "src/test/java/AppTest.java": "",
      }),
    );
    expect(specOf(d).image).toMatchObject({ dockerfile: "Dockerfile.prod", target: "builder" });
    // The others are named, as other Dockerfiles are.
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^image\.dockerfile: Dockerfile\.prod is taken for the tests; the repository has other Dockerfiles too/),
    );
    // None can: no image, as before.
    const none = detect(repoView({ "Dockerfile.alpine": lines("FROM eclipse-temurin:21-jre-alpine", "COPY target/app.jar /app.jar"), "build.gradle": "" }));
    expect(none.todo).toContainEqual(expect.stringMatching(/^image: the repository has no Dockerfile/));
  });

  it("names in lower case are Dockerfiles too: a folder's `dockerfile`, a `builder.dockerfile` variant", () => {
    const node = { "package.json": '{"scripts":{"test":"node --test"}}', "package-lock.json": "{}", "test/app.test.js": "", "server/app.js": "" };
    const folder = detect(
      repoView({
        ...node,
        "docker/dockerfile": lines("FROM node:22 AS build", "WORKDIR /app", "COPY package.json package-lock.json ./", "RUN npm ci", "COPY . ."),
      }),
    );
    expect(specOf(folder).image).toMatchObject({ dockerfile: "docker/dockerfile" });
    const variant = detect(
      repoView({
        ...node,
        "container/builder.dockerfile": lines("FROM node:22", "WORKDIR /app", "COPY package.json package-lock.json ./", "RUN npm ci", "COPY . ."),
      }),
    );
    expect(specOf(variant).image).toMatchObject({ dockerfile: "container/builder.dockerfile" });
  });

  it("folder Dockerfiles none of which has a test in its context give way to one that can run the tests, named for them first", () => {
    const files = {
      ".github/release/Dockerfile": lines("FROM golang:1.23", "RUN go install example.com/tool@latest"),
      "integration/images/copy-up/Dockerfile": lines("FROM busybox", "RUN mkdir /data"),
      "contrib/Dockerfile.test": lines("FROM golang:1.23", "WORKDIR /go/src/acme", "COPY go.mod go.sum ./", "RUN go mod download", "COPY . ."),
      "tools/Dockerfile.lint": lines("FROM golang:1.23", "WORKDIR /src", "COPY . ."),
      "go.mod": "module acme\n",
      "go.sum": "",
      "store/store_test.go": "package store\n",
    };
    const d = detect(repoView(files));
    expect(specOf(d).image).toMatchObject({ dockerfile: "contrib/Dockerfile.test" });
    expect(d.todo).toContainEqual(
      expect.stringMatching(
        /^image\.dockerfile: contrib\/Dockerfile\.test is taken for the tests: no test file is in the build context of \.github\/release\/Dockerfile, integration/,
      ),
    );
    expect(d.todo.join("\n")).not.toMatch(/one image for each/);
    // None can run them: the Dockerfiles stay, one image each, with the TODO.
    const none = detect(repoView({ ...files, "contrib/Dockerfile.test": lines("FROM alpine"), "tools/Dockerfile.lint": lines("FROM alpine") }));
    expect(none.todo).toContainEqual(expect.stringMatching(/^images: one image for each of the 2 Dockerfiles found: remove those/));
  });

  it("a Dockerfile that copies the whole context from a folder of Dockerfiles builds the root's project", () => {
    const files = {
      "docker/Dockerfile.server": lines("FROM golang:1.23 AS build", "WORKDIR /src", "COPY . .", "RUN go build ./cmd/server", "FROM scratch"),
      "docker/Dockerfile.agent": lines("FROM golang:1.23 AS build", "WORKDIR /src", "COPY . .", "RUN go build ./cmd/agent", "FROM scratch"),
      "go.mod": "module acme\n",
      "go.sum": "",
      "server/server_test.go": "package server\n",
    };
    const image = specOf(detect(repoView(files))).image;
    expect(image).toMatchObject({ dockerfile: "docker/Dockerfile.agent", target: "build" });
    expect(image.context).toBeUndefined();
    // A folder that holds more than Dockerfiles (its own project, an e2e runner's files) keeps its context.
    const own = detect(repoView({ ...files, "docker/go.mod": "module tools\n", "docker/x_test.go": "package x\n" }));
    expect(specOf(own).image).toMatchObject({ context: "docker" });
    const e2e = detect(
      repoView({
        ...files,
        "e2e/Dockerfile": lines("FROM cypress/included:13", "WORKDIR /e2e", "COPY . ."),
        "e2e/cypress.config.js": "",
        "e2e/cypress/login.cy.js": "",
      }),
    );
    // The e2e runner's context stays its folder: no unit test there, so the project's Dockerfile is taken.
    expect(e2e.found).toContain("Dockerfile: docker/Dockerfile.agent: no test file is in the build context of e2e/Dockerfile");
  });

  it("no Dockerfile copies the code in: the one with the toolchain of the repository's manifests, with the TODO to copy it in", () => {
    const files = {
      "Dockerfile.slim": lines("FROM eclipse-temurin:21-jre-alpine", "COPY build/app.jar /app.jar"),
      "docs/.devcontainer/dockerfile": lines("FROM ruby:3.3", "RUN gem install jekyll"),
      ".devcontainer/Dockerfile": lines("FROM eclipse-temurin:21-jdk", "RUN mkdir /home/dev/.m2"),
      "pom.xml": "<project/>",
      "src/test/java/AppTest.java": "",
    };
    const d = detect(repoView(files));
    // Its path exists (the spec builds), its image name is a valid one, and what it lacks is a TODO.
    expect(specOf(d).image).toMatchObject({ dockerfile: ".devcontainer/Dockerfile", name: "myorg/shop-devcontainer" });
    expect(specOf(d).image.context).toBeUndefined();
    expect(d.found).toContain("Dockerfile: .devcontainer/Dockerfile (no Dockerfile copies the code in; this one has the toolchain)");
    expect(d.todo).toContainEqual(expect.stringMatching(/^image\.target: \.devcontainer\/Dockerfile copies none of the project's code/));
    // A stage that only packages a runtime of the toolchain (jlink) is none.
    const packaging = detect(
      repoView({
        ...files,
        ".devcontainer/Dockerfile": lines("FROM eclipse-temurin:21-jdk AS jdk", "RUN jlink --output /jre", "FROM alpine", "COPY --from=jdk /jre /opt/jre"),
      }),
    );
    expect(packaging.todo).toContainEqual(expect.stringMatching(/^image: the repository has no Dockerfile/));
    // A toolchain of another ecosystem than the repository's (the docs' Jekyll) is none.
    const other = detect(repoView({ ...files, ".devcontainer/Dockerfile": lines("FROM node:22") }));
    expect(other.todo).toContainEqual(expect.stringMatching(/^image: the repository has no Dockerfile/));
  });

  it("a folder's Dockerfile on a well-known store's image is a service: compose's Dockerfile of the app is the image", () => {
    const d = detect(
      repoView({
        "docker/db/Dockerfile": lines("FROM postgres:16", "COPY init.sql /docker-entrypoint-initdb.d/"),
        "docker/Dockerfile.api": lines(
          "FROM python:3.12",
          "WORKDIR /app",
          "COPY api/requirements.txt .",
          "RUN pip install -r requirements.txt",
          "COPY api .",
          "COPY tests ./tests",
        ),
        "api/requirements.txt": "pytest\n",
        "tests/test_api.py": "",
        "docker-compose.yml": lines(
          "services:",
          "  api:",
          "    build: { context: ., dockerfile: docker/Dockerfile.api }",
          "    depends_on: [db]",
          "  db:",
          "    build: docker/db",
        ),
      }),
    );
    expect(specOf(d).image).toMatchObject({ dockerfile: "docker/Dockerfile.api" });
    expect(d.found).toContain("docker/db/Dockerfile: on a well-known service's image, a service, not an image to test");
  });
});
