import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { composeCandidates } from "../../src/init/compose-files.js";
import { readCompose } from "../../src/init/compose.js";
import { detect } from "../../src/init/detect.js";
import type { Notes } from "../../src/init/repo.js";

// Which compose file(s) init reads, and how, on small repositories of our own writing.
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const notes = (): Notes => ({ found: [], guessed: [], todo: [] });
const services = (d: { spec: string }) =>
  (parse(d.spec) as { services?: Record<string, { image: string; environment?: Record<string, unknown> }> }).services ?? {};
const APP = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n";

describe("init finds the compose file where repositories keep it", () => {
  it("variants of a folder in order: test or CI, the base, its example, development ones, others, an override alone", () => {
    const files = [
      "compose.prod.yml",
      "docker-compose.override.yml",
      "compose.dev.yaml",
      "compose.example.yml",
      "docker-compose.yml",
      "docker-compose.ci.yml",
      "compose.yaml",
    ];
    expect(composeCandidates(files)).toEqual([
      "docker-compose.ci.yml",
      "compose.yaml",
      "docker-compose.yml",
      "compose.example.yml",
      "compose.dev.yaml",
      "compose.prod.yml",
      "docker-compose.override.yml",
    ]);
  });

  it("in folders, shallowest first; not in dependencies, samples or documentation", () => {
    const files = [
      "node_modules/x/docker-compose.yml",
      "examples/demo/compose.yml",
      "docs/compose.yml",
      "vendor/y/compose.yml",
      "deploy/local/docker-compose-dev.yml",
      "docker/docker-compose.test.yml",
      ".docker/compose.yml",
      "ops/compose.yml",
      ".devcontainer/docker-compose.yml",
      "README.md",
    ];
    expect(composeCandidates(files)).toEqual([
      ".docker/compose.yml",
      "docker/docker-compose.test.yml",
      "ops/compose.yml",
      "deploy/local/docker-compose-dev.yml",
      ".devcontainer/docker-compose.yml",
    ]);
  });

  it("a test variant is read, and reported", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        "requirements.txt": "pytest\n",
        "docker-compose.yml": "services:\n  web:\n    build: .\n    depends_on: [db]\n  db:\n    image: postgres:16\n",
        "docker-compose.test.yml":
          "services:\n  web:\n    build: .\n    depends_on: [db]\n  db:\n    image: postgres:16-alpine\n    environment: { POSTGRES_PASSWORD: test }\n",
      }),
    );
    expect(services(d)).toMatchObject({ db: { image: "postgres:16-alpine", environment: { POSTGRES_PASSWORD: "test" } } });
    expect(d.found).toContain("compose file: docker-compose.test.yml");
  });

  it("a variant that only holds fragments is read over its base, as `docker compose -f base -f variant`", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        "compose.yml":
          "services:\n  web:\n    build: .\n    environment: [REDIS_URL=redis://cache:6379]\n  cache:\n    image: redis:7\n  db:\n    image: postgres:16\n",
        "compose.ci.yml": "services:\n  web:\n    environment:\n      - DATABASE_URL=postgres://postgres:x@db/test\n",
      }),
    );
    expect(Object.keys(services(d))).toEqual(["cache", "db"]);
    expect(d.found).toContain("compose files: compose.yml, compose.ci.yml");
  });

  it("a service run by image that another compose file of the folder builds is the project's code, not a service", () => {
    const files = {
      Dockerfile: APP,
      "requirements.txt": "pytest\n",
      "web/Dockerfile": "FROM node:22\nCOPY . .\nRUN npm ci\n",
      "web/package.json": '{"scripts":{"test":"jest"}}',
      "auth/Dockerfile": "FROM quay.io/keycloak/keycloak:26\nCOPY realm.json /opt/\n",
      "compose.yaml": [
        "services:",
        "  api:",
        "    image: acme-api",
        "    depends_on: [db]",
        "    environment: { WEB_UPSTREAM: 'web:3000', OIDC_URL: 'http://auth:8080/realms/x', DATABASE_URL: 'postgres://u:p@db/app' }",
        "  web:",
        "    image: ${PREFIX:-}acme-web",
        "  auth:",
        "    image: acme_auth",
        "    depends_on: [auth-db]",
        "  auth-db:",
        "    image: postgres:16",
        "  db:",
        "    image: postgres:16",
        "",
      ].join("\n"),
      "compose.ci.yaml": "services:\n  api:\n    environment: { APP_ENV: test }\n",
      "compose.override.yaml": "services:\n  api:\n    build: .\n  web:\n    build: { context: ./web }\n  auth:\n    build: ./auth\n",
    };
    const compose = readCompose(repoView(files), notes());
    expect(compose.files).toEqual(["compose.yaml", "compose.ci.yaml"]);
    expect(compose.builtElsewhere).toEqual({ api: { build: { context: "." } }, web: { build: { context: "web" } }, auth: { build: { context: "auth" } } });
    const d = detect(repoView(files));
    // web and auth are the project's; auth's own database goes with it.
    expect(Object.keys(services(d))).toEqual(["db"]);
    expect(d.todo.join("\n")).toMatch(/the tests may need auth .*which compose builds from auth\/Dockerfile/);
    // Built on a store's image, it stays the store it is.
    const store = { ...files, "auth/Dockerfile": "FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n" };
    expect(Object.keys(services(detect(repoView(store))))).toContain("auth");
  });

  it("a variant whose service waits for one it does not define is read over its base", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        "tests/Dockerfile": APP,
        "docker-compose.yml": "services:\n  app:\n    build: .\n    depends_on: [db]\n  db:\n    image: postgres:16\n",
        "docker-compose-e2e.yml": "services:\n  e2e:\n    build: { context: ., dockerfile: tests/Dockerfile }\n    depends_on: [app]\n",
      }),
    );
    expect(d.found).toContain("compose files: docker-compose.yml, docker-compose-e2e.yml");
    expect(Object.keys(services(d))).toEqual(["db"]);
  });

  it("compose's !reset removes what the base file set, and !override replaces instead of merging", () => {
    const repo = repoView({
      "docker-compose.yml": [
        "services:",
        "  app:",
        "    image: acme/app:latest",
        "    build: .",
        "    environment: { A: '1', B: '2' }",
        "    ports: ['8080:8080']",
        "",
      ].join("\n"),
      "docker-compose.override.yml": [
        "services:",
        "  app:",
        "    image: !reset null",
        "    environment: !override { C: '3' }",
        "    ports: !reset []",
        "",
      ].join("\n"),
    });
    const compose = readCompose(repo, notes());
    expect(compose.services.app).toEqual({ build: { context: "." }, environment: { C: "3" } });
    // Paths too: a reset build is no build; an override's paths are from its own file's folder; an env_file override replaces.
    const paths = readCompose(
      repoView({
        "docker/compose.yaml": ["services:", "  app:", "    build: ..", "    env_file: .env", "  worker:", "    build: ../worker", ""].join("\n"),
        "docker/compose.override.yaml": [
          "services:",
          "  app:",
          "    build: !override { context: ../app }",
          "    env_file: !override .env.test",
          "  worker:",
          "    build: !reset null",
          "",
        ].join("\n"),
      }),
      notes(),
    );
    expect(paths.services.app).toEqual({ build: { context: "app" }, env_file: [{ path: "docker/.env.test" }] });
    expect(paths.services.worker).toEqual({});
    // In a single file, a reset key is as if never written.
    const single = readCompose(repoView({ "compose.yaml": "services:\n  app:\n    build: .\n    image: !reset null\n" }), notes());
    expect(single.services.app).toEqual({ build: { context: "." } });
  });

  it("the override file next to the base is merged over it: environment by name, mounts by target, lists appended, command replaced", () => {
    const repo = repoView({
      "docker-compose.yml": [
        "services:",
        "  db:",
        "    image: postgres:15",
        "    environment: [POSTGRES_USER=app, POSTGRES_PASSWORD=one]",
        "    volumes: ['./a:/docker-entrypoint-initdb.d', 'data:/var/lib/postgresql/data']",
        "    depends_on: [x]",
        "    command: postgres -c fsync=off",
        "",
      ].join("\n"),
      "docker-compose.override.yml": [
        "services:",
        "  db:",
        "    image: postgres:16",
        "    environment: { POSTGRES_PASSWORD: two, POSTGRES_DB: app }",
        "    volumes: ['./b:/docker-entrypoint-initdb.d']",
        "    depends_on: { y: { condition: service_healthy } }",
        "    command: [postgres, -c, max_connections=200]",
        "  extra:",
        "    image: redis:7",
        "",
      ].join("\n"),
    });
    const compose = readCompose(repo, notes());
    expect(compose.files).toEqual(["docker-compose.yml", "docker-compose.override.yml"]);
    expect(compose.services.db).toEqual({
      image: "postgres:16",
      environment: { POSTGRES_USER: "app", POSTGRES_PASSWORD: "two", POSTGRES_DB: "app" },
      volumes: [
        { type: "volume", source: "data", target: "/var/lib/postgresql/data" },
        { type: "bind", source: "b", target: "/docker-entrypoint-initdb.d" },
      ],
      depends_on: { x: { condition: "service_started" }, y: { condition: "service_healthy" } },
      command: ["postgres", "-c", "max_connections=200"],
    });
    expect(Object.keys(compose.services)).toEqual(["db", "extra"]);
  });

  it("paths are read from the compose file's folder: build context, env_file, secrets, .env", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        "requirements.txt": "pytest\n",
        "docker/.env": "PG_TAG=16-alpine\n",
        "docker/db.env": "POSTGRES_PASSWORD=from-file\nAPP_ONLY=1\n",
        "docker/secrets/mysql.txt": "pw\n",
        "docker/compose.yml": [
          "services:",
          "  web:",
          "    build: { context: .., dockerfile: Dockerfile }",
          "    image: acme/shop",
          "    depends_on: [db, mysql]",
          "  db:",
          "    image: postgres:${PG_TAG}",
          "    env_file: db.env",
          "  mysql:",
          "    image: mysql:8",
          "    environment: [MYSQL_ROOT_PASSWORD_FILE=/run/secrets/mysql]",
          "secrets:",
          "  mysql:",
          "    file: ./secrets/mysql.txt",
          "",
        ].join("\n"),
      }),
    );
    const spec = parse(d.spec) as { image: { name: string; context?: string }; services: Record<string, { image: string; environment?: object }> };
    // The app's build context `..` from docker/ is the root: the image is the compose service's.
    expect(spec.image.name).toBe("acme/shop");
    expect(spec.image.context).toBeUndefined();
    expect(spec.services.db).toMatchObject({ image: "postgres:16-alpine", environment: { POSTGRES_PASSWORD: "from-file" } });
    // A known image takes only its own names from an env_file the app may share.
    expect(spec.services.db!.environment).not.toHaveProperty("APP_ONLY");
    expect(spec.services.mysql!.environment).toEqual({ MYSQL_ROOT_PASSWORD: "pw" });
    expect(d.found).toContain("compose variables from docker/.env");
  });

  it("an env_file the repository has not committed is read from its example", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        ".env.example": "POSTGRES_PASSWORD=example\nDATABASE_URL=postgres://postgres:example@postgres/app\n",
        "compose.yaml":
          "services:\n  app:\n    build: .\n    env_file: .env\n  postgres:\n    image: postgres:16\n    env_file: [.env]\n  adminer:\n    image: adminer\n",
      }),
    );
    // The app points at postgres only from its env_file.
    expect(services(d)).toEqual({ postgres: { image: "postgres:16", ready: expect.any(String), environment: { POSTGRES_PASSWORD: "example" } } });
  });

  it("include: and extends: are followed, each file's paths from its own folder", () => {
    const d = detect(
      repoView({
        Dockerfile: APP,
        "compose.yaml": "include: [deps/compose.yaml]\nservices:\n  app:\n    extends: { file: common/base.yml, service: base }\n    build: .\n",
        "common/base.yml": "services:\n  base:\n    environment: { REDIS_HOST: redis }\n    env_file: app.env\n",
        "common/app.env": "SEARCH_URL=http://search:9200\n",
        "deps/compose.yaml":
          "services:\n  redis:\n    image: valkey/valkey:8\n  search:\n    image: opensearchproject/opensearch:2\n  unused:\n    image: mongo:7\n",
      }),
    );
    expect(Object.keys(services(d))).toEqual(["redis", "search"]);
    expect(d.found).toContain("compose files: compose.yaml, deps/compose.yaml, common/base.yml");
  });

  it("a compose file that is not valid YAML is reported and read as empty", () => {
    const d = detect(repoView({ Dockerfile: APP, "compose.yml": "services: [\n" }));
    expect(services(d)).toEqual({});
    expect(d.guessed).toContain("compose.yml is not valid YAML: services not taken from it");
  });
});

describe("init: a data-volume container is no service", () => {
  it("a store's image whose command exits at once (`/bin/true`), taken by volumes_from, is left out; the store itself stays", () => {
    const compose = (command: string) =>
      [
        "services:",
        "  mysqldata:",
        "    image: mysql:8.0",
        `    command: ${command}`,
        "  mysql:",
        "    image: mysql:8.0",
        "    environment: { MYSQL_ROOT_PASSWORD: secret }",
        "    volumes_from: [mysqldata]",
        "  web:",
        "    build: .",
        "    depends_on: [mysql, mysqldata]",
      ].join("\n") + "\n";
    const repo = (command: string) => repoView({ Dockerfile: APP, "requirements.txt": "", "docker-compose.yml": compose(command) });
    for (const command of ["/bin/true", '"true"', '["sh", "-c", "exit 0"]', "echo data-only container"]) {
      const d = detect(repo(command));
      expect(Object.keys(services(d)), command).toEqual(["mysql"]);
      expect(d.guessed.join("\n")).toContain("compose service mysqldata left out: its command");
    }
    // A store that runs its server with a command of its own is a service, after an echo too.
    expect(Object.keys(services(detect(repo('["sh", "-c", "echo starting && exec mysqld"]'))))).toEqual(["mysql", "mysqldata"]);
    expect(Object.keys(services(detect(repo("--default-authentication-plugin=mysql_native_password"))))).toEqual(["mysql", "mysqldata"]);
  });
});
