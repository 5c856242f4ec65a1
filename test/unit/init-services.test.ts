import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dockerInstructions } from "../../src/dockerfile/inputs.js";
import { compileSpec } from "../../src/index.js";
import { detect } from "../../src/init/detect.js";
import { isServiceBuild, serviceBuildBase } from "../../src/init/service-build.js";
import { knownService } from "../../src/spec/known-services.js";

/** The TODOs about services: the images side adds its own (a test command these trimmed fixtures do not have). */
const GENERAL = "services: these are what compose's app";
const servicesTodo = (d: { todo: string[] }) => d.todo.filter((t) => t.startsWith("services") && !t.startsWith(GENERAL));

// Which compose services are services of the tests, and their settings, on small repositories of
// our own writing (shapes seen in public repositories, none of their files).
type Service = { image: string; environment?: Record<string, unknown>; command?: string[]; ready?: string | { command: string; timeout: number } };
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const run = (files: Record<string, string>, name?: string) => {
  const d = detect(repoView(files, name));
  const services = ((parse(d.spec) as { services?: Record<string, Service> }).services ?? {}) as Record<string, Service>;
  return { ...d, services };
};
const APP = "FROM node:20\nCOPY package.json .\nRUN npm install\nCOPY . .\n";
const yaml = (...lines: string[]) => lines.join("\n") + "\n";
/** A compose file of an app that waits for `db`, given db's lines. */
const appAndDb = (...db: string[]) => yaml("services:", "  app:", "    build: .", "    depends_on: [db]", "  db:", ...db);

describe("init: the services are what the app needs", () => {
  it("what the app waits for, transitively (list and map forms); tools, dashboards and proxies are left out, each with the reason", () => {
    const d = run({
      Dockerfile: APP,
      "package.json": '{"scripts": {"test": "jest"}}',
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    build: .",
        "    depends_on: { db: { condition: service_healthy }, kafka: { condition: service_started } }",
        "  assets:",
        "    build: { context: ., target: assets }",
        "    command: npm run watch",
        "  db:",
        "    image: postgres:16",
        "    environment: { POSTGRES_PASSWORD: pw }",
        "  kafka:",
        "    image: apache/kafka:3.8.0",
        "    depends_on: [zookeeper]",
        "  zookeeper:",
        "    image: zookeeper:3.9",
        "  adminer:",
        "    image: adminer",
        "    depends_on: [db]",
        "  kafka-ui:",
        "    image: provectuslabs/kafka-ui",
        "    depends_on: [kafka]",
        "  proxy:",
        "    image: traefik:3",
        "    depends_on: [web]",
        "  mail:",
        "    image: mailhog/mailhog",
      ),
    });
    expect(Object.keys(d.services)).toEqual(["db", "kafka", "zookeeper"]);
    expect(d.guessed).toEqual(
      expect.arrayContaining([
        "compose service adminer left out: a console for a database, a queue or a cache, a development tool the tests do not need (add it if they do)",
        "compose service kafka-ui left out: a console for a database, a queue or a cache, a development tool the tests do not need (add it if they do)",
        "compose service mail left out: a mail catcher, a development tool the tests do not need (add it if they do)",
        "compose service proxy left out: a reverse proxy, a development tool the tests do not need (add it if they do)",
      ]),
    );
    expect(d.found).toEqual(expect.arrayContaining(["the app in compose: web (it builds Dockerfile)", "the app in compose: assets (it builds Dockerfile)"]));
    // The one image init cannot classify (no known probe, no healthcheck) is flagged.
    expect(servicesTodo(d)).toEqual([
      "services.zookeeper: zookeeper:3.9 is not a service init knows, and compose gives it no healthcheck: the tests would not wait for it; write a ready: probe, or remove it if the tests do not use it",
    ]);
  });

  it("what the app's settings point at: URLs, host:port, *_HOST values, a wait-for in its command; by a service's name, alias or container_name", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "    command: sh -c './wait-for cache:6379 -- npm start'",
        "    environment:",
        "      - DATABASE_URL=postgresql://user:p%40ss@pg-main:5432/app?sslmode=disable",
        "      - MONGO_URL=mongodb://a:b@mongo-1:27017,mongo-2:27017/app",
        "      - SEARCH_HOST=search",
        "      - POSTGRES_USER=postgres",
        "  postgres:",
        "    image: postgres:16",
        "    container_name: pg-main",
        "    environment: [POSTGRES_PASSWORD=p@ss]",
        "  mongo1:",
        "    image: mongo:7",
        "    networks: { default: { aliases: [mongo-1] } }",
        "  mongo2:",
        "    image: mongo:7",
        "    networks: { default: { aliases: [mongo-2] } }",
        "  redis:",
        "    image: redis:7",
        "    networks: { backend: { aliases: [cache] } }",
        "  search:",
        "    image: docker.elastic.co/elasticsearch/elasticsearch:8.14.0",
        "  elasticvue:",
        "    image: cars10/elasticvue",
        "    environment: [ELASTICVUE_CLUSTERS=http://search:9200]",
      ),
    });
    // Each keeps its compose name and answers to the other names the app reaches it by.
    expect(Object.fromEntries(Object.entries(d.services).map(([n, s]) => [n, (s as { aliases?: string[] }).aliases]))).toEqual({
      mongo1: ["mongo-1"],
      mongo2: ["mongo-2"],
      postgres: ["pg-main"],
      redis: ["cache"],
      search: undefined,
    });
    expect(d.found).toContain("service postgres answers to pg-main too: the tests' settings reach it so");
    expect(d.guessed).toContain("compose service elasticvue left out: neither the app nor its services wait for it or name it in their settings");
  });

  it("links count as depends_on, and a link alias names the service", () => {
    const d = run({
      Dockerfile: APP,
      "docker-compose.yml":
        "services:\n  web:\n    build: .\n    links: ['mysql:database']\n  mysql:\n    image: mysql:8\n    environment: { MYSQL_ROOT_PASSWORD: root }\n",
    });
    expect(d.services).toEqual({ mysql: expect.objectContaining({ aliases: ["database"] }) });
    // A compose name the spec cannot take gives way to the name the app reaches it by.
    const digit = run({
      Dockerfile: APP,
      "docker-compose.yml":
        "services:\n  web:\n    build: .\n    links: ['1sql:database']\n  1sql:\n    image: mysql:8\n    environment: { MYSQL_ROOT_PASSWORD: root }\n",
    });
    expect(Object.keys(digit.services)).toEqual(["database"]);
  });

  it("a compose test service says what the tests need, not the app; it is not a service", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml":
        "services:\n  sut:\n    build: .\n    command: npm test\n    depends_on: [redis]\n  redis:\n    image: redis:7\n  db:\n    image: postgres:16\n",
    });
    expect(Object.keys(d.services)).toEqual(["redis"]);
    // The app's own needs (a search engine, a payment mock) are not the tests'.
    const both = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    build: .",
        "    image: shop:dev",
        "    depends_on: [db, search]",
        "  tests:",
        "    image: shop:dev",
        "    depends_on: { db: { condition: service_healthy } }",
        "  db:",
        "    image: postgres:16",
        "  search:",
        "    image: opensearchproject/opensearch:2",
      ),
    });
    expect(Object.keys(both.services)).toEqual(["db"]);
    // A test service that calls the app (an autotest `sut`): the app's needs come with it.
    const sut = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  sut:",
        "    build: .",
        "    depends_on: [app]",
        "  app:",
        "    build: .",
        "    depends_on: [db]",
        "  db:",
        "    image: postgres:16",
      ),
    });
    expect(Object.keys(sut.services)).toEqual(["db"]);
  });

  it("without a service that builds it, the app is the service that runs the project's own image; never a service", () => {
    const d = run(
      {
        Dockerfile: "FROM golang:1.22\n",
        "go.mod": "module x\n",
        "docker-compose.yml": yaml(
          "services:",
          "  server:",
          "    image: ghcr.io/acme/gateway:latest",
          "    environment: { REDIS_ADDR: 'redis:6379' }",
          "  redis:",
          "    image: redis:7",
          "  db:",
          "    image: postgres:16",
        ),
      },
      "gateway",
    );
    expect(Object.keys(d.services)).toEqual(["redis"]);
    expect(d.found).toContain("the app in compose: server (it runs the project's own image, ghcr.io/acme/gateway:latest)");
  });

  it("the app's other builds and instances: a development Dockerfile of its folder, a worker that runs the image compose builds", () => {
    const d = run(
      {
        Dockerfile: APP,
        "Dockerfile.dev": APP,
        "compose.yaml": yaml(
          "services:",
          "  web:",
          "    build: { context: ., dockerfile: Dockerfile.dev }",
          "    image: acme/storefront:dev",
          "    depends_on: [worker]",
          "  worker:",
          "    image: acme/storefront:dev",
          "    environment: { BROKER_URL: 'redis://queue:6379/0' }",
          "  queue:",
          "    image: redis:7",
          "  db:",
          "    image: postgres:16",
        ),
      },
      "storefront-app",
    );
    expect(Object.keys(d.services)).toEqual(["queue"]);
    expect(d.found).toEqual(
      expect.arrayContaining([
        "the app in compose: web (it builds Dockerfile.dev)",
        "the app in compose: worker (it runs the project's own image, acme/storefront:dev)",
      ]),
    );
  });

  it("the app's settings that point at the services become the test's environment (the tests run in the same image)", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    build: .",
        "    environment:",
        "      DATABASE_URL: postgres://shop:pw@db:5432/shop",
        "      spring.redis.url: redis://cache:6379",
        "      REDIS_HOST: cache",
        "      SECRET_KEY: dev",
        "      MAIL_URL: ${MAIL_URL}",
        "  db:",
        "    image: postgres:16",
        "    environment: { POSTGRES_PASSWORD: pw, POSTGRES_USER: shop }",
        "  cache:",
        "    image: redis:7",
      ),
    });
    const spec = parse(d.spec) as { test: { environment?: Record<string, string> } };
    expect(spec.test.environment).toEqual({ DATABASE_URL: "postgres://shop:pw@db:5432/shop", REDIS_HOST: "cache" });
    expect(d.found).toContain("test environment from compose's app, pointing at the services: DATABASE_URL, REDIS_HOST");
  });

  it("no compose service: the services a CI job that runs the tests declares, reached by their names", () => {
    const workflow = yaml(
      "on: push",
      "jobs:",
      "  lint:",
      "    runs-on: ubuntu-latest",
      "    services: { cache: { image: 'redis:7' } }",
      "    steps: [{ run: 'npm run lint' }, { run: 'mkdir -p test-results && cd tests' }]",
      "  test:",
      "    runs-on: ubuntu-latest",
      "    env:",
      "      DATABASE_URL: mysql://root:pw@127.0.0.1:33306/app",
      "      TOKEN: ${{ secrets.TOKEN }}",
      "    services:",
      "      mysql:",
      "        image: mysql:8.4",
      "        env: { MYSQL_ROOT_PASSWORD: pw, MYSQL_DATABASE: app }",
      "        ports: ['33306:3306']",
      "        options: --health-cmd='mysqladmin ping' --health-interval=10s",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - run: vendor/bin/phpunit",
      "        env: { APP_ENV: test }",
    );
    const d = run({ Dockerfile: APP, ".github/workflows/ci.yml": workflow });
    // MySQL's own probe (over TCP), not the job's health command.
    expect(d.services.mysql!.ready).toMatch(/^mysqladmin ping -h 127\.0\.0\.1/);
    expect(d.services.mysql!.environment).toEqual({ MYSQL_ROOT_PASSWORD: "pw", MYSQL_DATABASE: "app" });
    expect(Object.keys(d.services)).toEqual(["mysql"]);
    expect((parse(d.spec) as { test: { environment?: Record<string, string> } }).test.environment).toEqual({ DATABASE_URL: "mysql://root:pw@mysql:3306/app" });
    expect(d.found).toContain("services from .github/workflows/ci.yml job test: mysql");
    expect(d.todo).toContain(
      "services: taken from .github/workflows/ci.yml job test, which runs the tests with these services: check that the image's tests need them",
    );
    // A job whose services the matrix chooses says nothing for sure.
    const matrix = workflow.replace("    steps:\n      - uses", "      db:\n        image: ${{ matrix.db }}\n    steps:\n      - uses");
    expect(matrix).toContain("matrix.db");
    expect(run({ Dockerfile: APP, ".github/workflows/ci.yml": matrix }).services).toEqual({});
    // A published port written with its address; the workflow's own env too.
    const ip = run({
      Dockerfile: APP,
      ".github/workflows/ci.yml": workflow
        .replace("['33306:3306']", "['127.0.0.1:33306:3306']")
        .replace("on: push\n", "on: push\nenv:\n  CACHE_URL: redis://localhost:33306\n"),
    });
    expect((parse(ip.spec) as { test: { environment?: Record<string, string> } }).test.environment).toEqual({
      CACHE_URL: "redis://mysql:3306",
      DATABASE_URL: "mysql://root:pw@mysql:3306/app",
    });
    // Compose had a database and left it out on purpose (the tests use SQLite): no service from CI either.
    const sqlite = run({
      Dockerfile: APP,
      ".github/workflows/ci.yml": workflow,
      "compose.yaml": yaml("services:", "  web:", "    build: .", "    depends_on: [db]", "  db:", "    image: mysql:8"),
      "phpunit.xml": '<phpunit><php><env name="DB_CONNECTION" value="sqlite"/></php></phpunit>',
    });
    expect(sqlite.services).toEqual({});
    // Compose's services, when it names some, come first.
    const both = run({
      Dockerfile: APP,
      ".github/workflows/ci.yml": workflow,
      "compose.yaml": yaml("services:", "  web:", "    build: .", "    depends_on: [db]", "  db:", "    image: postgres:16"),
    });
    expect(Object.keys(both.services)).toEqual(["db"]);
  });

  it("services taken from what the running app needs get a TODO; a compose test service's needs do not", () => {
    const general = (d: { todo: string[] }) => d.todo.filter((t) => t.startsWith(GENERAL));
    const app = run({ Dockerfile: APP, "compose.yaml": yaml("services:", "  web:", "    build: .", "    depends_on: [db]", "  db:", "    image: redis:7") });
    expect(general(app)).toEqual([
      "services: these are what compose's app (web) needs to run; no compose test service says what the tests need: remove those they do not use",
    ]);
    const sut = run({ Dockerfile: APP, "compose.yaml": yaml("services:", "  sut:", "    build: .", "    depends_on: [db]", "  db:", "    image: redis:7") });
    expect(Object.keys(sut.services)).toEqual(["db"]);
    expect(general(sut)).toEqual([]);
  });

  it("jobs are not services: one another waits to complete, one that runs a package manager on the mounted repository", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    build: .",
        "    depends_on:",
        "      db: { condition: service_healthy }",
        "      assets: { condition: service_completed_successfully }",
        "      vendor: { condition: service_started }",
        "  assets:",
        "    image: node:24-alpine",
        "    command: sh -c 'npm run build'",
        "    depends_on: [vendor]",
        "  vendor:",
        "    image: composer:2",
        "    command: composer install",
        "    volumes: ['.:/app']",
        "  db:",
        "    image: postgres:16",
        "    volumes: ['./data:/var/lib/postgresql/data']",
      ),
    });
    expect(Object.keys(d.services)).toEqual(["db"]);
    expect(d.guessed).toEqual(
      expect.arrayContaining([
        "compose service assets left out: another service waits for it to complete (service_completed_successfully): a job, not a service",
        "compose service vendor left out: it runs composer on the repository it mounts: a job, not a service",
      ]),
    );
    // A data store that mounts a folder of the repository is still one.
    expect(servicesTodo(d)).toEqual([]);
  });

  it("an app compose builds from another Dockerfile than the tests' image: its services are taken, with a TODO", () => {
    const d = run({
      Dockerfile: APP,
      "docker/web/Dockerfile": "FROM httpd:2.4\n",
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    build: { context: ., dockerfile: docker/web/Dockerfile }",
        "    depends_on: [db]",
        "  db:",
        "    image: redis:7",
      ),
    });
    expect(Object.keys(d.services)).toEqual(["db"]);
    expect(servicesTodo(d)).toEqual([
      "services: compose's app builds docker/web/Dockerfile, not the image the tests run in (Dockerfile): these are the services the app needs to run; remove those the tests do not use",
    ]);
  });

  it("an app compose builds to another stage than the tests' (the runtime image): a TODO; the same stage: none", () => {
    const files = (target: string) => ({
      Dockerfile:
        "FROM python:3.12 AS build\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nFROM gcr.io/distroless/python3\nCOPY --from=build /app /app\n",
      "requirements.txt": "pytest\n",
      "compose.yaml": yaml("services:", "  web:", `    build: { context: ., ${target} }`, "    depends_on: [cache]", "  cache:", "    image: redis:7"),
    });
    const runtime = run(files("dockerfile: Dockerfile"));
    expect(Object.keys(runtime.services)).toEqual(["cache"]);
    expect(servicesTodo(runtime)).toEqual([
      "services: compose's app builds Dockerfile's final stage (the tests run in its stage build): these are the services the app needs to run; remove those the tests do not use",
    ]);
    expect(servicesTodo(run(files("target: build")))).toEqual([]);
    // Two apps of the same build (the server and its migrations): the Dockerfile is named once.
    const twice = files("dockerfile: Dockerfile");
    twice["compose.yaml"] = yaml(
      "services:",
      "  web:",
      "    build: .",
      "    depends_on: [cache]",
      "  migrate:",
      "    build: .",
      "    depends_on: [cache]",
      "  cache:",
      "    image: redis:7",
    );
    expect(servicesTodo(run(twice))).toEqual([
      "services: compose's app builds Dockerfile's final stage (the tests run in its stage build): these are the services the app needs to run; remove those the tests do not use",
    ]);
  });

  it("a service that runs an image the repository's scripts build (docker build -t) is the app", () => {
    const d = run({
      Dockerfile: APP,
      Makefile: "build:\n\tdocker build --tag shop_web --target web .\n",
      "compose.yaml": yaml(
        "services:",
        "  web:",
        "    image: shop_web:latest",
        "    depends_on: [cache]",
        "  cache:",
        "    image: redis:7",
        "  db:",
        "    image: postgres:16",
      ),
    });
    expect(Object.keys(d.services)).toEqual(["cache"]);
    expect(d.found).toContain("the app in compose: web (it runs the project's own image, shop_web:latest)");
  });

  it("the test runner set up for SQLite (PHPUnit's DB_CONNECTION, Rails' test database) needs no SQL database service; for in-process drivers, no cache", () => {
    const compose = yaml("services:", "  app:", "    build: .", "    depends_on: [db, cache]", "  db:", "    image: mysql:8", "  cache:", "    image: redis:7");
    const php = run({
      Dockerfile: APP,
      "compose.yaml": compose,
      "phpunit.xml": '<phpunit><php>\n<server name="DB_CONNECTION" value="sqlite"/>\n<server name="DB_DATABASE" value=":memory:"/>\n</php></phpunit>\n',
    });
    expect(Object.keys(php.services)).toEqual(["cache"]);
    expect(php.guessed).toContain("compose service db left out: phpunit.xml sets the tests' database to SQLite");
    // Laravel's in-process cache, queue and session drivers: no Redis either; one left on Redis keeps it.
    const drivers = (queue: string) =>
      run({
        Dockerfile: APP,
        "compose.yaml": compose,
        "phpunit.xml": `<phpunit><php><server name="CACHE_DRIVER" value="array"/><env name="SESSION_DRIVER" value="array"/><env name="QUEUE_CONNECTION" value="${queue}"/></php></phpunit>`,
      });
    expect(Object.keys(drivers("sync").services)).toEqual(["db"]);
    expect(drivers("sync").guessed).toContain(
      "compose service cache left out: phpunit.xml sets the tests' cache, queue and session to in-process drivers (array, sync, array)",
    );
    expect(Object.keys(drivers("redis").services)).toEqual(["cache", "db"]);
    // PHPUnit's bootstrap that sets the tests up on SQLite, naming no other engine: no SQL database either (with a TODO).
    const boot = (text: string) =>
      run({ Dockerfile: APP, "compose.yaml": compose, "phpunit.xml.dist": '<phpunit bootstrap="tests/bootstrap.php"></phpunit>', "tests/bootstrap.php": text });
    expect(Object.keys(boot("<?php use App\\Database\\Sqlite3; $db = new Sqlite3(':memory:');").services)).toEqual(["cache"]);
    expect(Object.keys(boot("<?php $dsn = getenv('DB') ?: 'sqlite'; // or mysql").services)).toEqual(["cache", "db"]);
    const rails = (adapter: string) =>
      Object.keys(
        run({
          Dockerfile: APP,
          "compose.yaml": compose,
          "config/database.yml": `default: &default\n  adapter: ${adapter}\n  pool: 5\n\ndevelopment:\n  <<: *default\n  database: dev\n\ntest:\n  <<: *default\n  database: db/test.sqlite3\n`,
        }).services,
      );
    expect(rails("sqlite3")).toEqual(["cache"]);
    expect(rails("postgresql")).toEqual(["cache", "db"]);
    // Commented out, it says nothing.
    expect(
      Object.keys(run({ Dockerfile: APP, "compose.yaml": compose, "phpunit.xml": '<!-- <env name="DB_CONNECTION" value="sqlite"/> -->' }).services),
    ).toEqual(["cache", "db"]);
  });

  it("JVM tests that open an in-memory database and no URL of a compose host need no SQL database service (with a TODO)", () => {
    const compose = yaml(
      "services:",
      "  api:",
      "    build: .",
      "    depends_on: [db, cache]",
      "  db:",
      "    image: mariadb:11",
      "  cache:",
      "    image: redis:7",
    );
    const jvm = (test: string) =>
      run({
        Dockerfile: "FROM maven:3.9\nCOPY pom.xml .\nRUN mvn dependency:go-offline\nCOPY . .\n",
        "pom.xml": "<project/>",
        "compose.yaml": compose,
        "api/src/test/java/org/acme/BaseTest.java": 'class BaseTest { String url = "jdbc:h2:mem:openmrs;DB_CLOSE_DELAY=-1"; }',
        "api/src/test/java/org/acme/Other.java": test,
      });
    const local = jvm('String u = "jdbc:mysql://localhost:3306/x";');
    expect(Object.keys(local.services)).toEqual(["cache"]);
    expect(servicesTodo(local)).toContain(
      "services: compose service db left out: the tests' own sources open an in-memory database (api/src/test/java/org/acme/BaseTest.java); add it back if some tests reach it",
    );
    // A test that opens the compose database by its host, or by a setting, needs it.
    expect(Object.keys(jvm('String u = "jdbc:mariadb://db:3306/x";').services)).toEqual(["cache", "db"]);
    expect(Object.keys(jvm('url: "jdbc:postgresql://${DB_HOST}/x"').services)).toEqual(["cache", "db"]);
  });

  it(".NET test projects on EF Core's in-memory provider, none on a server's provider or Testcontainers, need no SQL database service", () => {
    const compose = yaml("services:", "  web:", "    build: .", "    depends_on: [sqlserver]", "  sqlserver:", "    image: mcr.microsoft.com/azure-sql-edge");
    const dotnet = (extra: string) =>
      run({
        Dockerfile: "FROM mcr.microsoft.com/dotnet/sdk:8.0\nWORKDIR /app\nCOPY . .\nRUN dotnet restore\n",
        "Shop.sln": "",
        "src/Web/Web.csproj": '<Project><ItemGroup><PackageReference Include="Microsoft.EntityFrameworkCore.SqlServer" /></ItemGroup></Project>',
        "tests/UnitTests/UnitTests.csproj": `<Project><ItemGroup><PackageReference Include="Microsoft.NET.Test.Sdk" /><PackageReference Include="Microsoft.EntityFrameworkCore.InMemory" />${extra}</ItemGroup></Project>`,
        "compose.yaml": compose,
      });
    const inMemory = dotnet("");
    expect(Object.keys(inMemory.services)).toEqual([]);
    expect(inMemory.todo).toContain(
      "services: compose service sqlserver left out: the tests' projects use EF Core's in-memory or SQLite provider (tests/UnitTests/UnitTests.csproj); add it back if some tests reach it",
    );
    expect(Object.keys(dotnet('<PackageReference Include="Testcontainers.MsSql" />').services)).toEqual(["sqlserver"]);
  });

  it("tests that start a store of a kind with Testcontainers need no compose store of that kind (one TODO says they need a Docker engine)", () => {
    const compose = yaml(
      "services:",
      "  api:",
      "    build: .",
      "    depends_on: [db, search, cache]",
      "  db:",
      "    image: postgres:16",
      "  search:",
      "    image: elasticsearch:8.18.0",
      "  cache:",
      "    image: redis:7",
    );
    const gradle = (tests: Record<string, string>) =>
      run({ Dockerfile: "FROM gradle:8-jdk21\nCOPY . .\nRUN gradle assemble\n", "build.gradle": "", "compose.yaml": compose, ...tests });
    const jvm = gradle({
      "src/test/resources/application.yml": "spring:\n  datasource:\n    url: jdbc:tc:postgresql:16.2:///test\n",
      "src/test/java/org/acme/SearchConfig.java":
        'import org.testcontainers.elasticsearch.ElasticsearchContainer;\nclass C { Object c = new ElasticsearchContainer("docker.elastic.co/elasticsearch/elasticsearch:8.7.1"); }',
    });
    expect(Object.keys(jvm.services)).toEqual(["cache"]);
    const todo = servicesTodo(jvm).filter((t) => t.includes("Testcontainers"));
    expect(todo).toEqual([
      "services: compose services db, search left out: the tests start their own PostgreSQL, Elasticsearch with Testcontainers (src/test/resources/application.yml, src/test/java/org/acme/SearchConfig.java); such tests need a Docker engine, which the test container does not have: leave them out of the command, or add the services back and point the tests at them",
    ]);
    // Another language's Testcontainers (a Go module of its own), and a test that names no store it starts.
    const go = run({
      Dockerfile: "FROM golang:1.23\nCOPY . .\n",
      "go.mod": "module acme\n",
      "compose.yaml": compose,
      "store/redis_test.go": 'import "github.com/testcontainers/testcontainers-go/modules/redis"\n',
    });
    expect(Object.keys(go.services)).toEqual(["db", "search"]);
    // A comment that mentions it, in a test that names a store's site, starts nothing.
    const mention = run({
      Dockerfile: "FROM golang:1.23\nCOPY . .\n",
      "go.mod": "module acme\n",
      "compose.yaml": compose,
      "db_test.go": '// TODO: spawn databases using testcontainers\nvar u = "https://postgresql.org"\n',
    });
    expect(Object.keys(mention.services)).toEqual(["cache", "db", "search"]);
    expect(Object.keys(gradle({ "src/test/java/org/acme/T.java": "import org.testcontainers.containers.Network;\n" }).services)).toEqual([
      "cache",
      "db",
      "search",
    ]);
  });

  it("the app's services waiting for each other say nothing of what it needs: the data stores, with a TODO", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": "services:\n  web:\n    build: .\n    depends_on: [worker]\n  worker:\n    build: .\n  db:\n    image: postgres:16\n",
    });
    expect(Object.keys(d.services)).toEqual(["db"]);
    expect(servicesTodo(d)[0]).toMatch(/^services: the app \(web, worker\) names no service it needs/);
  });

  it("a service built here that the app needs is not one a spec can run: left out with a TODO", () => {
    const d = run({
      Dockerfile: APP,
      "auth/Dockerfile": "FROM golang:1.22\n",
      "compose.yaml":
        "services:\n  web:\n    build: .\n    environment: { AUTH_URL: 'http://auth:8080' }\n  auth:\n    build: auth\n    depends_on: [authdb]\n  authdb:\n    image: postgres:16\n",
    });
    expect(d.services).toEqual({});
    expect(servicesTodo(d)).toEqual([
      "services: the tests may need auth (web's AUTH_URL), which compose builds from auth/Dockerfile: a service runs an image, so it is left out; add it if the tests need it",
    ]);
    // What that service needs is its own business.
    expect(d.guessed).toContain("compose service authdb left out: neither the app nor its services wait for it or name it in their settings");
  });

  it("when the app names nothing it needs, the well-known data stores are taken, with a TODO", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml":
        "services:\n  app:\n    build: .\n  db:\n    image: mariadb:11\n  queue:\n    image: rabbitmq:3-management\n  ui:\n    image: phpmyadmin\n",
    });
    expect(Object.keys(d.services)).toEqual(["db", "queue"]);
    expect(servicesTodo(d)[0]).toBe(
      "services: the app (app) names no service it needs (no depends_on, no host in its environment): the data stores of compose.yaml are taken; remove those the tests do not use",
    );
    expect(d.spec).toMatch(/# TODO: the app \(app\) names no service.*\nservices:/);
    expect(d.guessed).toContain(
      "compose service ui left out: a console for a database, a queue or a cache, a development tool the tests do not need (add it if they do)",
    );
  });

  it("a well-known development tool the app waits for or points at is still left out (a mail catcher, a tracing console)", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "    depends_on: [db, mail]",
        "    environment: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', SMTP_HOST: mail }",
        "  db:",
        "    image: postgres:16",
        "  mail:",
        "    image: docker.io/axllent/mailpit:v1.20",
        "  jaeger:",
        "    image: jaegertracing/all-in-one:1.60",
      ),
    });
    expect(Object.keys(d.services)).toEqual(["db"]);
    expect(d.guessed).toContain("compose service jaeger left out: a tracing or metrics console, a development tool the tests do not need (add it if they do)");
    // The app reaches them: a TODO says so.
    expect(servicesTodo(d)).toEqual([
      "services: the app reaches mail (app's depends_on, app's SMTP_HOST), a mail catcher: left out as the tests rarely need one; add it if they do",
      "services: the app reaches jaeger (app's OTEL_EXPORTER_OTLP_ENDPOINT), a tracing or metrics console: left out as the tests rarely need one; add it if they do",
    ]);
  });

  it("with nothing named, an image whose healthcheck runs a data store's own client counts as that store", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "  db:",
        "    image: pgautoupgrade/pgautoupgrade:16-alpine",
        "    env_file: app.env",
        "    healthcheck: { test: ['CMD-SHELL', 'pg_isready -U app'] }",
        "  docs:",
        "    image: squidfunk/mkdocs-material",
        "    healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost:8000'] }",
      ),
      "app.env": "POSTGRES_PASSWORD=pw\nSECRET_KEY=dev\n",
    });
    expect(Object.keys(d.services)).toEqual(["db"]);
    // Over TCP: a socket probe passes while the image runs its init scripts on a temporary server.
    expect(d.services.db!.ready).toBe("pg_isready -h 127.0.0.1 -U app");
    // Read as PostgreSQL: only its own settings from the env_file it shares with the app.
    expect(d.services.db!.environment).toEqual({ POSTGRES_PASSWORD: "pw" });
  });

  it("a compose file of dependencies only (the app runs outside compose): its data stores, with a TODO", () => {
    const d = run({ Dockerfile: APP, "docker-compose.dev.yml": "services:\n  redis:\n    image: redis:7\n  mailpit:\n    image: axllent/mailpit\n" });
    expect(Object.keys(d.services)).toEqual(["redis"]);
    expect(servicesTodo(d)[0]).toMatch(/^services: no compose service is the app: the data stores of docker-compose.dev.yml are taken/);
  });
});

describe("a Dockerfile that builds a well-known service", () => {
  const base = (text: string, args?: Record<string, string>) => serviceBuildBase(dockerInstructions(text), args);

  it("its final stage's base, through ARG defaults, compose's build args and earlier stages", () => {
    expect(base("FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n")).toMatchObject({ image: "postgres:16", known: { kind: "PostgreSQL" } });
    expect(base("ARG PG=15\nFROM postgres:${PG}-alpine AS db\nFROM db\nCOPY x /y\n")?.image).toBe("postgres:15-alpine");
    expect(base("ARG V=8.0\nFROM --platform=linux/amd64 mysql:$V\n", { V: "8.4" })?.image).toBe("mysql:8.4");
    expect(base("FROM node:20 AS build\nRUN make\nFROM redis:7\nCOPY --from=build /x /y\n")?.known.kind).toBe("Redis");
  });

  it("is not one when the final stage is something else, even built from a service image", () => {
    expect(base("FROM postgres:16 AS pg\nFROM python:3.12\nCOPY --from=pg /usr/lib/postgresql /pg\n")).toBeUndefined();
    expect(base("FROM python:3.12\n")).toBeUndefined();
    expect(isServiceBuild(dockerInstructions("FROM mariadb:11\nCOPY my.cnf /etc/mysql/conf.d/\n"))).toBe(true);
    expect(isServiceBuild(dockerInstructions("FROM golang:1.22\n"))).toBe(false);
  });
});

describe("init: a database built from a well-known image", () => {
  const files = {
    Dockerfile: APP,
    "db/Dockerfile": "ARG PG_MAJOR=16\nFROM postgres:${PG_MAJOR}\nCOPY init/ /docker-entrypoint-initdb.d/\n",
    "db/init/schema.sql": "",
    "compose.yaml": yaml(
      "services:",
      "  web:",
      "    build: .",
      "    depends_on: [db]",
      "  db:",
      "    build: { context: db, args: { PG_MAJOR: '15' } }",
      "    image: acme/shop-db",
      "    environment: { POSTGRES_PASSWORD: pw }",
      "    healthcheck: { test: [CMD, /usr/local/bin/ready.sh] }",
    ),
  };

  it("is a service that runs its base image, with a TODO that the Dockerfile's additions are not applied", () => {
    const d = run(files);
    expect(d.services).toEqual({ db: { image: "postgres:15", ready: knownService("postgres")!.ready, environment: { POSTGRES_PASSWORD: "pw" } } });
    expect(servicesTodo(d)).toEqual([
      "services.db: compose builds db from db/Dockerfile, on postgres:15: a service runs an image, so postgres:15 runs here without what that Dockerfile adds (init scripts, configuration); run those in setup: or from the tests",
    ]);
    expect(compileSpec(d.spec).diagnostics).toEqual([]);
  });
});

describe("init: a service's settings", () => {
  it("the known image's probe where compose has no healthcheck, and the settings it needs to start (compose's kept)", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "    depends_on: [db, es, os, mysql, cache]",
        "  db:",
        "    image: postgres:16",
        "  es:",
        "    image: docker.elastic.co/elasticsearch/elasticsearch:8.14.0",
        "    environment: [ES_JAVA_OPTS=-Xms1g -Xmx1g]",
        "  os:",
        "    image: opensearchproject/opensearch:2.15.0",
        "  mysql:",
        "    image: mysql:8.4",
        "  cache:",
        "    image: redis:7",
        "    healthcheck: { test: [CMD, redis-cli, ping], interval: 5s }",
      ),
    });
    expect(d.services.db).toEqual({ image: "postgres:16", ready: knownService("postgres")!.ready, environment: { POSTGRES_HOST_AUTH_METHOD: "trust" } });
    expect(d.services.es).toEqual({
      image: "docker.elastic.co/elasticsearch/elasticsearch:8.14.0",
      ready: { command: knownService("elasticsearch")!.ready, timeout: 180 },
      environment: { ES_JAVA_OPTS: "-Xms1g -Xmx1g", "discovery.type": "single-node", "xpack.security.enabled": "false" },
    });
    expect(d.services.os!.environment).toMatchObject({ "discovery.type": "single-node", DISABLE_SECURITY_PLUGIN: "true" });
    expect(d.services.mysql!.environment).toEqual({ MYSQL_ALLOW_EMPTY_PASSWORD: "yes" });
    expect(d.services.cache).toEqual({ image: "redis:7", ready: "redis-cli ping" });
    // A password init chose is a TODO: the tests' settings may say another.
    expect(servicesTodo(d)).toEqual([
      "services.mysql.environment: MYSQL_ALLOW_EMPTY_PASSWORD=yes added so that MySQL starts: check that the tests connect with these credentials",
    ]);
    expect(d.guessed).toContain(
      "service es: discovery.type=single-node, xpack.security.enabled=false added, what Elasticsearch needs to start in CI (compose's own values are kept)",
    );
    // Dotted names are valid environment names of a service.
    expect(compileSpec(d.spec).diagnostics).toEqual([]);
  });

  it("Docker Hub's web name of an official image (docker.io/_/postgres) is written as a reference docker takes", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": appAndDb('    image: "${HUB:-docker.io/}${ORG:-_}/postgres:18-alpine"'),
    });
    expect(d.services.db).toMatchObject({ image: "postgres:18-alpine", ready: knownService("postgres")!.ready });
    expect(compileSpec(d.spec).diagnostics).toEqual([]);
  });

  it("a setting named without a value takes the environment file's value, else is a TODO (not an empty value)", () => {
    const d = run({
      Dockerfile: APP,
      ".env.example": "POSTGRES_PASSWORD=s3cret\n",
      "compose.yaml": appAndDb("    image: postgres:16", "    environment:", "      - POSTGRES_PASSWORD", "      - POSTGRES_DB"),
    });
    expect(d.services.db!.environment).toMatchObject({ POSTGRES_PASSWORD: "s3cret", POSTGRES_DB: "${POSTGRES_DB}" });
    expect(servicesTodo(d)).toContainEqual(expect.stringMatching(/^services\.db\.environment\.POSTGRES_DB: \$\{POSTGRES_DB\} has no value/));
  });

  it("a healthcheck that runs a mounted script gives way to the image's probe; with no probe to put instead, it is dropped with a TODO", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "    depends_on: [db, mq, api-mock, vault]",
        "  db:",
        "    image: mariadb:11",
        "    environment: { MARIADB_ROOT_PASSWORD: root }",
        "    volumes: ['./docker/healthcheck.sh:/usr/local/bin/db-health']",
        "    healthcheck: { test: [CMD-SHELL, db-health --wait] }",
        "  mq:",
        "    image: rabbitmq:3",
        "    volumes: [{ type: bind, source: ./docker/mq, target: /opt/checks }]",
        "    healthcheck: { test: /opt/checks/ping.sh }",
        "  api-mock:",
        "    image: wiremock/wiremock:3",
        "    volumes: ['./mocks:/home/wiremock']",
        "    healthcheck: { test: [CMD, sh, /home/wiremock/ready.sh] }",
        "  vault:",
        "    image: hashicorp/vault:1.17",
        "    healthcheck: { test: [CMD-SHELL, 'vault status -address=http://127.0.0.1:8200 -token=$$(cat /run/secrets/token)'] }",
      ),
    });
    expect(d.services.db!.ready).toBe(knownService("mariadb")!.ready);
    expect(d.services.mq!.ready).toEqual({ command: "rabbitmq-diagnostics -q ping", timeout: 120 });
    expect(d.services["api-mock"]).toEqual({ image: "wiremock/wiremock:3" });
    expect(servicesTodo(d)).toContain(
      "services.api-mock: compose's healthcheck (sh /home/wiremock/ready.sh) runs a file from a mount, which the service does not have in CI: write a ready: probe",
    );
    expect(d.guessed).toContain("service db: compose's healthcheck (db-health --wait) runs a file from a mount: MariaDB's own probe instead");
    expect(d.services.vault).toEqual({ image: "hashicorp/vault:1.17" });
    expect(servicesTodo(d)).toContain("services.vault: compose's healthcheck reads a secret file the service does not have in CI: write a ready: probe");
  });

  it("compose's environment in list form, with dotted names; its command as the service's arguments", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": yaml(
        "services:",
        "  app:",
        "    build: .",
        "    environment: [ELASTICSEARCH_URL=http://es:9200, 'REDIS_URL=redis://redis']",
        "  es:",
        "    image: elasticsearch:8.14.0",
        "    environment:",
        "      - discovery.type=single-node",
        "      - xpack.security.enabled=false",
        "      - cluster.routing.allocation.disk.threshold_enabled=false",
        "      - 'ES_JAVA_OPTS=-Xms256m -Xmx256m'",
        "  redis:",
        "    image: redis:7",
        "    command: redis-server --appendonly no --save ''",
      ),
    });
    expect(d.services.es!.environment).toEqual({
      "discovery.type": "single-node",
      "xpack.security.enabled": "false",
      "cluster.routing.allocation.disk.threshold_enabled": "false",
      ES_JAVA_OPTS: "-Xms256m -Xmx256m",
    });
    expect(d.services.redis!.command).toEqual(["redis-server", "--appendonly", "no", "--save", ""]);
    expect(compileSpec(d.spec).diagnostics).toEqual([]);
  });

  it("an unresolved compose variable keeps a TODO naming it, at the setting", () => {
    const d = run({
      Dockerfile: APP,
      ".env.example": "POSTGRES_USER=app\n",
      "compose.yaml": appAndDb(
        "    image: postgres:${PG_VERSION}",
        "    environment:",
        "      POSTGRES_USER: ${POSTGRES_USER}",
        "      POSTGRES_PASSWORD: ${DB_PASSWORD:?set it}",
        "      POSTGRES_DB: ${DB_NAME:-app}",
      ),
    });
    expect(d.services.db!.environment).toEqual({ POSTGRES_USER: "app", POSTGRES_PASSWORD: "${DB_PASSWORD:?set it}", POSTGRES_DB: "app" });
    expect(servicesTodo(d)).toEqual([
      "services.db.image: ${PG_VERSION} has no value (not in .env.example, no default): write the image's tag",
      "services.db.environment.POSTGRES_PASSWORD: ${DB_PASSWORD} has no value (not in .env.example, no default): set POSTGRES_PASSWORD",
    ]);
    expect(d.spec).toMatch(/# TODO: \$\{DB_PASSWORD\} has no value.*\n\s+POSTGRES_PASSWORD:/);
  });

  it("a *_FILE setting whose file is a secret or a mount the service lacks in CI is left out, and the start setting added", () => {
    const d = run({
      Dockerfile: APP,
      "compose.yaml": appAndDb(
        "    image: postgres:16",
        "    environment: [POSTGRES_PASSWORD_FILE=/run/secrets/db_password]",
        "    secrets: [db_password]",
        "secrets:",
        "  db_password:",
        "    environment: DB_PASSWORD",
      ),
    });
    expect(d.services.db!.environment).toEqual({ POSTGRES_HOST_AUTH_METHOD: "trust" });
    expect(d.guessed).toContain(
      "service db: POSTGRES_PASSWORD_FILE left out: its file, /run/secrets/db_password, is a secret or a mount the service does not have in CI",
    );
  });

  it("init scripts and configuration compose mounts from the repository: a TODO, as the service will not have them", () => {
    const d = run({
      Dockerfile: APP,
      "docker/compose.yml": yaml(
        "services:",
        "  app:",
        "    build: ..",
        "    depends_on: [db]",
        "  db:",
        "    image: postgres:16",
        "    environment: { POSTGRES_PASSWORD: pw }",
        "    volumes: ['./initdb:/docker-entrypoint-initdb.d:ro', 'pgdata:/var/lib/postgresql/data']",
      ),
    });
    expect(servicesTodo(d)).toEqual([
      "services.db: compose mounts docker/initdb at /docker-entrypoint-initdb.d: a service has no files from the repository; run what they set up in setup: or from the tests",
    ]);
  });
});
