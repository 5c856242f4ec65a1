import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** The TODOs but the hash's (a Dockerfile that copies everything first gets one there: init-hash's subject). */
/** The TODOs on the command and on what the image lacks for it (less the one that says a command waits for the image's fix: asserted once). */
const SEE_TARGET = "test.command: the image lacks what the tests need (see target)";
const commandTodos = (d: { todo: string[] }) => d.todo.filter((t) => /(test\.command|image\.target):/.test(t) && !t.startsWith(SEE_TARGET));
import { detect } from "../../src/init/detect.js";
import { makeToShell, makeVariables } from "../../src/init/test-rules.js";

// The test command for the test stage's ecosystem, with only the tools that stage has: our own
// small repositories, one or more per rule.
const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";

interface Spec {
  image: { target?: string };
  images?: { test: { command: unknown } }[];
  test: { command: unknown; environment?: Record<string, unknown> };
}
const run = (files: Record<string, string>) => {
  const d = detect(repoView(files));
  return { ...d, parsed: parse(d.spec) as Spec, command: (parse(d.spec) as Spec).test?.command };
};

describe("init: test commands by ecosystem", () => {
  it(".NET: with several solutions, the one named after the repository first (a TODO names them all)", () => {
    const files = {
      "Tools.sln": "",
      "shop.sln": "",
      "src/Web/Web.csproj": "",
      Dockerfile: lines("FROM mcr.microsoft.com/dotnet/sdk:8.0", "WORKDIR /src", "COPY . ."),
    };
    const d = run(files);
    expect(d.command).toBe("dotnet test shop.sln");
    expect(commandTodos(d)).toEqual(["test.command: several solutions or projects: shop.sln, Tools.sln"]);
  });

  it("Maven: the wrapper when the context has it and the stage copies it, else mvn in batch mode", () => {
    const files = { "pom.xml": "<project/>", mvnw: "", "src/main/java/App.java": "" };
    expect(run({ ...files, Dockerfile: lines("FROM maven:3-eclipse-temurin-21", "COPY . .") }).command).toBe("./mvnw -B test");
    expect(run({ ...files, Dockerfile: lines("FROM maven:3-eclipse-temurin-21", "COPY pom.xml .", "COPY src src") }).command).toBe("mvn -B test");
    // The tool the Dockerfile builds with: mvn, though the wrapper is there.
    expect(run({ ...files, Dockerfile: lines("FROM maven:3-eclipse-temurin-21", "COPY . .", "RUN mvn -B package -DskipTests") }).command).toBe("mvn -B test");
    expect(run({ ...files, Dockerfile: lines("FROM maven:3-eclipse-temurin-21", "COPY . .", "RUN ./mvnw -B package") }).command).toBe("./mvnw -B test");
    // An image that copies no code yet (a TODO says to copy it in) gets the wrapper the code brings.
    expect(run({ ...files, Dockerfile: lines("FROM maven:3-eclipse-temurin-21", "WORKDIR /src") }).command).toBe("./mvnw -B test");
    // The code from another stage that copied it, without the wrapper's say: mvn.
    const fromStage = lines(
      "FROM maven:3-eclipse-temurin-21 AS compile",
      "COPY pom.xml src ./",
      "FROM maven:3-eclipse-temurin-21 AS dev",
      "COPY --from=compile /src /src",
    );
    expect(run({ ...files, Dockerfile: fromStage }).command).toBe("mvn -B test");
  });

  it("Gradle: the wrapper, else gradle; a JDK image without Gradle gets the wrapper only", () => {
    const files = { "build.gradle.kts": "", "settings.gradle.kts": "", "src/main/kotlin/App.kt": "" };
    expect(run({ ...files, gradlew: "", Dockerfile: lines("FROM eclipse-temurin:21-jdk", "COPY . .") }).command).toBe("./gradlew test");
    expect(run({ ...files, Dockerfile: lines("FROM gradle:8-jdk21", "COPY . .") }).command).toBe("gradle test");
    const noGradle = run({ ...files, Dockerfile: lines("FROM eclipse-temurin:21-jdk", "COPY . .") });
    expect(noGradle.command).toBe("gradle test");
    expect(commandTodos(noGradle)).toEqual([
      "test.command: gradle test needs gradle, which stage 0 (FROM eclipse-temurin:21-jdk) does not have: install it in that stage, or choose the stage and command that run the tests",
    ]);
  });

  it("cargo, go, dotnet", () => {
    expect(run({ Dockerfile: lines("FROM rust:1.80", "COPY . ."), "Cargo.toml": "", "src/main.rs": "" }).command).toBe("cargo test");
    expect(run({ Dockerfile: lines("FROM golang:1.22-alpine", "COPY . ."), "go.mod": "", "main.go": "" }).command).toBe("go test ./...");
    expect(run({ Dockerfile: lines("FROM mcr.microsoft.com/dotnet/sdk:8.0", "COPY . ."), "app.sln": "", "src/App/App.csproj": "" }).command).toBe(
      "dotnet test",
    );
    const testProject = run({
      Dockerfile: lines("FROM mcr.microsoft.com/dotnet/sdk:8.0", "COPY . ."),
      "src/App/App.csproj": "<Project/>",
      "tests/App.Tests/App.Tests.csproj": '<PackageReference Include="Microsoft.NET.Test.Sdk" />',
    });
    expect(testProject.command).toBe("dotnet test tests/App.Tests/App.Tests.csproj");
  });

  it("mix: in the test environment when the image sets another; a TODO when only the prod dependencies are fetched", () => {
    const d = run({
      Dockerfile: lines(
        "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240722-slim AS builder",
        'ENV MIX_ENV="prod"',
        "COPY mix.exs mix.lock ./",
        "RUN mix deps.get --only $MIX_ENV",
        "COPY lib lib",
        "RUN mix release",
        "FROM debian:bookworm-slim",
        "COPY --from=builder /_build/prod/rel/app ./",
      ),
      "mix.exs": "",
      "mix.lock": "",
      "lib/app.ex": "",
    });
    expect(d.parsed.image.target).toBe("builder");
    expect(d.parsed.test).toEqual({ command: "mix test", environment: { MIX_ENV: "test" } });
    expect(commandTodos(d)).toEqual([
      "image.target: the image fetches only the prod dependencies (mix deps.get --only): the test dependencies are missing; fetch them in the test stage",
    ]);
    expect(run({ Dockerfile: lines("FROM elixir:1.17", "COPY . .", "RUN mix deps.get"), "mix.exs": "", "lib/a.ex": "" }).parsed.test).toEqual({
      command: "mix test",
    });
  });

  it("PHP: composer test (a test script), php artisan test (Laravel), vendor/bin/phpunit; only with the tools the stage has", () => {
    const dockerfile = lines(
      "FROM php:8.3-cli",
      "COPY --from=composer:2 /usr/bin/composer /usr/bin/composer",
      "WORKDIR /app",
      "COPY . /app",
      "RUN composer install",
    );
    const script = { Dockerfile: dockerfile, "composer.json": '{"scripts": {"test": "phpunit"}, "require-dev": {"phpunit/phpunit": "^11"}}', "src/A.php": "" };
    expect(run(script).command).toBe("composer test");
    const laravel = {
      Dockerfile: dockerfile,
      artisan: "",
      "composer.json": '{"require": {"laravel/framework": "^11"}, "require-dev": {"phpunit/phpunit": "^11"}}',
      "app/A.php": "",
    };
    expect(run(laravel).command).toBe("php artisan test");
    const phpunit = { Dockerfile: dockerfile, "composer.json": "{}", "phpunit.xml.dist": "", "src/A.php": "" };
    expect(run(phpunit).command).toBe("vendor/bin/phpunit");
    // No composer in the stage: its test script cannot run; PHPUnit from vendor/ can.
    const noComposer = run({ ...script, Dockerfile: lines("FROM php:8.3-cli", "WORKDIR /app", "COPY . /app"), "vendor/autoload.php": "" });
    expect(noComposer.command).toBe("vendor/bin/phpunit");
  });

  it("PHP: a TODO when the image has no vendor/ or installs without the dev dependencies", () => {
    const files = { "composer.json": '{"require-dev": {"phpunit/phpunit": "^11"}}', "src/A.php": "" };
    const none = run({ ...files, Dockerfile: lines("FROM php:8.3-apache", "WORKDIR /var/www/html", "COPY . /var/www/html") });
    expect(none.command).toBe("vendor/bin/phpunit");
    expect(commandTodos(none)).toEqual(["image.target: the image installs no composer dependencies (vendor/): add 'RUN composer install' to the test stage"]);
    // Options before the command are composer's own: it installs.
    const options = run({ ...files, Dockerfile: lines("FROM composer:2", "WORKDIR /app", "COPY . /app", "RUN composer --no-ansi install --working-dir=/app") });
    expect(commandTodos(options)).toEqual([]);
    expect(commandTodos(run({ ...files, Dockerfile: lines("FROM composer:2", "WORKDIR /app", "COPY . /app", "RUN composer -d /app install") }))).toEqual([]);
    const noDev = run({ ...files, Dockerfile: lines("FROM composer:2", "WORKDIR /app", "COPY . /app", "RUN composer install --no-dev") });
    expect(commandTodos(noDev)).toEqual(["image.target: the image installs its composer dependencies with --no-dev: the test tools are not in it"]);
    // The command waits for the image's fix: a TODO there too.
    expect(noDev.todo).toContainEqual(expect.stringMatching(/^test\.command: the image lacks what the tests need \(see target\): check this command/));
  });

  it("the image's ecosystem decides: a root package.json test script does not win in a PHP, Python or Java image without node", () => {
    const pkg = { "package.json": '{"scripts": {"test": "jest"}, "devDependencies": {"jest": "29"}}', "package-lock.json": "{}" };
    expect(
      run({ ...pkg, Dockerfile: lines("FROM php:8.3", "WORKDIR /app", "COPY . /app", "RUN composer install"), "composer.json": "{}", "phpunit.xml": "" })
        .command,
    ).toBe("vendor/bin/phpunit");
    expect(run({ ...pkg, Dockerfile: lines("FROM python:3.12", "COPY . ."), "requirements.txt": "pytest\n" }).command).toBe("pytest");
    expect(run({ ...pkg, Dockerfile: lines("FROM maven:3", "COPY . ."), "pom.xml": "" }).command).toBe("mvn -B test");
    // A Python image with nothing of Python's to run, and no node: not npm test, but Python's usual command, as a guess.
    const none = run({ ...pkg, Dockerfile: lines("FROM python:3.12-slim", "COPY . .") });
    expect(none.command).toBe("pytest");
    expect(commandTodos(none)).toEqual(["test.command: no test command found for this python image: 'pytest' is a guess"]);
    // With node installed too, the project's package.json test script is the command.
    expect(run({ ...pkg, Dockerfile: lines("FROM python:3.12", "RUN apt-get update && apt-get install -y nodejs npm", "COPY . .") }).command).toBe("npm test");
  });

  it("Python: through uv or poetry when the image installs into their own virtualenv; Django's runner", () => {
    const uv = { "pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\n', "uv.lock": "", "app/main.py": "" };
    const uvImage = lines(
      "FROM python:3.12",
      "COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /uvx /bin/",
      "WORKDIR /app",
      "COPY . /app",
      "WORKDIR /app",
      "RUN uv sync --frozen",
    );
    expect(run({ ...uv, Dockerfile: uvImage }).command).toBe("uv run pytest");
    expect(run({ ...uv, Dockerfile: uvImage + 'ENV PATH="/app/.venv/bin:$PATH"\n' }).command).toBe("pytest");
    const poetry = { "pyproject.toml": "[tool.poetry.group.dev.dependencies]\npytest = '^8'\n", "app/main.py": "" };
    expect(run({ ...poetry, Dockerfile: lines("FROM python:3.12", "RUN pip install poetry", "COPY . .", "RUN poetry install") }).command).toBe(
      "poetry run pytest",
    );
    expect(
      run({
        ...poetry,
        Dockerfile: lines("FROM python:3.12", "ENV POETRY_VIRTUALENVS_CREATE=false", "RUN pip install poetry", "COPY . .", "RUN poetry install"),
      }).command,
    ).toBe("pytest");
    expect(run({ Dockerfile: lines("FROM python:3.12", "COPY . ."), "manage.py": "", "requirements.txt": "django\n" }).command).toBe("python manage.py test");
  });

  it("Ruby: rspec, rails test, rake test", () => {
    expect(run({ Dockerfile: lines("FROM ruby:3.3", "COPY . ."), Gemfile: "gem 'rspec'\n" }).command).toBe("bundle exec rspec");
    expect(
      run({ Dockerfile: lines("FROM ruby:3.3", "COPY . ."), Gemfile: "gem 'minitest'\n", Rakefile: "Rake::TestTask.new\n", "test/a_test.rb": "" }).command,
    ).toBe("bundle exec rake test");
  });

  it("Rails in the test environment when the image sets production; a TODO when its bundle leaves the test group out", () => {
    const d = run({
      Dockerfile: lines("FROM ruby:3.3-slim", 'ENV RAILS_ENV="production" BUNDLE_WITHOUT="development:test"', "COPY . .", "RUN bundle install"),
      Gemfile: 'gem "rails"\n',
      "bin/rails": "",
      "test/models/user_test.rb": "",
    });
    expect(d.parsed.test).toEqual({ command: "bin/rails test", environment: { RAILS_ENV: "test" } });
    expect(commandTodos(d)).toEqual([
      "image.target: the image's bundle leaves out the test group (BUNDLE_WITHOUT=development:test): install it in the test stage",
    ]);
  });

  it("PHP: composer dependencies installed in another stage and copied in count, and so does their --no-dev", () => {
    const d = run({
      Dockerfile: lines(
        "FROM composer:2 AS vendor",
        "COPY composer.json composer.lock ./",
        "RUN composer install --no-dev --no-scripts",
        "FROM php:8.3-fpm",
        "COPY --from=vendor /app/vendor ./vendor",
        "COPY . .",
      ),
      "composer.json": '{"require": {"laravel/framework": "^11"}}',
      "composer.lock": "{}",
      artisan: "",
      "app/User.php": "",
    });
    expect(d.command).toBe("php artisan test");
    expect(commandTodos(d)).toEqual(["image.target: the image installs its composer dependencies with --no-dev: the test tools are not in it"]);
  });

  it("Node: a TODO when the packages are installed without their devDependencies", () => {
    const pkg = { "package.json": '{"scripts": {"test": "jest"}}', "package-lock.json": "{}", "index.js": "" };
    const production = run({ ...pkg, Dockerfile: lines("FROM node:22", "ENV NODE_ENV=production", "COPY . .", "RUN npm ci && npm i -g pm2") });
    expect(commandTodos(production)).toEqual([
      "image.target: the image installs its packages with NODE_ENV=production, which leaves out the devDependencies (the test runner): install them in the test stage",
    ]);
    expect(commandTodos(run({ ...pkg, Dockerfile: lines("FROM node:22", "COPY . .", "RUN npm ci --omit=dev") }))[0]).toMatch(/without the devDependencies/);
    expect(commandTodos(run({ ...pkg, Dockerfile: lines("FROM node:22", "COPY . .", "RUN yarn workspaces focus --all --production") }))[0]).toMatch(
      /without the devDependencies/,
    );
    expect(commandTodos(run({ ...pkg, Dockerfile: lines("FROM node:22", "COPY . .", "RUN npm ci", "ENV NODE_ENV=production") }))).toEqual([]);
  });

  it("Node: the package manager of the lock file, when the stage has it", () => {
    const pkg = { "package.json": '{"scripts": {"test": "vitest run"}}', "src/a.ts": "" };
    expect(run({ ...pkg, "package-lock.json": "{}", Dockerfile: lines("FROM node:22", "COPY . .") }).command).toBe("npm test");
    expect(run({ ...pkg, "yarn.lock": "", Dockerfile: lines("FROM node:22-alpine", "COPY . .") }).command).toBe("yarn test");
    expect(run({ ...pkg, "pnpm-lock.yaml": "", Dockerfile: lines("FROM node:22", "RUN corepack enable", "COPY . .") }).command).toBe("pnpm test");
    // pnpm is not in the image: npm runs the same script.
    expect(run({ ...pkg, "pnpm-lock.yaml": "", Dockerfile: lines("FROM node:22", "COPY . .") }).command).toBe("npm test");
  });

  it("a base image init does not know: the command from the manifests, and a TODO to check the tools", () => {
    const d = run({ Dockerfile: lines("FROM registry.example.com/ci/toolbox:3", "COPY . ."), "go.mod": "", "main.go": "" });
    expect(d.command).toBe("go test ./...");
    expect(commandTodos(d)).toEqual([
      expect.stringMatching(/^test\.command: go test \.\/\.\.\. is the build tool's default/),
      "test.command: the base image registry.example.com/ci/toolbox:3 is not one init knows: check that it has go",
    ]);
  });

  it("a Makefile's test target the image can run comes before a build tool's default; not one that runs docker", () => {
    const go = { "go.mod": "", "main.go": "" };
    const image = lines("FROM golang:1.22", "RUN apt-get update && apt-get install -y make", "WORKDIR /src", "COPY . .");
    const make = run({ ...go, Dockerfile: image, Makefile: "build:\n\tgo build\n\ntest: build\n\tgo test -race ./internal/...\n" });
    expect(make.command).toBe("make test");
    expect(commandTodos(make)).toEqual([]);
    // Its recipe starts containers: it is meant for the host, not the image.
    expect(run({ ...go, Dockerfile: image, Makefile: "test:\n\tdocker compose run --rm app go test ./...\n\nlint:\n\tgolangci-lint run\n" }).command).toBe(
      "go test ./...",
    );
    // Containers started through a variable, by a prerequisite, or on the target's own line.
    for (const makefile of [
      "DC := docker compose\ntest:\n\t$(DC) run --rm app go test ./...\n",
      "test: db-up\n\tgo test ./...\ndb-up:\n\tdocker compose up -d db\n",
      "test: ; docker compose run app go test ./...\n",
    ])
      expect(run({ ...go, Dockerfile: image, Makefile: makefile }).command).toBe("go test ./...");
    // The image without the Makefile cannot run it.
    const noMakefile = lines("FROM golang:1.22", "RUN apt-get update && apt-get install -y make", "WORKDIR /src", "COPY go.mod ./", "COPY cmd ./cmd");
    expect(run({ ...go, "cmd/main.go": "", Dockerfile: noMakefile, Makefile: "test:\n\tgo test ./...\n" }).command).toBe("go test ./...");
    // No make in the image: the default, as before.
    expect(run({ ...go, Dockerfile: lines("FROM golang:1.22-alpine", "WORKDIR /src", "COPY . ."), Makefile: "test:\n\tgo test ./...\n" }).command).toBe(
      "go test ./...",
    );
    // A test script of package.json is declared too: it stays first.
    const node = { "package.json": '{"scripts": {"test": "vitest run"}}', Makefile: "test:\n\tnpm test -- --coverage\n" };
    expect(run({ ...node, Dockerfile: lines("FROM node:22", "RUN apt-get update && apt-get install -y make", "COPY . .") }).command).toBe("npm test");
  });

  it("a Makefile's test target that runs the tests in a compose service the project builds: the command it runs there", () => {
    const files = {
      Dockerfile: lines("FROM php:8.3-cli", "WORKDIR /srv", "COPY . .", "RUN composer install"),
      "composer.json": "{}",
      "phpunit.xml": "",
      "compose.yaml": "services:\n  web:\n    build: .\n  db:\n    image: mysql:8\n",
    };
    const exec = run({ ...files, Makefile: 'test:\n\tdocker-compose exec web bash -c "touch db.sqlite && vendor/bin/phpunit"\n' });
    expect(exec.command).toBe("touch db.sqlite && vendor/bin/phpunit");
    expect(exec.found).toContain("test command: touch db.sqlite && vendor/bin/phpunit (the Makefile's test target runs it in compose's web)");
    expect(run({ ...files, Makefile: "test:\n\t@docker compose run --rm -e APP_ENV=test web vendor/bin/phpunit --testdox\n" }).command).toBe(
      "vendor/bin/phpunit --testdox",
    );
    // Run in a service the project does not build (a stock image): not the tests' image.
    expect(run({ ...files, Makefile: "test:\n\tdocker compose run db mysql -e 'select 1'\n" }).command).toBe("vendor/bin/phpunit");
    // With compose files given, in steps (one after the other), and a make variable given on the command line only (empty).
    const steps = [
      "test: stop",
      "\t@bash docker/message.sh 'Running tests'",
      "\tdocker compose -f compose.yaml -f compose.test.yaml run web php artisan migrate",
      "\tdocker compose -f compose.yaml -f compose.test.yaml run web vendor/bin/phpunit $(only)",
    ];
    expect(run({ ...files, Makefile: steps.join("\n") + "\n" }).command).toBe("php artisan migrate && vendor/bin/phpunit");
    // With that service's settings; one whose variable has no value is left out, with a TODO.
    const withEnv = run({
      ...files,
      "compose.yaml": "services:\n  web:\n    build: .\n    environment: [APP_ENV=testing, DB_PASSWORD]\n",
      Makefile: steps.join("\n") + "\n",
    });
    expect((parse(withEnv.spec) as { test: { environment: unknown } }).test.environment).toEqual({ APP_ENV: "testing" });
    expect(withEnv.todo).toContainEqual(expect.stringMatching(/^test\.command: the service's DB_PASSWORD has no value here/));
  });

  it("Python: a TODO when the image installs without the development groups (uv --no-dev, poetry --only main, pipenv without --dev)", () => {
    const files = { "pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\n', "uv.lock": "", "app.py": "" };
    const image = (install: string) => lines("FROM python:3.12", "WORKDIR /app", "COPY pyproject.toml uv.lock ./", `RUN ${install}`, "COPY . .");
    for (const install of [
      "pip install uv && uv sync --frozen --no-dev",
      "/root/.local/bin/uv sync --no-dev --group postgres",
      "poetry install --only main",
      "pipenv install --deploy --system",
    ])
      expect(commandTodos(run({ ...files, Dockerfile: image(install) }))).toEqual([
        expect.stringMatching(/^image\.target: the image installs its packages without the development groups \(/),
      ]);
    expect(commandTodos(run({ ...files, Dockerfile: image("pip install uv && uv sync --frozen") }))).toEqual([]);
    // The last install decides: a test stage that syncs the dev group again has pytest.
    expect(commandTodos(run({ ...files, Dockerfile: image("pip install uv && uv sync --frozen --no-dev && uv sync --frozen") }))).toEqual([]);
    // `pipenv install <package>` adds a package; it is no install of the project.
    expect(commandTodos(run({ ...files, Dockerfile: image("pipenv install --dev && pipenv install gunicorn") }))).toEqual([]);
    // In a builder stage the test stage copies its packages from, too.
    const builder = lines(
      "FROM python:3.12 AS builder",
      "WORKDIR /app",
      "COPY pyproject.toml uv.lock ./",
      "RUN pip install uv && uv sync --frozen --no-dev",
      "FROM python:3.12-slim",
      "WORKDIR /app",
      "COPY --from=builder /app/.venv /app/.venv",
      "COPY . .",
    );
    expect(commandTodos(run({ ...files, Dockerfile: builder }))).toEqual([expect.stringMatching(/without the development groups \(uv sync --no-dev\)/)]);
  });

  it("nothing found: the ecosystem's usual command, or make test, with a TODO", () => {
    const rust = run({ Dockerfile: lines("FROM rust:1.80", "COPY src src"), "src/main.rs": "" });
    expect(rust.command).toBe("cargo test");
    expect(commandTodos(rust)).toEqual(["test.command: no test command found for this rust image: 'cargo test' is a guess"]);
    const bare = run({ Dockerfile: lines("FROM debian:12", "COPY site /srv"), "site/index.html": "" });
    expect(bare.command).toBe("make test");
    expect(commandTodos(bare)).toContain("test.command: no test command found (the image's ecosystem is not one init recognises): 'make test' is a guess");
    // It copies files, but none of the code: the tests cannot run in it as it is.
    expect(commandTodos(bare)).toContain(
      "image.target: Dockerfile copies none of the project's code (a bind mount gives it in development): the tests run in the image, so copy the code in (COPY . .)",
    );
  });

  it("notes a build that runs the tests already (mvn package without -DskipTests), not one that skips them", () => {
    const files = { "pom.xml": "", "src/A.java": "" };
    const runs = run({ ...files, Dockerfile: lines("FROM maven:3", "COPY . .", "RUN mvn -B package") });
    expect(runs.guessed.join("\n")).toContain("the image's build runs the tests already ('RUN mvn -B package')");
    const skips = run({ ...files, Dockerfile: lines("FROM maven:3", "COPY . .", "RUN mvn -B package -DskipTests") });
    expect(skips.guessed.join("\n")).not.toContain("runs the tests already");
  });

  it("several images: each command's TODO goes above its own test command", () => {
    const d = detect(
      repoView({
        "a/Dockerfile": lines("FROM rust:1", "COPY src src"),
        "a/src/main.rs": "",
        "b/Dockerfile": lines("FROM golang:1.22", "COPY . ."),
        "b/go.mod": "",
      }),
    );
    expect(commandTodos(d)).toEqual([
      "images.0.test.command: no test command found for this rust image: 'cargo test' is a guess",
      expect.stringMatching(/^images\.1\.test\.command: go test \.\/\.\.\. is the build tool's default/),
    ]);
    expect(d.spec).toMatch(/    test:\n      # TODO: no test command found for this rust image: 'cargo test' is a guess\n      command: "cargo test"\n/);
    expect((parse(d.spec) as Spec).images![1]!.test.command).toBe("go test ./...");
  });
});

describe("init: test commands as the tools mean them", () => {
  it("Django's runner when pytest is there without pytest-django (pytest cannot set Django up); pytest with it; a Flask manage.py is no Django", () => {
    const dj = (requirements: string, manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n") =>
      run({ Dockerfile: lines("FROM python:3.12", "WORKDIR /app", "COPY . ."), "manage.py": manage, "requirements.txt": requirements }).command;
    expect(dj("django\npytest\n")).toBe("python manage.py test");
    expect(dj("django\npytest\npytest-django\n")).toBe("pytest");
    expect(dj("flask\npytest\n", "from flask.cli import FlaskGroup\n")).toBe("pytest");
    // A comment that names pytest is no requirement of it.
    expect(dj("django  # not pytest-django, see docs\n")).toBe("python manage.py test");
    // A project that configures pytest, and an image without pytest-django: Django's runner, with a TODO.
    const configured = run({
      Dockerfile: lines("FROM python:3.12", "WORKDIR /app", "COPY . ."),
      "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
      "requirements.txt": "django\n",
      "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = site.settings\n",
    });
    expect(configured.command).toBe("python manage.py test");
    expect(commandTodos(configured)).toContainEqual(
      expect.stringMatching(/^test\.command: the project configures pytest, which the image does not install with pytest-django/),
    );
  });

  it("cargo test --workspace where the root manifest is a package and a workspace; a bare cargo test in a virtual workspace", () => {
    const cargo = (toml: string) => run({ Dockerfile: lines("FROM rust:1.80", "WORKDIR /app", "COPY . ."), "Cargo.toml": toml, "Cargo.lock": "" }).command;
    expect(cargo('[package]\nname = "app"\n\n[workspace]\nmembers = ["crates/*"]\n')).toBe("cargo test --workspace");
    expect(cargo('[workspace]\nmembers = ["crates/*"]\n')).toBe("cargo test");
    expect(cargo('[workspace]\nmembers = ["crates/*"]\ndefault-members = ["crates/web"]\n')).toBe("cargo test --workspace");
  });

  it("phpunit and pest from composer's bin-dir (config.bin-dir, else <vendor-dir>/bin)", () => {
    const php = (config: object) =>
      run({
        Dockerfile: lines("FROM php:8.3-cli", "WORKDIR /app", "COPY . .", "RUN composer install"),
        "composer.json": JSON.stringify({ "require-dev": { "phpunit/phpunit": "^11" }, config }),
        "phpunit.xml": "",
      }).command;
    expect(php({})).toBe("vendor/bin/phpunit");
    expect(php({ "vendor-dir": "src/vendor" })).toBe("src/vendor/bin/phpunit");
    expect(php({ "vendor-dir": "lib", "bin-dir": "tools/bin/" })).toBe("tools/bin/phpunit");
  });

  it("pest below a vendor-dir under the project is given the project's tests/ (it looks in the vendor folder's parent)", () => {
    const pest = (config: object) =>
      run({
        Dockerfile: lines("FROM php:8.3-cli", "WORKDIR /app", "COPY . .", "RUN composer install"),
        "composer.json": JSON.stringify({ "require-dev": { "pestphp/pest": "^3" }, config }),
        "tests/Pest.php": "",
      }).command;
    expect(pest({})).toBe("vendor/bin/pest");
    expect(pest({ "vendor-dir": "src/vendor" })).toBe("src/vendor/bin/pest --test-directory ../tests");
    expect(pest({ "vendor-dir": "app/lib/vendor" })).toBe("app/lib/vendor/bin/pest --test-directory ../../tests");
  });
});

describe("init: pytest's configuration kept in a folder", () => {
  it("pytest runs from the folder of the one pytest.ini when the root configures nothing: it reads its configuration only from there up", () => {
    const files = {
      Dockerfile: lines("FROM python:3.12", "WORKDIR /app", "COPY requirements.txt .", "RUN pip install -r requirements.txt", "COPY . ."),
      "requirements.txt": "flask\npytest\n",
      "watcher/pytest.ini": "[pytest]\naddopts = --no-start-live-server\n",
      "watcher/tests/unit/test_diff.py": "",
      "watcher/app.py": "",
    };
    expect(run(files).command).toBe("cd /app/watcher && pytest");
    // A configuration at the root wins: pytest reads it from there.
    expect(run({ ...files, "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['watcher/tests']\n" }).command).toBe("pytest");
    // Two at the same depth: which one is not known, pytest runs from the root.
    expect(run({ ...files, "other/pytest.ini": "[pytest]\n" }).command).toBe("pytest");
  });
});

describe("a Makefile's recipe as the shell gets it", () => {
  const vars = new Map([
    ["PKGS", '$(shell go list ./... | grep -vE "(vendor|mocks)")'],
    ["GO", "go"],
    ["TEST", "$(GO) test"],
  ]);

  it("fills variables in (those the Makefile does not set are empty), $$ as $, and $(shell X) as $(X)", () => {
    expect(makeToShell("$(TEST) -run '$(FILTER)' $(PKGS)", vars)).toBe(`go test -run '' $(go list ./... | grep -vE "(vendor|mocks)")`);
    expect(makeToShell("go test $$(go list ./...)", vars)).toBe("go test $(go list ./...)");
    expect(makeToShell("${GO} vet", vars)).toBe("go vet");
  });

  it("reads a variable that adds to itself (X := $(X) more, X += more), and ?= only where it is unset", () => {
    const v = makeVariables("ARGS := -q\nARGS := $(ARGS) --cov\nARGS += -x\nMODE ?= fast\nMODE ?= slow\n");
    expect(makeToShell("pytest $(ARGS) -m $(MODE)", v)).toBe("pytest -q --cov -x -m fast");
  });

  it("gives nothing where make does what the shell cannot: its other functions and automatic variables", () => {
    expect(makeToShell("go test $(wildcard ./pkg/*)", vars)).toBeUndefined();
    expect(makeToShell("cp $< $@", vars)).toBeUndefined();
  });

  it("init runs a Go Makefile's test target without make, its packages listed by the shell", () => {
    const d = detect(
      repoView({
        Dockerfile: "FROM golang:1.22-alpine\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n",
        "go.mod": "module x\n",
        "go.sum": "",
        "x_test.go": "",
        Makefile: 'PACKAGES := $(shell go list ./... | grep -v "/e2e")\n\ntest:\n\t@go test -count=1 $(PACKAGES)\n',
      }),
    );
    expect((parse(d.spec) as { test: { command: string } }).test.command).toBe('go test -count=1 $(go list ./... | grep -v "/e2e")');
  });
});

describe("a workspace whose members have the tests", () => {
  const files = (lock: Record<string, string>) => ({
    Dockerfile: "FROM node:20\nRUN npm install -g pnpm\nWORKDIR /app\nCOPY . .\nRUN pnpm install\n",
    "package.json": '{"private": true, "workspaces": ["apps/*"], "scripts": {"build": "tsc -b"}}',
    "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
    "apps/api/package.json": '{"scripts": {"test": "jest"}}',
    "apps/web/package.json": '{"scripts": {"test": "vitest run"}}',
    "apps/docs/package.json": '{"scripts": {"build": "vitepress build"}}',
    "apps/api/src/a.test.ts": "",
    ...lock,
  });
  const command = (f: Record<string, string>) => (parse(detect(repoView(f)).spec) as { test: { command: string } }).test.command;

  it("pnpm runs each member's test script: pnpm -r test", () => {
    expect(command(files({ "pnpm-lock.yaml": "" }))).toBe("pnpm -r test");
  });

  it("npm's workspaces: npm test --workspaces --if-present", () => {
    const { "pnpm-workspace.yaml": _, ...npm } = files({ "package-lock.json": "{}" });
    npm.Dockerfile = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n";
    expect(command(npm)).toBe("npm test --workspaces --if-present");
  });

  it("a root with its own test script runs that", () => {
    const f = files({ "pnpm-lock.yaml": "" });
    f["package.json"] = '{"private": true, "scripts": {"test": "turbo test"}}';
    expect(command(f)).toBe("pnpm test");
  });
});

describe("make test, by what its recipe runs", () => {
  const rust = {
    Dockerfile: "FROM rust:1.80\nWORKDIR /src\nCOPY . .\nRUN cargo build\n",
    "Cargo.toml": '[package]\nname = "x"\n',
    "Cargo.lock": "",
    "src/lib.rs": "",
  };
  const run = (makefile: string) => detect(repoView({ ...rust, Makefile: makefile }));
  const command = (d: { spec: string }) => (parse(d.spec) as { test: { command: string } }).test.command;

  it("is taken when the image has every tool it runs", () => {
    expect(command(run("test:\n\tcargo test --all\n"))).toBe("make test");
  });

  it("gives way when it runs a tool the image lacks (a frontend's yarn test in a Rust image)", () => {
    expect(command(run("test: frontend\n\tcargo test\nfrontend:\n\tcd web && yarn test\n"))).not.toBe("make test");
  });

  it("is not flagged for an automatic variable in an argument (-coverprofile=$@)", () => {
    const d = run("test: cover.out\ncover.out:\n\tcargo test -- --out=$@\n");
    expect(command(d)).toBe("make test");
    expect(d.todo.filter((t) => t.includes("cannot read"))).toEqual([]);
  });

  it("is flagged when a make function hides what it runs", () => {
    const d = run("define core\ncargo test\nendef\ntest:\n\t$(call core)\n");
    expect(command(d)).toBe("make test");
    expect(d.todo).toContainEqual(expect.stringMatching(/^test\.command: make test runs what init cannot read/));
  });
});

describe("a test:unit script: the unit tests alone", () => {
  it("npm, pnpm and composer run it before the test script that may run every suite", () => {
    const node = (lock: Record<string, string>) => ({
      Dockerfile: "FROM node:20\nRUN corepack enable\nWORKDIR /app\nCOPY . .\nRUN npm ci\n",
      "package.json": '{"scripts": {"test": "vitest run && playwright test", "test:unit": "vitest run"}, "devDependencies": {"vitest": "1"}}',
      "src/a.test.ts": "",
      ...lock,
    });
    const command = (f: Record<string, string>) => (parse(detect(repoView(f)).spec) as { test: { command: string } }).test.command;
    expect(command(node({ "package-lock.json": "{}" }))).toBe("npm run test:unit");
    expect(command(node({ "pnpm-lock.yaml": "" }))).toBe("pnpm test:unit");
    const php = {
      Dockerfile: "FROM composer:2\nWORKDIR /app\nCOPY . .\nRUN composer install\n",
      "composer.json": '{"scripts": {"test": ["@test:unit", "@test:db"], "test:unit": "phpunit"}, "require-dev": {"phpunit/phpunit": "11"}}',
      "phpunit.xml.dist": "<phpunit/>",
      "tests/UnitTest.php": "",
    };
    expect(command(php)).toBe("composer test:unit");
  });
});
