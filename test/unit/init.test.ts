import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileSpec } from "../../src/index.js";
import { detect } from "../../src/init/detect.js";

const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("init detection", () => {
  it("takes the manifests the Dockerfile copies before installing as hash inputs", () => {
    const d = detect(
      repoView({
        Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "server.js"]\n',
        ".dockerignore": "node_modules\n",
        "package.json": '{"scripts": {"test": "vitest run"}}',
        "package-lock.json": "{}",
        "server.js": "",
      }),
    );
    expect(d.spec).toContain("hash: [Dockerfile, .dockerignore, package.json, package-lock.json]");
    expect(d.spec).toContain('command: "npm test"');
    expect(d.spec).toContain("name: myorg/shop");
  });

  it("says that the project's own CircleCI config is replaced only with --force", () => {
    const files = { Dockerfile: "FROM node:20\nCOPY . .\n", "package.json": '{"scripts": {"test": "vitest run"}}' };
    const note = /^\.circleci\/config\.yml is the project's own: 'gen-circle generate --force' replaces it/;
    expect(detect(repoView({ ...files, ".circleci/config.yml": "version: 2.1\n" })).guessed).toContainEqual(expect.stringMatching(note));
    expect(detect(repoView(files)).guessed).not.toContainEqual(expect.stringMatching(note));
  });

  it("follows the Dockerfile, not file names: a folder copied before the install is a hash input", () => {
    const d = detect(
      repoView({
        Dockerfile: "FROM python:3.12\nCOPY requirements/ /srv/requirements/\nRUN pip install -r /srv/requirements/test.txt\nCOPY . /srv/app\n",
        "requirements/base.txt": "flask\n",
        "requirements/test.txt": "-r base.txt\npytest\n",
        "app.py": "",
      }),
    );
    expect(d.spec).toContain("hash: [Dockerfile, requirements]");
  });

  it("what is copied after the last install step is code, not a hash input; only the stages the tests run in count", () => {
    const d = detect(
      repoView({
        Dockerfile: [
          "FROM golang:1.22 AS build",
          "WORKDIR /src",
          "COPY go.mod go.sum ./",
          "COPY tools/gen.sh /usr/local/bin/",
          "RUN go mod download && gen.sh",
          "COPY . .",
          "RUN go build -o /app ./cmd/app",
          "FROM debian:12",
          "ADD https://example.com/ca.pem /etc/ssl/",
          "COPY scripts/install-deps.sh /tmp/",
          "RUN /tmp/install-deps.sh",
          "COPY --from=build /app /app",
          "COPY config/ /etc/app/",
          "",
        ].join("\n"),
        "go.mod": "module x\n",
        "go.sum": "",
        "tools/gen.sh": "",
        "scripts/install-deps.sh": "",
        "config/app.yml": "",
        "cmd/app/main.go": "",
      }),
    );
    // The tests run in the Go stage: the runtime stage after it (and its install script) is not built for them.
    expect(d.spec).toContain("  target: build\n  hash: [Dockerfile, go.mod, go.sum, tools/gen.sh]\n");
  });

  it("a monorepo (a Dockerfile per folder, none at the root): one image each, named by compose", () => {
    // No setting of either image names db: each test gets a TODO to point it there.
    const unpointed =
      "nothing here points the tests at db (no test setting or settings file names its host), and on the tests' network a service answers to its name only: set what the tests read (test.environment, e.g. a database URL with the host db), and create or migrate the database in the command if the tests need that";
    const d = detect(
      repoView({
        "services/api/Dockerfile": "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n",
        "services/api/go.mod": "module api\n",
        "services/api/go.sum": "",
        "services/web/Dockerfile": "FROM node:20\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\n",
        "services/web/package.json": '{"scripts": {"test": "jest"}}',
        "services/web/package-lock.json": "{}",
        "examples/demo/Dockerfile": "FROM scratch\n",
        "docker-compose.yml":
          "services:\n  api:\n    build: ./services/api\n    image: acme/api\n  web:\n    build: { context: services/web }\n    image: acme/web\n  db:\n    image: postgres:15\n",
      }),
    );
    expect(d.spec).toContain(
      [
        "images:",
        "  - name: acme/api",
        "    context: services/api",
        "    hash: [services/api/Dockerfile, services/api/go.mod, services/api/go.sum]",
        `    # TODO: ${unpointed}`,
        "    test:",
        "      # TODO: go test ./... is the build tool's default, not a command the project names: check it against how the project's CI runs the tests (a filter, the packages, a profile)",
        '      command: "go test ./..."',
        "  - name: acme/web",
        "    context: services/web",
        '    hash: [services/web/Dockerfile, "services/web/package*.json"]',
        `    # TODO: ${unpointed}`,
        "    test:",
        '      command: "npm test"',
      ].join("\n"),
    );
    // Neither image's service names db: it is taken as a data store, with a TODO to check.
    expect(parse(d.spec).services).toEqual({
      db: { image: "postgres:15", ready: expect.stringContaining("pg_isready"), environment: { POSTGRES_HOST_AUTH_METHOD: "trust" } },
    });
    const { spec, diagnostics } = compileSpec(d.spec);
    expect(diagnostics).toEqual([]);
    expect(spec!.images.map((i) => i.id)).toEqual(["api", "web"]);
  });

  it("a monorepo's Dockerfile whose build context holds no test file, and that compose does not build, gets no image; with none kept, all stay", () => {
    const go = "FROM golang:1.22 AS builder\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nFROM scratch\n";
    const files = {
      "src/cart/Dockerfile": go,
      "src/cart/go.mod": "",
      "src/cart/go.sum": "",
      "src/cart/money/money_test.go": "",
      "src/email/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
      "src/email/requirements.txt": "",
      "src/email/server.py": "",
      "src/pay/Dockerfile": "FROM node:22\nCOPY package.json .\nRUN npm install\nCOPY . .\n",
      "src/pay/package.json": '{"scripts": {"test": "echo no test specified && exit 1"}}',
      // Tests outside the context are not in the image.
      "src/shop/src/Dockerfile": "FROM mcr.microsoft.com/dotnet/sdk:8.0\nCOPY . .\n",
      "src/shop/src/shop.csproj": "",
      "src/shop/tests/ShopTests.cs": "",
      "src/web/Dockerfile": go,
      "src/web/go.mod": "",
      "src/web/go.sum": "",
      "src/web/handler_test.go": "",
    };
    const d = detect(repoView(files));
    expect((parse(d.spec) as { images: { context: string }[] }).images.map((i) => i.context)).toEqual(["src/cart", "src/web"]);
    expect(d.found).toContain(
      "no test file in the build context of src/email/Dockerfile (src/email), src/pay/Dockerfile (src/pay), src/shop/src/Dockerfile (src/shop/src), and compose does not build them: no image for them",
    );
    expect(d.todo).toContain(
      "images: one image for each of the 2 Dockerfiles found with tests in their context: remove those the pipeline should not build and test (tools, packaging, examples)",
    );
    // One compose builds is a part of the application: it stays, tests or not.
    const composed = detect(repoView({ ...files, "compose.yaml": "services:\n  email:\n    build: src/email\n" }));
    expect((parse(composed.spec) as { images: { context: string }[] }).images.map((i) => i.context)).toEqual(["src/cart", "src/email", "src/web"]);
    const none = detect(repoView(Object.fromEntries(Object.entries(files).filter(([f]) => !/_test\.go$/.test(f)))));
    expect((parse(none.spec) as { images: unknown[] }).images).toHaveLength(5);
  });

  it("Dockerfiles that build one context and would run one test command there are one image: CI's, else compose's first, else the first found", () => {
    const build = (base: string, workdir: string) => `FROM ${base} AS build\nADD . ${workdir}\nWORKDIR ${workdir}\nRUN go build ./...\nFROM alpine:3\n`;
    const files = {
      "packaging/debian/Dockerfile": 'FROM golang:1-trixie\nADD . /src\nCMD ["/src/packaging/debian/build.sh"]\n',
      "packaging/docker/alpine/Dockerfile": build("golang:alpine", "/go/src/app"),
      "packaging/docker/distroless/Dockerfile": build("golang:1", "/go/src/app"),
      "go.mod": "module m\n",
      "go.sum": "",
      "feed/parse_test.go": "",
      Makefile: [
        "deb:\n\tdocker build -f packaging/debian/Dockerfile .",
        "docker-alpine:\n\tdocker build -f packaging/docker/alpine/Dockerfile .",
        "docker-distroless:\n\tdocker build -f packaging/docker/distroless/Dockerfile .\n",
      ].join("\n"),
    };
    const chosen = (extra: Record<string, string>) => {
      const d = detect(repoView({ ...files, ...extra }));
      return { dockerfile: (parse(d.spec) as { image: { dockerfile: string } }).image.dockerfile, d };
    };
    const { dockerfile, d } = chosen({});
    expect(dockerfile).toBe("packaging/debian/Dockerfile");
    expect(d.found).toContain(
      "packaging/docker/alpine/Dockerfile, packaging/docker/distroless/Dockerfile: the same context and test command as packaging/debian/Dockerfile, so the same tests; one image is enough",
    );
    // The others are still named in a TODO.
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^image\.dockerfile: packaging\/debian\/Dockerfile is taken for the tests; the repository has other Dockerfiles too/),
    );
    expect(
      chosen({
        ".github/workflows/docker.yml": "      - uses: docker/build-push-action@v6\n        with:\n          file: ./packaging/docker/distroless/Dockerfile\n",
      }).dockerfile,
    ).toBe("packaging/docker/distroless/Dockerfile");
    expect(chosen({ "compose.yaml": "services:\n  app:\n    build: { context: ., dockerfile: packaging/docker/alpine/Dockerfile }\n" }).dockerfile).toBe(
      "packaging/docker/alpine/Dockerfile",
    );
  });

  it("seed 000's Dockerfile (code copied before the install): root manifests, and a hint", () => {
    const d = detect(
      repoView({
        Dockerfile: "FROM python:3.5\nADD . /code\nWORKDIR /code\nRUN pip install -r requirements.txt\n",
        "requirements.txt": "flask\n",
        "pytest.ini": "",
      }),
    );
    expect(d.spec).toContain("hash: [Dockerfile, requirements.txt]");
    expect(d.spec).toContain("command: pytest");
    expect(d.guessed.join("\n")).toMatch(/copies the whole context before installing/);
  });

  it("services and the test command from a compose file", () => {
    const d = detect(
      repoView({
        Dockerfile: "FROM ruby:3\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\n",
        Gemfile: "",
        "Gemfile.lock": "",
        "docker-compose.yml":
          "services:\n  app:\n    build: .\n    image: acme/shop:dev\n  db:\n    image: postgres:15\n    environment:\n      - POSTGRES_PASSWORD=secret\n  cache:\n    image: redis:7\n  sut:\n    build: .\n    command: [bundle, exec, rspec]\n",
      }),
    );
    expect(d.spec).toContain("name: acme/shop");
    expect(d.spec).toContain("hash: [Dockerfile, Gemfile, Gemfile.lock]");
    expect(d.spec).toMatch(
      /services:\n  cache:\n    image: redis:7\n    ready: .*\n  db:\n    image: postgres:15\n    ready: .*\n    environment:\n      POSTGRES_PASSWORD: secret/,
    );
    expect(d.spec).toContain("command: [bundle, exec, rspec]");
  });

  it("make test, and the image's CMD as a last resort", () => {
    expect(detect(repoView({ Dockerfile: "FROM x\n", Makefile: "build:\n\ttrue\ntest:\n\tgo test ./...\n" })).spec).toContain('command: "make test"');
    const d = detect(repoView({ Dockerfile: 'FROM x\nCMD ["./run-tests", "--ci"]\n' }));
    expect(d.spec).toContain('command: [./run-tests, "--ci"]');
    expect(d.guessed.join("\n")).toContain("the image's own CMD");
  });
});

describe("init writes the spec through the YAML library", () => {
  it("values from the repository read back as written: quoted where YAML would read them otherwise", () => {
    const values = ["1.0", "0x1F", "007", ".inf", "yes", "a: b #c", 'say "hi"', "line\nbreak", "-1", "~"];
    const d = detect(
      repoView({
        Dockerfile: "FROM x\n",
        "compose.yaml": [
          "services:",
          "  db:",
          "    image: postgres:15",
          "    environment:",
          ...values.map((v, i) => `      V${i}: ${JSON.stringify(v)}`),
          '      PORT: "5432"',
          "  DB:",
          "    image: mysql:8",
          "",
        ].join("\n"),
      }),
    );
    const spec = parse(d.spec) as { services: Record<string, { image: string; environment?: Record<string, unknown> }> };
    expect(spec.services.db!.environment).toEqual({
      ...Object.fromEntries(values.map((v, i) => [`V${i}`, v])),
      PORT: 5432,
      POSTGRES_HOST_AUTH_METHOD: "trust",
    });
    expect(d.spec).toContain('      V0: "1.0"\n      V1: "0x1F"\n');
    expect(d.spec).toContain("      PORT: 5432\n");
    // `DB` would be `db` too: the first (in name order) is kept, not written twice.
    expect(Object.keys(spec.services)).toEqual(["db"]);
    expect(compileSpec(d.spec).diagnostics).toEqual([]);
  });

  it("a compose test service with an empty command is passed over", () => {
    const d = detect(
      repoView({
        Dockerfile: "FROM x\n",
        "compose.yaml": "services:\n  sut:\n    build: .\n    command: []\n  test:\n    build: .\n    command: [make, check]\n",
      }),
    );
    expect(d.spec).toContain("command: [make, check]");
  });
});

// Shapes seen in real repositories (scripts/init-samples.json, `npm run conformance:init`), written
// here as our own small fixtures: the repositories' files stay out of the project.
describe("init on the shapes of real repositories", () => {
  it("compose as docker compose reads it: `<<: *app` merges, variables from .env.example, build args, the app's own builder", () => {
    const d = detect(
      repoView({
        Dockerfile: [
          "FROM node:24 AS assets",
          "WORKDIR /app/frontend",
          "COPY frontend/package.json frontend/*yarn* ./",
          "RUN yarn install",
          "COPY . ..",
          "RUN yarn build",
          "FROM node:24 AS app",
          "ARG NODE_ENV=production UID",
          "WORKDIR /app/backend",
          "COPY backend/package.json backend/*yarn* ./",
          "RUN yarn install",
          "COPY --from=assets /app/public /public",
          "COPY backend/ ./",
          'CMD ["node", "server.js"]',
        ].join("\n"),
        ".dockerignore": "",
        "frontend/package.json": "{}",
        "frontend/yarn.lock": "",
        "backend/package.json": '{"devDependencies": {"jest": "30"}}',
        "backend/yarn.lock": "",
        "backend/server.js": "",
        ".env.example": "# copy to .env\nexport NODE_ENV=development\nexport POSTGRES_USER=hello\nPOSTGRES_PASSWORD='pass word'\n",
        "compose.yaml": [
          "x-app: &app",
          "  build:",
          "    context: .",
          "    target: app",
          "    args: ['NODE_ENV=${NODE_ENV:-production}', 'UID=${UID:-1000}']",
          "x-assets: &assets",
          "  build: { context: ., target: assets }",
          "services:",
          "  js:",
          "    <<: *assets",
          "  web:",
          "    <<: *app",
          "    depends_on: [postgres]",
          "  postgres:",
          "    image: postgres:${PG_VERSION:-16}",
          "    environment:",
          '      POSTGRES_USER: "${POSTGRES_USER}"',
          '      POSTGRES_PASSWORD: "${POSTGRES_PASSWORD}"',
          '      PGDATA: "$${HOME}/data"',
          '      POSTGRES_DB: "${POSTGRES_DB}"',
          "",
        ].join("\n"),
      }),
    );
    expect(d.spec).toContain(
      [
        "  build_args:",
        "    NODE_ENV: development",
        "    UID: 1000",
        '  hash: [Dockerfile, .dockerignore, frontend/package.json, "frontend/*yarn*", backend/package.json, "backend/*yarn*"]',
      ].join("\n"),
    );
    expect(d.spec).not.toContain("target:"); // app is the last stage: the whole Dockerfile
    expect(d.spec).toMatch(
      /postgres:\n    image: postgres:16\n    ready: .*\n    environment:\n      POSTGRES_USER: hello\n      POSTGRES_PASSWORD: "pass word"\n      PGDATA: "\$\{HOME\}\/data"\n      # TODO: .*\n      POSTGRES_DB: "\$\{POSTGRES_DB\}"/,
    );
    expect(d.guessed.join("\n")).toContain("compose variables with no value in .env.example and no default, left as written: POSTGRES_DB");
    expect(d.spec).toContain('command: "npx jest"');
    const { diagnostics } = compileSpec(d.spec);
    expect(diagnostics).toEqual([]);
  });

  it("compose secrets become values (the service has no /run/secrets in the pipeline); a proxy in front of the app is not a service", () => {
    const d = detect(
      repoView({
        "backend/Dockerfile":
          "FROM golang:1.22 AS builder\nWORKDIR /code\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app\nFROM scratch\nCOPY --from=builder /app /app\n",
        "backend/go.mod": "module x\n",
        "backend/go.sum": "",
        "db/password.txt": "s3cret-1\n",
        "compose.yaml": [
          "services:",
          "  backend:",
          "    build: { context: backend, target: builder }",
          "  db:",
          "    image: mariadb:10",
          "    environment: [MYSQL_DATABASE=example, MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password]",
          "    healthcheck:",
          '      test: ["CMD-SHELL", "mysqladmin ping --password=\\"$$(cat /run/secrets/db-password)\\" --silent"]',
          "  proxy:",
          "    image: nginx",
          "    depends_on: [backend]",
          "secrets:",
          "  db-password:",
          "    file: db/password.txt",
          "",
        ].join("\n"),
      }),
    );
    expect(d.spec).toContain(["  context: backend", "  target: builder", "  hash: [backend/Dockerfile, backend/go.mod, backend/go.sum]"].join("\n"));
    expect(d.spec).toContain(
      [
        '    ready: "mysqladmin ping -h 127.0.0.1 --password=\\"s3cret-1\\" --silent"',
        "    environment:",
        "      MYSQL_DATABASE: example",
        "      MYSQL_ROOT_PASSWORD: s3cret-1",
      ].join("\n"),
    );
    expect(d.spec).not.toContain("proxy");
  });

  it("a Dockerfile in a folder whose copies name root paths through an ARG is built from the root", () => {
    const d = detect(
      repoView({
        "docker/prod/Dockerfile":
          'ARG BASE_PATH="docker/prod/"\nFROM php:8.3-cli\nARG BASE_PATH\nCOPY ${BASE_PATH}deployment/php.ini /usr/local/etc/php/\nCOPY . /app\n',
        "docker/prod/deployment/php.ini": "",
        "composer.json": "{}",
        "src/A.php": "",
      }),
    );
    expect(d.spec).not.toContain("context:");
  });

  it("no Dockerfile: a TODO in the spec; one that copies a built binary in hashes no manifest", () => {
    const none = detect(repoView({ "package.json": '{"scripts": {"test": "jest"}}', "index.js": "" }));
    expect(none.todo).toContain(
      "image: the repository has no Dockerfile: the tests run in the project's image, so add one (with the toolchain and the code) and set dockerfile: and hash:",
    );
    const binary = detect(
      repoView({ Dockerfile: "FROM alpine:3.20\nCOPY dist/app /usr/local/bin/app\n", "go.mod": "", "go.sum": "", "main.go": "", "dist/app": "" }),
    );
    expect((parse(binary.spec) as { image: { hash: string[] } }).image.hash).toEqual(["Dockerfile"]);
  });

  it("the context a script of the repository builds a Dockerfile with", () => {
    const d = detect(
      repoView({
        "packaging/alpine/Dockerfile": "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /app\nFROM alpine\nCOPY --from=build /app /app\n",
        Makefile: "image:\n\tdocker build --pull -t acme/app:dev -f packaging/alpine/Dockerfile .\n",
        "go.mod": "",
        "main.go": "",
      }),
    );
    expect(d.found).toContain("packaging/alpine/Dockerfile: built with the context . by Makefile");
    expect(d.spec).not.toContain("context:");
    // The first word that is no option is the context; a command substitution's words are not.
    const late = detect(
      repoView({
        "docker/Dockerfile": "FROM golang:1.22\nCOPY go.mod .\nRUN go mod download\nCOPY . .\n",
        "build.sh": "docker build . --file docker/Dockerfile --tag app:$(date +%s) --build-arg V=1\n",
        "go.mod": "",
        "main.go": "",
      }),
    );
    expect(late.found).toContain("docker/Dockerfile: built with the context . by build.sh");
    // An option's value is no context (--network host with a host/ folder); a command substitution is one word.
    for (const line of ["docker build --network host -f docker/Dockerfile .", "docker build -t app:$(git rev-parse --short HEAD) -f docker/Dockerfile ."]) {
      const d = detect(
        repoView({
          "docker/Dockerfile": "FROM golang:1.22\nCOPY go.mod .\nRUN go mod download\nCOPY . .\n",
          "build.sh": `${line}\n`,
          "go.mod": "",
          "main.go": "",
          "host/x.go": "",
          "git/x.go": "",
        }),
      );
      expect(d.found).toContain("docker/Dockerfile: built with the context . by build.sh");
    }
    // Two Dockerfiles built from the root: each image is named after its Dockerfile's folder, never twice the same.
    const two = detect(
      repoView({
        "packaging/alpine/Dockerfile": "FROM golang:1.22\nCOPY . .\n",
        // Another toolchain: not the same tests as alpine's (those would be one image).
        "packaging/debian/Dockerfile": "FROM python:3.12\nCOPY . .\n",
        // Projects of their own: each folder is its Dockerfile's context.
        "tools/a/Dockerfile": "FROM golang:1.22\nCOPY . .\n",
        "tools/a/go.mod": "",
        "tools/b/a/Dockerfile": "FROM golang:1.22\nCOPY . .\n",
        "tools/b/a/go.mod": "",
        Makefile: ["alpine:", "\tdocker build -f packaging/alpine/Dockerfile .", "debian:", "\tdocker build -f packaging/debian/Dockerfile .", ""].join("\n"),
        "go.mod": "",
        "main.go": "",
      }),
    );
    const names = (parse(two.spec) as { images: { name: string }[] }).images.map((i) => i.name);
    expect(names).toEqual(["myorg/shop-alpine", "myorg/shop-debian", "myorg/shop-a", "myorg/shop-a-2"]);
    expect(compileSpec(two.spec).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("a Dockerfile in docker/ that copies from the repository root is built with the root as context", () => {
    const d = detect(
      repoView({
        "docker/Dockerfile":
          "FROM node:24 AS ui\nCOPY ./Makefile /src/Makefile\nCOPY ./ui /src/ui\nRUN make -C /src build-ui\nFROM golang:1.22\nCOPY . /src\nCOPY --from=ui /src/ui/build /src/ui/build\nRUN make -C /src build\n",
        ".dockerignore": "",
        Makefile: "build:\n\tgo build\n",
        "ui/package.json": "{}",
        "main.go": "",
      }),
    );
    expect(d.spec).toContain("  dockerfile: docker/Dockerfile\n");
    expect(d.spec).toContain("  hash: [docker/Dockerfile, .dockerignore, Makefile, ui]\n");
    expect(d.spec).not.toContain("context:");
    // `make build` after the whole context, with nothing installed before: the hash is a guess.
    expect(d.todo.some((t) => t.startsWith("image.hash: the Dockerfile copies the whole context before installing"))).toBe(true);
  });

  it("a stage that never copies the whole context installs at the RUN after its manifests: later copies are code (not hashed), heredoc bodies are not instructions", () => {
    const d = detect(
      repoView({
        Dockerfile: [
          "FROM maven:3 AS builder",
          "WORKDIR /workdir",
          "COPY pom.xml pom.xml",
          "RUN mvn dependency:go-offline",
          "COPY src ./src",
          "RUN mvn install",
          "FROM builder AS dev",
          "RUN <<EOF",
          "COPY secrets.txt /etc/",
          "RUN echo this is shell, not a Dockerfile line",
          "EOF",
          "FROM eclipse-temurin:17",
          "COPY --from=builder /workdir/target/app.jar /app.jar",
          'CMD ["java", "-jar", "/app.jar"]',
        ].join("\n"),
        "pom.xml": "",
        "src/main/App.java": "",
        "secrets.txt": "",
      }),
    );
    expect(d.spec).toContain("hash: [Dockerfile, pom.xml]");
    // The last stage is a runtime with the jar only: the tests run in the dev stage (Maven and the code, from builder).
    expect(d.spec).toContain("  target: dev\n");
    expect(d.spec).toContain('command: "mvn -B test"');
    expect(d.guessed.join("\n")).toContain("the image's build runs the tests already ('RUN mvn install')");
  });

  it("test commands from what the project declares: Rails, Django in a sub-folder, pytest in pyproject", () => {
    const rails = detect(
      repoView({
        Dockerfile: "FROM ruby:3\nCOPY Gemfile* ./\nRUN bundle install\nCOPY . .\n",
        Gemfile: 'gem "rails", "~> 8"\n',
        "bin/rails": "",
        "test/models/user_test.rb": "",
      }),
    );
    expect(rails.spec).toContain('command: "bin/rails test"');
    const rspec = detect(repoView({ Dockerfile: "FROM ruby:3\n", Gemfile: "gem 'rails'\ngem 'rspec-rails'\n", "test/x_test.rb": "" }));
    expect(rspec.spec).toContain('command: "bundle exec rspec"');
    const django = detect(
      repoView({ Dockerfile: "FROM python:3\nWORKDIR /app\nCOPY . .\nWORKDIR /app/src\n", "src/manage.py": "", "requirements.txt": "django\n" }),
    );
    expect(django.spec).toContain('command: "python manage.py test"');
    const elsewhere = detect(repoView({ Dockerfile: "FROM python:3\nWORKDIR /app\nCOPY . .\n", "src/manage.py": "", "requirements.txt": "Django>=5\n" }));
    expect(elsewhere.spec).toContain('command: "python src/manage.py test"');
    const py = detect(repoView({ Dockerfile: "FROM python:3\n", "pyproject.toml": '[dependency-groups]\ndev = ["pytest>=8"]\n' }));
    expect(py.spec).toContain("command: pytest");
  });
});
