import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dependencyInputs, dockerInstructions } from "../../src/dockerfile/inputs.js";
import { detect } from "../../src/init/detect.js";
import { makeCommands } from "../../src/init/test-rules.js";

// Hash inputs read on the stages the tests run in: our own small Dockerfiles, one or more per rule.
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";
const hashOf = (files: Record<string, string>) => (parse(detect(repoView(files)).spec) as { image: { hash: string[] } }).image.hash;
const inputs = (...l: string[]) => dependencyInputs(dockerInstructions(lines(...l)));

describe("init: hash inputs, manifests copied just before the install", () => {
  it("the manifests copied before the install, after unrelated copies and RUN lines", () => {
    expect(
      hashOf({
        Dockerfile: lines(
          "FROM hexpm/elixir:1.17.2-erlang-27.0-debian-bookworm-20240722 AS build",
          "COPY rel/env.sh /etc/env.sh",
          "RUN chmod +x /etc/env.sh && mix local.hex --force",
          "COPY mix.exs mix.lock ./",
          "RUN mix deps.get",
          "COPY lib lib",
          "RUN mix compile",
        ),
        "rel/env.sh": "",
        "mix.exs": "",
        "mix.lock": "",
        "lib/app.ex": "",
      }),
    ).toEqual(["Dockerfile", "rel/env.sh", "mix.exs", "mix.lock"]);
  });

  it("several COPY lines before the RUN, and groups of manifests each with their install", () => {
    expect(
      inputs("FROM maven:3", "COPY pom.xml .", "COPY .mvn .mvn", "COPY mvnw .", "RUN ./mvnw dependency:go-offline", "COPY src src", "RUN ./mvnw package")
        .sources,
    ).toEqual(["pom.xml", ".mvn", "mvnw"]);
    expect(
      inputs("FROM maven:3", "COPY package.json yarn.lock ./", "RUN yarn install", "COPY pom.xml .", "RUN mvn dependency:go-offline", "COPY src src").sources,
    ).toEqual(["package.json", "yarn.lock", "pom.xml"]);
  });

  it("manifests copied in the stage a stage is built on, installed in that stage", () => {
    expect(inputs("FROM elixir:1.17 AS base", "COPY mix.exs mix.lock ./", "FROM base AS deps", "RUN mix deps.get", "COPY . .").sources).toEqual([
      "mix.exs",
      "mix.lock",
    ]);
  });

  it("manifests copied after the last RUN and before the code are inputs, even when the install comes after the code", () => {
    const read = inputs(
      "FROM maven:3",
      "COPY settings.xml .",
      "RUN apt-get update && cp settings.xml /root/.m2/",
      "COPY pom.xml .",
      "COPY api/pom.xml api/",
      "COPY scripts/banner.txt /etc/",
      "COPY . .",
      "RUN mvn install",
    );
    // The banner copied between them is no manifest: after the whole context, the install re-runs on
    // every change anyway, and the hash is the files it reads, not every file copied first.
    expect(read.sources).toEqual(["settings.xml", "pom.xml", "api/pom.xml"]);
    expect(read.wholeContextFirst).toBe(true);
  });

  it("a stage that copies the pom.xml files a find kept of `COPY . .` installs from them; from a stage holding the code, from code", () => {
    const read = inputs(
      "FROM alpine AS poms",
      "WORKDIR /src",
      "COPY . .",
      "RUN find . -type f ! -name pom.xml -delete",
      "FROM maven:3 AS build",
      "COPY mvnw .",
      "RUN chmod +x mvnw",
      "COPY --from=poms /src .",
      "RUN ./mvnw dependency:go-offline",
      "COPY . .",
    );
    expect(read.sources).toEqual(["mvnw", "**/pom.xml"]);
    expect(read.wholeContextFirst).toBe(false);
    const unfiltered = inputs(
      "FROM alpine AS src",
      "WORKDIR /src",
      "COPY . .",
      "FROM maven:3 AS build",
      "COPY mvnw .",
      "RUN chmod +x mvnw",
      "COPY --from=src /src .",
      "RUN ./mvnw dependency:go-offline",
    );
    expect(unfiltered.sources).toEqual(["mvnw"]);
    expect(unfiltered.wholeContextFirst).toBe(true);
    expect(unfiltered.wholeContextStage).toBe("build");
    // Built files copied out of a stage that holds the code are no code: the manifests stay precise inputs.
    const built = inputs(
      "FROM node:22 AS frontend",
      "WORKDIR /fe",
      "COPY frontend/package.json ./",
      "RUN npm ci",
      "COPY frontend/src ./src",
      "RUN npm run build",
      "FROM python:3.12",
      "COPY --from=frontend /fe/dist ./static",
      "COPY requirements.txt .",
      "RUN pip install -r requirements.txt",
      "COPY . .",
    );
    expect(built.sources).toEqual(["frontend/package.json", "requirements.txt"]);
    expect(built.wholeContextFirst).toBe(false);
    // A stage that copies only manifests brings no code.
    expect(
      inputs(
        "FROM node:22 AS deps",
        "COPY package.json .",
        "RUN npm ci",
        "FROM node:22",
        "COPY --from=deps /node_modules ./node_modules",
        "COPY . .",
        "RUN npm test",
      ).wholeContextFirst,
    ).toBe(false);
  });

  it("a script or make target run after the whole context, with nothing installed before, is taken as the install", () => {
    expect(inputs("FROM maven:3", "COPY bin/build.sh /opt/", "RUN apt-get update", "COPY . /src", "RUN /opt/build.sh /src").wholeContextFirst).toBe(true);
    expect(inputs("FROM golang:1.22", "COPY . .", "RUN make build").wholeContextFirst).toBe(true);
    expect(inputs("FROM golang:1.22", "COPY . .", "RUN bash scripts/build.sh").wholeContextFirst).toBe(true);
    // Dependencies copied from a stage that installed them came first: a script after the code is no install.
    expect(
      inputs(
        "FROM php:8 AS vendor",
        "COPY composer.json .",
        "RUN composer install",
        "FROM php:8",
        "COPY --from=vendor /app/vendor vendor",
        "COPY . .",
        "RUN ./vendor/bin/phpunit --version",
      ).wholeContextFirst,
    ).toBe(false);
    // Built files copied in after the code, from a stage that installed: no install of this stage.
    expect(
      inputs(
        "FROM node:22 AS ui",
        "COPY package.json .",
        "RUN npm ci",
        "COPY ui ui",
        "FROM python:3.12",
        "COPY uv.lock .",
        "RUN uv sync",
        "COPY . .",
        "COPY --from=ui /dist dist",
      ).wholeContextFirst,
    ).toBe(false);
    // Not a script: a system tool, or a chmod of one.
    expect(inputs("FROM golang:1.22", "COPY . .", "RUN /usr/bin/env true && chmod +x run.sh").wholeContextFirst).toBe(false);
  });

  it("ARG defaults and ENV values fill in the copied paths, as BuildKit does", () => {
    expect(
      inputs(
        "FROM mcr.microsoft.com/dotnet/sdk:8.0",
        "ARG SOLUTION=App.sln",
        "ENV REQS=deps",
        "COPY $SOLUTION ./",
        "COPY ${REQS}/ ./deps/",
        "RUN dotnet restore $SOLUTION",
        "COPY . .",
      ).sources,
    ).toEqual(["App.sln", "deps"]);
  });

  it("a folder of code copied before the install ends what is hashed (not the code itself)", () => {
    expect(inputs("FROM node:22", "COPY package.json .", "RUN npm ci", "COPY src/ src/", "RUN npm run build", "COPY . .").sources).toEqual(["package.json"]);
  });
});

describe("init: a Dockerfile that copies nothing of the repository", () => {
  it("depends on itself alone, and a TODO says the tests' image has no code", () => {
    const d = detect(
      repoView({ "dev/Dockerfile": lines("FROM php:8.3-apache", "RUN docker-php-ext-install pdo_mysql"), "composer.json": "{}", "composer.lock": "{}" }),
    );
    const spec = parse(d.spec) as { image: { hash: string[] } };
    expect(spec.image.hash).toEqual(["dev/Dockerfile"]);
    expect(d.todo).toContain(
      "image.target: dev/Dockerfile copies none of the project's code (a bind mount gives it in development): the tests run in the image, so copy the code in (COPY . .) and install its dependencies there",
    );
    // The test command cannot be checked against it: a TODO there too.
    expect(d.todo).toContain(
      "test.command: no stage of the image can run the tests yet (see target): check this command, and the setup it needs (dependencies, a database schema), once one can",
    );
  });

  it("the TODO at the command is said once, also when the context leaves the tests out too", () => {
    const d = detect(
      repoView({
        Dockerfile: lines("FROM php:8.3-apache", "WORKDIR /app", "RUN docker-php-ext-install pdo_mysql"),
        ".dockerignore": "tests/\n",
        "composer.json": JSON.stringify({ require: { "laravel/framework": "^11" } }),
        artisan: "#!/usr/bin/env php\n",
        "tests/ExampleTest.php": "<?php\n",
      }),
    );
    expect(d.todo).toContainEqual(expect.stringMatching(/^image\.target: \.dockerignore leaves every test file out/));
    expect(d.todo.filter((t) => t.startsWith("test.command:") && t.includes("(see target)"))).toHaveLength(1);
  });
});

describe("init: hash inputs, the Yarn release a .yarnrc.yml runs", () => {
  it("yarnPath's file is an input with the .yarnrc.yml that names it", () => {
    const files = {
      Dockerfile: lines(
        "FROM node:22",
        "WORKDIR /app",
        "COPY .yarnrc.yml package.json yarn.lock ./",
        "COPY .yarn/releases/yarn-4.1.1.cjs .yarn/releases/",
        "RUN yarn install --immutable",
        "COPY . .",
      ),
      ".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.1.1.cjs\n",
      ".yarn/releases/yarn-4.1.1.cjs": "",
      "package.json": "{}",
      "yarn.lock": "",
    };
    expect(hashOf(files)).toEqual(expect.arrayContaining([".yarnrc.yml", ".yarn/releases/yarn-4.1.1.cjs"]));
    // No such file in the repository: nothing added.
    const { ".yarn/releases/yarn-4.1.1.cjs": _, ...without } = files;
    expect(hashOf(without)).not.toContain(".yarn/releases/yarn-4.1.1.cjs");
    // A folder of the hash that holds it is enough; a build that does not copy it in does not read it.
    const folder = { ...files, Dockerfile: files.Dockerfile.replace("COPY .yarn/releases/yarn-4.1.1.cjs .yarn/releases/", "COPY .yarn .yarn") };
    expect(hashOf(folder)).toContain(".yarn");
    expect(hashOf(folder)).not.toContain(".yarn/releases/yarn-4.1.1.cjs");
    const notCopied = {
      ...files,
      Dockerfile: files.Dockerfile.replace("COPY .yarn/releases/yarn-4.1.1.cjs .yarn/releases/\n", "").replace("COPY . .\n", "COPY src src\n"),
    };
    expect(hashOf(notCopied)).not.toContain(".yarn/releases/yarn-4.1.1.cjs");
  });
});

describe("init: hash inputs, files bind-mounted into a RUN", () => {
  it("uv.lock and pyproject.toml bound into the install", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
          "WORKDIR /app",
          "RUN --mount=type=cache,target=/root/.cache/uv \\",
          "    --mount=type=bind,source=uv.lock,target=uv.lock \\",
          "    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\",
          "    uv sync --frozen --no-install-project",
          "WORKDIR /app",
          "COPY . /app",
          "RUN uv sync --frozen",
        ),
        "pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\n',
        "uv.lock": "",
        "app/main.py": "",
      }),
    );
    expect(parse(d.spec).image.hash).toEqual(["Dockerfile", "uv.lock", "pyproject.toml"]);
    expect(parse(d.spec).test.command).toBe("uv run pytest");
    expect(d.guessed.join("\n")).not.toContain("before installing");
  });

  it("Cargo.toml and Cargo.lock bound into the build, not the code bound with them; the whole context bound is code", () => {
    const cargo = inputs(
      "FROM rust:1.80 AS build",
      "RUN --mount=type=bind,source=src,target=src --mount=type=bind,source=Cargo.toml,target=Cargo.toml --mount=type=bind,source=Cargo.lock,target=Cargo.lock --mount=type=cache,target=/app/target cargo build --locked --release",
    );
    expect(cargo.sources).toEqual(["Cargo.toml", "Cargo.lock"]);
    const go = inputs(
      "FROM golang:1.22",
      "RUN --mount=type=bind,source=go.sum,target=go.sum --mount=type=bind,source=go.mod,target=go.mod go mod download",
      "RUN --mount=type=bind,target=. go build -o /bin/server .",
    );
    expect(go.sources).toEqual(["go.sum", "go.mod"]);
    // A bind mount from another stage is not a context file.
    expect(inputs("FROM node:22 AS a", "FROM node:22", "RUN --mount=type=bind,from=a,source=/x,target=/x npm ci").sources).toEqual([]);
  });
});

describe("init: hash inputs of a base image the repository builds", () => {
  const base = {
    "Dockerfile.base": lines("FROM python:3.12", "COPY requirements.txt .", "RUN pip install -r requirements.txt"),
    "requirements.txt": "pytest\n",
    "app.py": "",
  };

  it("built by a compose service: its Dockerfile and inputs are hash inputs; its toolchain is the image's", () => {
    const d = detect(
      repoView({
        ...base,
        Dockerfile: lines("FROM myorg/app-base:latest", "WORKDIR /app", "COPY . /app"),
        "compose.yaml": "services:\n  base:\n    image: myorg/app-base\n    build: { context: ., dockerfile: Dockerfile.base }\n  app:\n    build: .\n",
      }),
    );
    expect(parse(d.spec).image.hash).toEqual(["Dockerfile", "requirements.txt", "Dockerfile.base"]);
    expect(parse(d.spec).test.command).toBe("pytest");
    expect(d.found).toContain("base image myorg/app-base:latest: built by Dockerfile.base (compose.yaml service base builds it); its inputs are hash inputs");
    expect(d.todo).toEqual([]);
  });

  it("an ARG default names it, a Makefile's docker build makes it; a folder of its own is its context", () => {
    const d = detect(
      repoView({
        "base/Dockerfile": lines("FROM node:22", "COPY package.json package-lock.json ./", "RUN npm ci"),
        "base/package.json": '{"scripts": {"test": "jest"}}',
        "base/package-lock.json": "{}",
        Makefile: "base:\n\tdocker build -t acme/node-base:dev ./base\n",
        Dockerfile: lines("ARG BASE=acme/node-base:dev", "FROM $BASE", "WORKDIR /app", "COPY . /app"),
        "index.js": "",
      }),
    );
    expect(parse(d.spec).image.hash).toEqual(["Dockerfile", "base/Dockerfile", "base/package.json", "base/package-lock.json"]);
    expect(d.found.join("\n")).toContain("built by base/Dockerfile (Makefile builds it)");
  });

  it("found by its Dockerfile's name only: taken, with a TODO", () => {
    const d = detect(repoView({ ...base, Dockerfile: lines("FROM myorg/app-base", "WORKDIR /app", "COPY . /app") }));
    expect(parse(d.spec).image.hash).toEqual(["Dockerfile", "requirements.txt", "Dockerfile.base"]);
    expect(d.todo).toEqual(["image.hash: myorg/app-base is taken as built by Dockerfile.base (by its name): check, and drop it from hash if not"]);
  });
});

describe("init: only the stages the tests run in count", () => {
  it("hash inputs come from the test stage's chain and the stages it copies from, not from later stages", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS assets",
          "COPY ui/package.json ui/package-lock.json /ui/",
          "RUN cd /ui && npm ci",
          "COPY ui /ui",
          "RUN cd /ui && npm run build",
          "FROM python:3.12 AS test",
          "COPY requirements.txt .",
          "RUN pip install -r requirements.txt",
          "COPY --from=assets /ui/dist /app/static",
          "WORKDIR /app",
          "COPY . /app",
          "FROM python:3.12-slim AS docs",
          "COPY . /docs",
          "RUN pip install mkdocs && mkdocs build",
        ),
        "ui/package.json": "{}",
        "ui/package-lock.json": "{}",
        "ui/main.js": "",
        "requirements.txt": "pytest\n",
        "app.py": "",
        "docs/requirements.txt": "mkdocs\n",
      }),
    );
    expect(parse(d.spec).image).toMatchObject({ target: "test", hash: ["Dockerfile", "ui/package.json", "ui/package-lock.json", "requirements.txt"] });
    // The docs stage copies everything before its install, but the tests never build it: no warning.
    expect(d.guessed.join("\n")).not.toContain("before installing");
  });
});

describe("init: the warning on a stage that copies the code before installing", () => {
  it("fires for the test stage's chain, with its ecosystem's manifests in the advice", () => {
    const go = detect(
      repoView({ Dockerfile: lines("FROM golang:1.22", "COPY . .", "RUN go mod download && go build"), "go.mod": "", "go.sum": "", "main.go": "" }),
    );
    const note = go.guessed.find((g) => g.includes("before installing"))!;
    expect(note).toContain("copy the manifests first (e.g. 'COPY go.mod go.sum ./', then 'RUN go mod download', then 'COPY . .')");
    expect(note).not.toMatch(/pip|requirements/);
    expect(parse(go.spec).image.hash).toEqual(["Dockerfile", "go.mod", "go.sum"]);
    const rust = detect(
      repoView({ Dockerfile: lines("FROM rust:1.80", "COPY Cargo.toml .", "COPY src src", "RUN cargo build"), "Cargo.toml": "", "src/main.rs": "" }),
    );
    expect(rust.guessed.join("\n")).toContain(
      "the Dockerfile copies the code ('src') before installing dependencies, so the install step re-runs on every code change: copy the manifests first (e.g. 'COPY Cargo.toml Cargo.lock ./', then 'RUN cargo fetch'",
    );
  });

  it("a stage built on one that installed first does not fire it; nor does a later stage the tests do not use", () => {
    const d = detect(
      repoView({
        Dockerfile: lines(
          "FROM node:22 AS deps",
          "COPY package.json package-lock.json ./",
          "RUN npm ci",
          "FROM deps AS test",
          "COPY . .",
          "RUN npm run build",
          "FROM node:22 AS storybook",
          "COPY . .",
          "RUN npm ci && npm run storybook:build",
        ),
        "package.json": '{"scripts": {"test": "jest"}}',
        "package-lock.json": "{}",
        "src/a.js": "",
      }),
    );
    expect(parse(d.spec).image).toMatchObject({ target: "test", hash: ["Dockerfile", "package.json", "package-lock.json"] });
    expect(d.guessed.join("\n")).not.toContain("before installing");
  });

  it("only the image's ecosystem's manifests are added when the Dockerfile names none", () => {
    expect(hashOf({ Dockerfile: lines("FROM golang:1.22", "COPY . .", "RUN go build"), "go.mod": "", "package.json": "{}", "requirements.txt": "" })).toEqual([
      "Dockerfile",
      "go.mod",
    ]);
  });
});

describe("init: base images by tag", () => {
  it("names the test stage's base images pulled by tag (the cache heals when one moves; a digest never moves); not a digest, scratch or a base built here", () => {
    const found = (files: Record<string, string>) => detect(repoView(files)).found.filter((f) => f.includes("by tag, not digest"));
    const tagged = found({
      Dockerfile: lines("FROM python:3.12-slim AS deps", "COPY requirements.txt .", "RUN pip install -r requirements.txt", "FROM deps AS test", "COPY . ."),
      "requirements.txt": "",
    });
    expect(tagged).toEqual([expect.stringMatching(/^base image by tag, not digest: python:3\.12-slim\. When a tag moves, the next pipeline rebuilds/)]);
    expect(found({ Dockerfile: lines("FROM python:3.12-slim@sha256:" + "a".repeat(64), "COPY . .") })).toEqual([]);
    expect(found({ Dockerfile: lines("FROM scratch", "COPY app /app"), app: "" })).toEqual([]);
  });
});

describe("init: a workspace's member manifests, when the whole context is copied before the install", () => {
  const copiesAll = (from: string, install: string) => lines(`FROM ${from}`, "WORKDIR /app", "COPY . .", `RUN ${install}`);
  it("pnpm's packages, npm's and yarn's workspaces: each member's package.json, as a glob where the workspace says one", () => {
    expect(
      hashOf({
        Dockerfile: copiesAll("node:22", "pnpm install"),
        "package.json": "{}",
        "pnpm-lock.yaml": "",
        "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n  - '!**/test/**'\n",
        "packages/a/package.json": "{}",
        "packages/b/package.json": "{}",
        "packages/a/index.js": "",
      }),
    ).toEqual(["Dockerfile", "package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", "packages/*/package.json"]);
    expect(
      hashOf({
        Dockerfile: copiesAll("node:22", "npm ci"),
        "package.json": JSON.stringify({ workspaces: { packages: ["apps/web", "libs/*"] } }),
        "package-lock.json": "",
        "apps/web/package.json": "{}",
        "libs/ui/package.json": "{}",
      }),
    ).toEqual(["Dockerfile", "package.json", "package-lock.json", "apps/web/package.json", "libs/*/package.json"]);
  });

  it("cargo's members and rust-toolchain.toml; Gradle's includes and its wrapper and version catalog; Maven's modules", () => {
    expect(
      hashOf({
        Dockerfile: copiesAll("rust:1.80", "cargo build"),
        "Cargo.toml":
          '[workspace]\nmembers = [\n  "crates/core",\n  "crates/api/*",\n]\n\n[workspace.dependencies]\nextra = { path = "./crates/extra" }\n# old = { path = "crates/old" }\n\n[profile.release]\nlto = true\n',
        "Cargo.lock": "",
        "rust-toolchain.toml": "",
        "crates/core/Cargo.toml": "",
        "crates/api/v1/Cargo.toml": "",
        "crates/extra/Cargo.toml": "",
        "crates/old/Cargo.toml": "",
      }),
    ).toEqual([
      "Dockerfile",
      "Cargo.toml",
      "Cargo.lock",
      "rust-toolchain.toml",
      "crates/core/Cargo.toml",
      "crates/api/*/Cargo.toml",
      "crates/extra/Cargo.toml",
    ]);
    expect(
      hashOf({
        Dockerfile: copiesAll("gradle:8-jdk21", "gradle build"),
        "settings.gradle.kts": 'rootProject.name = "x"\ninclude(":app", ":lib:core")\n',
        "build.gradle.kts": "",
        "app/build.gradle.kts": "",
        "lib/core/build.gradle.kts": "",
        "gradle/libs.versions.toml": "",
        "gradle/wrapper/gradle-wrapper.properties": "",
      }),
    ).toEqual([
      "Dockerfile",
      "settings.gradle.kts",
      "build.gradle.kts",
      "app/build.gradle.kts",
      "lib/core/build.gradle.kts",
      "gradle/libs.versions.toml",
      "gradle/wrapper/gradle-wrapper.properties",
    ]);
    expect(
      hashOf({
        Dockerfile: copiesAll("maven:3.9", "mvn -B package"),
        "pom.xml": "<project><modules><module>api</module><module>web</module></modules></project>",
        "api/pom.xml": "<project><modules><module>sub</module></modules></project>",
        "api/sub/pom.xml": "<project/>",
        "web/pom.xml": "<project/>",
      }),
    ).toEqual(["Dockerfile", "pom.xml", "api/pom.xml", "api/sub/pom.xml", "web/pom.xml"]);
  });

  it("a workspace declaration copied before the install brings its members' manifests, of its own ecosystem", () => {
    expect(
      hashOf({
        Dockerfile: lines(
          "FROM node:22 AS ui",
          "COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./",
          "COPY charts charts",
          "RUN pnpm install",
          "COPY client client",
          "FROM python:3.12",
          "COPY requirements.txt .",
          "RUN pip install -r requirements.txt",
          "COPY . .",
          "COPY --from=ui /client/dist client/dist",
        ),
        "package.json": "{}",
        "pnpm-lock.yaml": "",
        "pnpm-workspace.yaml": "packages: [charts]\n",
        "charts/package.json": "{}",
        "charts/index.js": "",
        "client/app.js": "",
        "requirements.txt": "",
        "app.py": "",
      }),
    ).toEqual(["Dockerfile", "package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", "requirements.txt", "charts/package.json"]);
  });

  it("what Bundler reads with the Gemfile: the gemspec, gems from a path, eval_gemfile, the Ruby version file", () => {
    expect(
      hashOf({
        Dockerfile: copiesAll("ruby:3.3", "bundle install"),
        Gemfile: [
          'source "https://rubygems.org"',
          'ruby file: ".ruby-version"',
          "gemspec",
          'gem "catalog", path: "./engines/catalog"',
          "gem 'web', path: 'engines/web' # the storefront",
          'eval_gemfile "Gemfile.plugins"',
          '# gem "old", path: "engines/old"',
        ].join("\n"),
        "Gemfile.lock": "",
        ".ruby-version": "3.3.4",
        "shop.gemspec": "",
        "engines/catalog/catalog.gemspec": "",
        "engines/web/web.gemspec": "",
        "engines/old/old.gemspec": "",
        "Gemfile.plugins": "",
      }),
    ).toEqual(["Dockerfile", "Gemfile", "Gemfile.lock", ".ruby-version", "*.gemspec", "engines/catalog/*.gemspec", "engines/web/*.gemspec", "Gemfile.plugins"]);
  });

  it("a .slnx solution's projects", () => {
    expect(
      hashOf({
        Dockerfile: copiesAll("mcr.microsoft.com/dotnet/sdk:10.0", "dotnet restore App.slnx"),
        "App.slnx": '<Solution>\n  <Folder Name="/src/">\n    <Project Path="src/Web/Web.csproj" />\n  </Folder>\n</Solution>\n',
        "src/Web/Web.csproj": "",
      }),
    ).toEqual(["Dockerfile", "App.slnx", "src/Web/Web.csproj"]);
  });

  it("a .NET solution's projects; not a member the workspace does not name, nor one that is not there", () => {
    expect(
      hashOf({
        Dockerfile: copiesAll("mcr.microsoft.com/dotnet/sdk:8.0", "dotnet restore App.sln"),
        "App.sln":
          'Project("{FAE04EC0}") = "Web", "src\\Web\\Web.csproj", "{1}"\nEndProject\nProject("{FAE04EC0}") = "Gone", "src\\Gone\\Gone.csproj", "{2}"\nEndProject\n',
        "src/Web/Web.csproj": "",
        "tools/Other/Other.csproj": "",
      }),
    ).toEqual(["Dockerfile", "App.sln", "src/Web/Web.csproj"]);
  });
});

describe("init: a Dockerfile that copies the whole context before installing", () => {
  it("the manifests are a guess: a TODO at the hash says so", () => {
    const d = detect(repoView({ Dockerfile: lines("FROM ruby:3.3", "COPY . .", "RUN bundle install"), Gemfile: "", "Gemfile.lock": "" }));
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^image\.hash: the Dockerfile copies the whole context before installing, so no line of it says which files/),
    );
  });
});

describe("init: an install after the whole context that names its requirement files", () => {
  const python = (run: string) => ({
    Dockerfile: lines("FROM python:3.13", "WORKDIR /code", "COPY . .", run),
    "requirements.txt": "django\n",
    "requirements-dev.txt": "-r requirements.txt\n-c constraints/ci.txt\npytest\n",
    "constraints/ci.txt": "",
    "pyproject.toml": "[tool.pytest.ini_options]\n",
    "setup.cfg": "[flake8]\n",
  });
  it("takes the files pip names and those they include, not every manifest of the context", () => {
    const files = python("RUN pip install --upgrade pip && pip install --no-cache-dir -r requirements-dev.txt");
    expect(hashOf(files)).toEqual(["Dockerfile", "requirements-dev.txt", "requirements.txt", "constraints/ci.txt"]);
    expect(detect(repoView(files)).todo).toContainEqual(
      expect.stringMatching(/^image\.hash: the Dockerfile copies the whole context before installing: these are the files its install names/),
    );
  });
  it("an install of the project itself, a path, or a named file that is not there: the context's manifests, as before", () => {
    for (const run of [
      "RUN pip install -r requirements.txt && pip install -e .",
      "RUN pip install ./vendor/lib.whl",
      "RUN pip install -r requirements/missing.txt",
      "RUN ./install.sh",
    ])
      expect(hashOf(python(run))).toEqual(expect.arrayContaining(["pyproject.toml", "setup.cfg"]));
  });
});

describe("init: a stage that keeps only some files of the repository (find ... ! -name pom.xml -delete)", () => {
  it("brings those files, not the code: every such file is an input, with the files copied beside it before the install", () => {
    const files = {
      Dockerfile: lines(
        "FROM eclipse-temurin:17 AS poms",
        "WORKDIR /usr/src",
        "COPY . .",
        "RUN find . -type f -and \\! -name pom.xml -and \\! -name '*.jar' -delete",
        "FROM eclipse-temurin:17 AS build",
        "WORKDIR /usr/src",
        "COPY mvnw ./",
        "RUN chmod +x mvnw",
        "COPY .mvn/wrapper .mvn/wrapper",
        "COPY --from=poms /usr/src/ .",
        "RUN ./mvnw -B dependency:go-offline",
        "COPY . .",
        "RUN ./mvnw -B install -DskipTests",
        "FROM eclipse-temurin:17-jre",
        "COPY --from=build /usr/src/app.jar /app.jar",
      ),
      mvnw: "",
      ".mvn/wrapper/maven-wrapper.properties": "",
      "pom.xml": "<project><modules><module>core</module></modules></project>",
      "core/pom.xml": "<project/>",
      "core/src/test/resources/plugin.jar": "",
      "core/src/main/java/A.java": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "mvnw", ".mvn/wrapper", "**/pom.xml", "**/*.jar"]);
    // Files the context leaves out are none of its inputs: the glob is written as the files it brings.
    const ignoring = { ...files, ".dockerignore": "build/\n", "build/ci/pom.xml": "" };
    expect(hashOf(ignoring)).toEqual(["Dockerfile", ".dockerignore", "mvnw", ".mvn/wrapper", "pom.xml", "core/pom.xml", "**/*.jar"]);
    // A find that deletes some names keeps the rest: the code.
    const deletes = { ...files, Dockerfile: files.Dockerfile.replace("-and \\! -name pom.xml -and \\! -name '*.jar' -delete", "-name '*.md' -delete") };
    expect(hashOf(deletes)).not.toContain("**/pom.xml");
  });
});

describe("init: an install script run after the whole context is copied", () => {
  it("is an input, and the ecosystem of what it runs says which manifests count", () => {
    const files = {
      Dockerfile: lines("FROM acme/nginx-php:8 AS base", "WORKDIR /srv", "COPY . .", "RUN ./scripts/setup", "FROM base AS web", "COPY nginx.conf /etc/nginx/"),
      "scripts/setup": "#!/bin/bash\ncomposer install --no-interaction\ncp .env.example .env\nphp artisan key:generate\n",
      "composer.json": "{}",
      "composer.lock": "{}",
      "package.json": "{}",
      "yarn.lock": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "scripts/setup", "composer.json", "composer.lock"]);
    // A script of two ecosystems says nothing of which: the context's manifests stay.
    const both = { ...files, "scripts/setup": "composer install\nyarn install\n" };
    expect(hashOf(both)).toEqual(expect.arrayContaining(["scripts/setup", "composer.json", "package.json"]));
  });
});

describe("init: a dependency recipe derived from the repository (cargo chef)", () => {
  it("a COPY --from the stage that ran `cargo chef prepare` brings the workspace's manifests and lock file", () => {
    const files = {
      Dockerfile: lines(
        "FROM lukemathwalker/cargo-chef:latest-rust-1 AS chef",
        "WORKDIR /app",
        "FROM chef AS planner",
        "COPY . .",
        "RUN cargo chef prepare --recipe-path recipe.json",
        "FROM chef AS builder",
        "COPY --from=planner /app/recipe.json recipe.json",
        "RUN cargo chef cook --release --recipe-path recipe.json",
        "COPY . .",
        "RUN cargo build --release",
        "FROM debian:12-slim",
        "COPY --from=builder /app/target/release/server /usr/bin/server",
      ),
      "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
      "Cargo.lock": "",
      "crates/api/Cargo.toml": "",
      "crates/api/src/lib.rs": "",
      "crates/db/Cargo.toml": "",
      "crates/db/src/lib.rs": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "Cargo.toml", "Cargo.lock", "crates/*/Cargo.toml"]);
  });
});

describe("init: the guessed manifests are those the build copies in", () => {
  const files = {
    Dockerfile: lines(
      "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build",
      "ARG SOLUTION=Shop.sln",
      "WORKDIR /app",
      "COPY $SOLUTION ./",
      "COPY src/ ./src",
      "COPY test/ ./test",
      "COPY nuget.config ./",
      "RUN dotnet build $SOLUTION -c Release",
      "FROM mcr.microsoft.com/dotnet/aspnet:10.0",
      "COPY --from=build /app/publish .",
    ),
    "Dockerfile.dockerignore": "**/bin\n",
    ".dockerignore": "**/obj\n",
    "Shop.sln": 'Project("{X}") = "Web", "src\\Web\\Web.csproj", "{1}"\nEndProject\nProject("{X}") = "Tests", "test\\Tests\\Tests.csproj", "{2}"\nEndProject\n',
    "Tools.sln": 'Project("{X}") = "Pack", "tools\\Pack\\Pack.csproj", "{3}"\nEndProject\n',
    "Directory.Build.props": "",
    "nuget.config": "",
    "src/Directory.Build.props": "",
    "src/Web/Directory.Build.targets": "",
    "src/Web/Web.csproj": "",
    "src/Web/Program.cs": "",
    "test/Directory.Packages.props": "",
    "test/Tests/Tests.csproj": "",
    "test/Tests/UnitTest.cs": "",
    "tools/Pack/Pack.csproj": "",
  };
  it("not a root file or another solution's projects it never copies; the Dockerfile's own .dockerignore only; nested MSBuild imports", () => {
    const hash = hashOf(files);
    expect(hash).toEqual(
      expect.arrayContaining(["Dockerfile", "Dockerfile.dockerignore", "Shop.sln", "nuget.config", "src/Web/Web.csproj", "test/Tests/Tests.csproj"]),
    );
    expect(hash).toEqual(expect.arrayContaining(["src/Directory.Build.props", "src/Web/Directory.Build.targets", "test/Directory.Packages.props"]));
    for (const left of [".dockerignore", "Directory.Build.props", "Tools.sln", "tools/Pack/Pack.csproj"]) expect(hash).not.toContain(left);
  });
});

describe("init: Mix's configuration, read when the dependencies compile", () => {
  it("config/*.exs copied before `mix deps.compile` are inputs, the quoted `${MIX_ENV}` name filled in from ENV", () => {
    expect(
      inputs(
        "FROM hexpm/elixir:1.17.2-erlang-27.0-debian-bookworm-20240722 AS builder",
        'ENV MIX_ENV="prod"',
        "COPY mix.exs mix.lock ./",
        "RUN mix deps.get --only $MIX_ENV",
        "RUN mkdir config",
        'COPY config/config.exs "config/${MIX_ENV}.exs" config/',
        "RUN mix deps.compile",
        "COPY lib lib",
        "RUN mix compile",
      ).sources,
    ).toEqual(["mix.exs", "mix.lock", "config/config.exs", "config/prod.exs"]);
  });

  it("a whole config folder of .exs files is configuration; a folder with other sources stays code", () => {
    const files = { Dockerfile: "", "mix.exs": "", "mix.lock": "", "config/config.exs": "", "config/test.exs": "", "lib/app.ex": "" };
    const df = lines("FROM elixir:1.17 AS build", "COPY mix.exs mix.lock ./", "COPY config config", "RUN mix deps.get", "COPY lib lib", "RUN mix compile");
    expect(hashOf({ ...files, Dockerfile: df })).toEqual(["Dockerfile", "mix.exs", "mix.lock", "config"]);
    // Rails' config/ holds Ruby code (initializers): copied before bundle install it ends the inputs.
    const rails = lines("FROM ruby:3.3", "COPY Gemfile Gemfile.lock ./", "RUN bundle install", "COPY config config", "RUN bundle exec rake assets:precompile");
    expect(hashOf({ Dockerfile: rails, Gemfile: "", "Gemfile.lock": "", "config/application.rb": "" })).toEqual(["Dockerfile", "Gemfile", "Gemfile.lock"]);
  });

  it("the install is the last RUN that installs before the code: a later RUN that prepares (a PLT) does not pull its copies in", () => {
    expect(
      inputs(
        "FROM elixir:1.17",
        "COPY mix.exs mix.lock ./",
        "RUN mix deps.get",
        "COPY config/config.exs config/test.exs ./config/",
        "RUN mix deps.compile",
        "COPY .formatter.exs .credo.exs ./",
        'RUN if [ "$DIALYZER" = "true" ]; then mix dialyzer --plt; fi',
        "COPY lib lib",
        "RUN mix compile",
      ).sources,
    ).toEqual(["mix.exs", "mix.lock", "config/config.exs", "config/test.exs"]);
    // With no install before the code, the last RUN before it still ends the inputs.
    expect(inputs("FROM alpine:3", "COPY deps.txt .", "RUN cat deps.txt", "COPY src src", "RUN make").sources).toEqual(["deps.txt"]);
  });
});

describe("init: pip's requirement files in a folder of their own", () => {
  it("the folder copied before the install is the Python manifests: the root requirements.txt is no guess to add", () => {
    const files = {
      Dockerfile: lines(
        "FROM python:3.12-slim",
        "ADD requirements/ /requirements/",
        "RUN pip install -r /requirements/production.txt",
        "WORKDIR /code",
        "ADD . /code/",
        "RUN python manage.py collectstatic --noinput",
      ),
      "requirements/base.txt": "",
      "requirements/production.txt": "-r base.txt\n",
      "requirements.txt": "-r requirements/production.txt\n",
      "manage.py": "",
      "shop/views.py": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "requirements"]);
    // A folder of other files (no requirement file in it) is still no Python manifest: the guess stays.
    const other = { ...files, Dockerfile: files.Dockerfile.replaceAll("requirements/", "deps/"), "deps/base.txt": "" };
    expect(hashOf(other)).toContain("requirements.txt");
  });
});

describe("init: an install of another tool after the whole context is copied", () => {
  it("its manifests are inputs too (`npm ci` in a Ruby image), beside the image's own", () => {
    const files = {
      Dockerfile: lines(
        "FROM ruby:3.3-alpine AS build",
        "COPY Gemfile* ./",
        "RUN bundle install",
        "FROM ruby:3.3-alpine",
        "WORKDIR /app",
        "COPY . .",
        "RUN npm ci",
        "COPY --from=build /usr/local/bundle/ /usr/local/bundle/",
      ),
      Gemfile: "",
      "Gemfile.lock": "",
      "package.json": "{}",
      "package-lock.json": "{}",
      "app/models/user.rb": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "Gemfile*", "Gemfile", "Gemfile.lock", "package.json", "package-lock.json"]);
    // An image that installs nothing of node's leaves its manifests out.
    expect(hashOf({ ...files, Dockerfile: files.Dockerfile.replace("RUN npm ci", "RUN bin/rails assets:precompile") })).not.toContain("package.json");
  });
});

describe("init: an install in a copied folder after the code", () => {
  it("reads the manifests at that folder's top (`cd assets && npm ci`, `npm ci --prefix assets`), in the chain or a stage copied from", () => {
    const files = {
      "mix.exs": "",
      "mix.lock": "",
      "lib/app.ex": "",
      "assets/package.json": "{}",
      "assets/package-lock.json": "{}",
      "assets/js/app.js": "",
      "package.json": "{}",
    };
    const chain = lines(
      "FROM elixir:1.17 AS builder",
      "COPY mix.exs mix.lock ./",
      "RUN mix deps.get",
      "COPY lib lib",
      "COPY assets assets",
      "RUN cd assets && npm ci",
    );
    expect(hashOf({ ...files, Dockerfile: chain })).toEqual(["Dockerfile", "mix.exs", "mix.lock", "assets/package.json", "assets/package-lock.json"]);
    const stage = lines(
      "FROM node:20 AS npm-builder",
      "WORKDIR /app",
      "COPY assets assets",
      "RUN npm ci --prefix assets",
      "FROM elixir:1.17 AS builder",
      "COPY mix.exs mix.lock ./",
      "RUN mix deps.get",
      "COPY --from=npm-builder /app/assets assets",
      "COPY lib lib",
      "RUN mix compile",
    );
    expect(hashOf({ ...files, Dockerfile: stage })).toEqual(["Dockerfile", "mix.exs", "mix.lock", "assets/package.json", "assets/package-lock.json"]);
    // A folder the build never copied (made by the image, an absolute path) names nothing of the repository.
    const made = chain.replace("COPY assets assets\n", "").replace("cd assets", "mkdir -p /srv/assets && cd /srv/assets");
    expect(hashOf({ ...files, Dockerfile: made })).toEqual(["Dockerfile", "mix.exs", "mix.lock"]);
  });
});

describe("init: installs a make target runs after the whole context is copied", () => {
  it("the recipes of the target and its prerequisites say which tools install: their manifests are inputs, not the Makefile", () => {
    const makefile = lines(
      "VERSION := 1.0",
      ".PHONY: all install build",
      "all: clean install build",
      "clean:",
      "\trm -rf dist",
      "install:",
      '\t@npm ci || (echo "npm failed" && exit 1)',
      "\t@go mod download",
      "build:",
      "\tgo build -o app .",
    );
    const files = {
      "go.mod": "",
      "go.sum": "",
      "package.json": "{}",
      "package-lock.json": "{}",
      "main.go": "",
      "main_test.go": "",
      Makefile: makefile,
    };
    const dockerfile = (run: string) => lines("FROM golang:1.22", "RUN apk add nodejs npm make", "WORKDIR /src", "COPY . .", run);
    // `make install`, and `make` (the default goal, `all`, whose prerequisites include install), with jobs.
    for (const run of ["RUN make install", "RUN make"])
      expect(hashOf({ ...files, Dockerfile: dockerfile(run) }).sort()).toEqual(["Dockerfile", "go.mod", "go.sum", "package-lock.json", "package.json"]);
    // The target named after the jobs flag, whose value is optional (`-j`, `-j 4`, `-j$(nproc)`), not the default goal.
    const helpFirst = { ...files, Makefile: lines("help:", "\t@echo targets", makefile) };
    for (const run of ["RUN make -j$(nproc) install", "RUN make -j 4 install", "RUN make -j install"])
      expect(hashOf({ ...helpFirst, Dockerfile: dockerfile(run) }).sort()).toEqual(["Dockerfile", "go.mod", "go.sum", "package-lock.json", "package.json"]);
    // A target whose recipe installs nothing says nothing: the image's own ecosystem's manifests, as before.
    expect(hashOf({ ...files, Dockerfile: dockerfile("RUN make build") }).sort()).toEqual(["Dockerfile", "go.mod", "go.sum"]);
  });
});

describe("init: a second install after some of the code (assets, then Mix)", () => {
  it("reads what was copied for it after that code, since the RUN before it; only manifests when nothing installed before the code", () => {
    const files = {
      "assets/package.json": "{}",
      "assets/package-lock.json": "{}",
      "assets/js/app.js": "",
      "priv/repo/seeds.exs": "",
      "mix.exs": "",
      "mix.lock": "",
      "config/config.exs": "",
      "config/test.exs": "",
      "lib/app.ex": "",
      "test/app_test.exs": "",
      Dockerfile: lines(
        "FROM elixir:1.16 AS builder",
        "COPY assets/package.json assets/package-lock.json ./assets/",
        "RUN npm install --prefix=assets",
        "COPY priv priv",
        "COPY assets assets",
        "RUN npm run build --prefix=assets",
        "COPY mix.exs mix.lock ./",
        "COPY config config",
        "RUN mix deps.get --only prod",
        "COPY lib lib",
        "RUN mix deps.compile",
      ),
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "assets/package.json", "assets/package-lock.json", "mix.exs", "mix.lock", "config"]);
    // A global install of a tool (pnpm) is no install of the project: the install comes after the
    // code, and of what was copied since, only manifests count (it re-runs on every change anyway).
    const whole = inputs("FROM node:22", "RUN npm install --global pnpm", "COPY package.json ./", "COPY lib lib", "COPY notes.txt ./", "RUN pnpm install");
    expect(whole.sources).toEqual(["package.json"]);
    expect(whole.wholeContextFirst).toBe(true);
  });
});

describe("init: installs after the whole context that name their files, beside one in a folder", () => {
  it("pip's named files, the folder's manifests (pushd), a built package naming none; a script then is no install", () => {
    const files = {
      "requirements/base.txt": "django\n",
      "requirements/postgres.txt": "-r base.txt\npsycopg\n",
      "requirements/pkg.pc": "",
      "setup.py": "",
      "web/package.json": "{}",
      "web/package-lock.json": "{}",
      "app/tests/test_models.py": "",
      "tests/check-build": "#!/bin/sh\n",
      Dockerfile: lines(
        "FROM python:3.12",
        "WORKDIR /src",
        "COPY ./requirements/pkg.pc /usr/lib/pkgconfig/pkg.pc",
        "COPY . /src/",
        "RUN pip install --upgrade pip wheel && pip install -r requirements/postgres.txt",
        "RUN pushd web/ && npm install && popd",
        "RUN ./tests/check-build && pip install dist/app-*.tar.gz",
      ),
    };
    expect(hashOf(files).sort()).toEqual(["Dockerfile", "requirements/base.txt", "requirements/postgres.txt", "web/package-lock.json", "web/package.json"]);
  });
});

describe("init: the Python manifests an install tool reads, after the whole context", () => {
  it("uv reads pyproject.toml and uv.lock, not a poetry.lock left from before; poetry reads its own lock", () => {
    const files = { "pyproject.toml": "", "uv.lock": "", "poetry.lock": "", "requirements.txt": "", "app/main.py": "", "tests/test_main.py": "" };
    const dockerfile = (install: string) => lines("FROM python:3.12", "RUN pip install uv poetry", "WORKDIR /app", "COPY . .", `RUN ${install}`);
    expect(hashOf({ ...files, Dockerfile: dockerfile("uv sync --all-extras") }).sort()).toEqual(["Dockerfile", "pyproject.toml", "uv.lock"]);
    expect(hashOf({ ...files, Dockerfile: dockerfile("poetry install") }).sort()).toEqual(["Dockerfile", "poetry.lock", "pyproject.toml"]);
    // A tool whose files are not known here (pipenv, pip on the project): every Python manifest stays.
    expect(hashOf({ ...files, Dockerfile: dockerfile("pip install .") }).sort()).toEqual([
      "Dockerfile",
      "poetry.lock",
      "pyproject.toml",
      "requirements.txt",
      "uv.lock",
    ]);
  });
});

describe("init: an install of named packages is a tool's, not the project's", () => {
  it("`pip install --upgrade pip`, `gem install bundler` before `COPY . .` leave the install after it a whole-context one", () => {
    for (const tool of ["RUN pip install --upgrade pip setuptools==69.0", "RUN python -m pip install uv", "RUN gem install bundler"]) {
      const read = inputs("FROM python:3.12", tool, "WORKDIR /app", "COPY . .", "RUN pip install -r requirements.txt");
      expect(read.wholeContextFirst).toBe(true);
    }
    // A requirement file or the project itself is the project's install.
    expect(
      inputs("FROM python:3.12", "COPY requirements.txt .", "RUN pip install -r requirements.txt", "COPY . .", "RUN pip install .").wholeContextFirst,
    ).toBe(false);
  });
});

describe("init: Symfony Flex's lock", () => {
  it("is read by the Composer install with composer.json and composer.lock", () => {
    const files = { "composer.json": "{}", "composer.lock": "{}", "symfony.lock": "{}", "src/Kernel.php": "", "tests/KernelTest.php": "" };
    const dockerfile = lines(
      "FROM php:8.3-cli",
      "COPY --from=composer:2 /usr/bin/composer /usr/bin/composer",
      "WORKDIR /app",
      "COPY . .",
      "RUN composer install",
    );
    expect(hashOf({ ...files, Dockerfile: dockerfile }).sort()).toEqual(["Dockerfile", "composer.json", "composer.lock", "symfony.lock"]);
  });
});

describe("init: installs after the whole context, read with care", () => {
  it("a Makefile prerequisite that is a function call or pattern is no target (and breaks nothing)", () => {
    const makefile = lines("build: $(wildcard src/*.py) %.o deps", "\tpython -m build", "deps:", "\tnpm ci");
    expect(makeCommands(makefile, "build")).toEqual(["npm ci", "python -m build"]);
  });

  it("a make target beside a visible install is no install: `bundle install && make assets` keeps the Gemfile", () => {
    const files = {
      Gemfile: "",
      "Gemfile.lock": "",
      "package.json": "{}",
      "app/models/user.rb": "",
      "test/user_test.rb": "",
      Makefile: lines("assets:", "\tyarn install"),
    };
    const dockerfile = lines("FROM ruby:3.3", "WORKDIR /app", "COPY . .", "RUN bundle install && make assets");
    expect(hashOf({ ...files, Dockerfile: dockerfile }).sort()).toEqual(["Dockerfile", "Gemfile", "Gemfile.lock"]);
  });

  it("pip (or `uv pip`) among the installs reads files it is given: every Python manifest stays", () => {
    const files = { "pyproject.toml": "", "uv.lock": "", "requirements.txt": "", "app/main.py": "", "tests/test_main.py": "" };
    const dockerfile = lines("FROM python:3.12", "RUN pip install uv", "WORKDIR /app", "COPY . .", "RUN uv pip install --system -r requirements.txt -e .");
    expect(hashOf({ ...files, Dockerfile: dockerfile }).sort()).toEqual(["Dockerfile", "pyproject.toml", "requirements.txt", "uv.lock"]);
  });
});

describe("init: a manifest the .dockerignore leaves out", () => {
  it("is no input of an image that copies the whole context: the build never sees it", () => {
    const files = {
      Dockerfile: lines("FROM php:8.3-apache", "ADD . /var/www/app"),
      "composer.json": "{}",
      "composer.lock": "{}",
      "app/index.php": "",
      "tests/units/AppTest.php": "",
    };
    expect(hashOf(files)).toEqual(["Dockerfile", "composer.json", "composer.lock"]);
    expect(hashOf({ ...files, ".dockerignore": "tests\n*.lock\ncomposer.json\n" })).toEqual(["Dockerfile", ".dockerignore"]);
  });
});
