import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { asTestCommand, ciCommands, ciPreparation, runnerOf, withoutEnvRunner } from "../../src/init/ci-tests.js";
import { detect } from "../../src/init/detect.js";
import { shellCommands, shellWords } from "../../src/init/shell.js";

const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";

describe("shell text", () => {
  it("words keep quotes and $(...); commands split at &&, ||, ;, | and line ends outside them, continued lines joined", () => {
    expect(shellWords(`go test -v $(go list ./... | grep -v e2e) --filter "A & B"`)).toEqual([
      "go",
      "test",
      "-v",
      "$(go list ./... | grep -v e2e)",
      "--filter",
      '"A & B"',
    ]);
    expect(shellCommands("cargo test --workspace || cargo test --workspace\nmake lint; echo 'a && b' && php x \\\n  --y 2>&1 | tee out")).toEqual([
      "cargo test --workspace",
      "cargo test --workspace",
      "make lint",
      "echo 'a && b'",
      "php x    --y 2>&1",
      "tee out",
    ]);
  });
});

describe("the commands a project's CI runs", () => {
  it("GitHub Actions steps with their working-directory (step, job, workflow), `cd` in a script, GitLab, Woodpecker, CircleCI, Travis", () => {
    const found = ciCommands(
      repoView({
        ".github/workflows/ci.yml": lines(
          "defaults: { run: { working-directory: ./api } }",
          "jobs:",
          "  test:",
          "    steps:",
          "      - uses: actions/checkout@v4",
          "      - run: go test ./...",
          "      - run: |",
          "          cd web && npm test",
          "        working-directory: .",
          "  ui:",
          "    defaults: { run: { working-directory: web } }",
          "    steps: [{ run: pnpm test }]",
        ),
        ".gitlab-ci.yml": lines("stages: [test]", "unit:", "  script: [pytest -q]"),
        ".woodpecker.yml": lines("steps:", "  test:", "    image: rust", "    commands: [cargo test --workspace]"),
        ".circleci/config.yml": lines("jobs:", "  t:", "    steps:", "      - run: mix test", "      - run: { command: rspec, working_directory: app }"),
        ".travis.yml": lines("script: [make test]"),
        "not-yaml/x": "",
      }),
    );
    expect(found.map((c) => `${c.file} [${c.dir}] ${c.command}`)).toEqual([
      ".circleci/config.yml [] mix test",
      ".circleci/config.yml [app] rspec",
      ".github/workflows/ci.yml [api] go test ./...",
      ".github/workflows/ci.yml [web] npm test",
      ".github/workflows/ci.yml [web] pnpm test",
      ".gitlab-ci.yml [] pytest -q",
      ".travis.yml [] make test",
      ".woodpecker.yml [] cargo test --workspace",
    ]);
  });

  it("the test tool a command runs, through uv run, bundle exec, python -m, php and the wrappers; none for other commands", () => {
    const runners = [
      "go test -tags x ./...",
      "dotnet test App.sln -c Release",
      "CI=1 npm run test",
      "yarn test",
      "uv run pytest tests",
      "python -m pytest",
      "bundle exec rspec",
      "./mvnw -B verify",
      "php -dxdebug.mode=coverage vendor/bin/phpunit",
      "go build ./...",
      "npm run lint",
      "make lint",
    ].map(runnerOf);
    expect(runners).toEqual([
      "go test",
      "dotnet test",
      "npm test",
      "npm test",
      "pytest",
      "pytest",
      "rspec",
      "mvn test",
      "phpunit",
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("as a test command of the image: report, coverage and CI-step flags left out", () => {
    expect(asTestCommand("dotnet test App.sln -c Release --no-restore --no-build --logger trx --collect:XPlat")).toBe(
      "dotnet test App.sln -c Release --collect:XPlat",
    );
    expect(asTestCommand("php -dxdebug.mode=coverage vendor/bin/phpunit --coverage-text --coverage-clover coverage/clover.xml --log-junit junit.xml")).toBe(
      "php vendor/bin/phpunit",
    );
    expect(asTestCommand("pytest --cov=app --junitxml=out.xml -x")).toBe("pytest -x");
    expect(asTestCommand("dotnet test --logger:trx")).toBe("dotnet test");
    expect(asTestCommand("go test -race -coverprofile c.out -covermode=atomic ./...")).toBe("go test -race ./...");
    // cargo-nextest and cargo-insta are not in an image by default: cargo's own runner, with the same selection.
    expect(runnerOf("cargo nextest run --lib")).toBe("cargo test");
    expect(asTestCommand("cargo nextest run --profile ci --lib --bins")).toBe("cargo test --lib --bins");
    expect(asTestCommand("cargo insta test --workspace")).toBe("cargo test --workspace");
  });

  it("what makes a failing run pass is left out: the pipeline fails when the tests do", () => {
    expect(asTestCommand("mvn verify --fail-never")).toBe("mvn verify");
    expect(asTestCommand("mvn -B -fn -Dmaven.test.failure.ignore=true test")).toBe("mvn -B test");
    expect(asTestCommand("npm test || true")).toBe("npm test");
    expect(asTestCommand("pytest -x || exit 0")).toBe("pytest -x");
    // A real alternative after `||` stays.
    expect(asTestCommand("make test || make check")).toBe("make test || make check");
  });
});

describe("init: the test command from CI where the repository names none", () => {
  const go = {
    Dockerfile: lines("FROM golang:1.22", "WORKDIR /src", "COPY go.mod go.sum ./", "RUN go mod download", "COPY . ."),
    "go.mod": "module m\n",
    "go.sum": "",
    "a_test.go": "",
  };
  const command = (files: Record<string, string>) => {
    const d = detect(repoView(files));
    return { command: (parse(d.spec) as { test: { command: string } }).test.command, todo: d.todo.filter((t) => t.startsWith("test")) };
  };
  it("CI's run of the tool replaces the tool's default, with a TODO to check it in the image", () => {
    const d = command({
      ...go,
      ".github/workflows/build.yml": lines("jobs:", "  t:", "    steps:", "      - run: |", "          go test -v $(go list ./...) -tags skipCi"),
    });
    expect(d.command).toBe("go test -v $(go list ./...) -tags skipCi");
    expect(d.todo).toEqual([
      "test.command: taken from .github/workflows/build.yml: check that it runs in the image as it does there (CI's setup steps, its environment)",
    ]);
  });
  it("not when CI adds only output flags, runs in a folder outside the repository or the context, or runs another tool", () => {
    for (const run of ["go test -v ./...", "cd /usr/src/app && go test -tags x ./...", "go vet ./..."]) {
      const d = command({ ...go, ".github/workflows/build.yml": lines("jobs:", "  t:", "    steps:", `      - run: ${run}`) });
      expect(d.command).toBe("go test ./...");
      expect(d.todo[0]).toMatch(/is the build tool's default/);
    }
  });
  it("PHPUnit with no configuration at the top (a bare phpunit runs nothing): the configuration CI gives it", () => {
    const php = {
      Dockerfile: lines("FROM php:8.3-cli", "WORKDIR /app", "COPY . .", "RUN composer install"),
      "composer.json": JSON.stringify({ "require-dev": { "phpunit/phpunit": "^11" } }),
      "tests/units.sqlite.xml": "<phpunit/>",
      ".github/workflows/unit.yml": lines("jobs:", "  t:", "    steps:", "      - run: ./vendor/bin/phpunit -c tests/units.sqlite.xml"),
    };
    expect(command(php).command).toBe("./vendor/bin/phpunit -c tests/units.sqlite.xml");
    // The unit run before an integration one, whichever file comes first.
    const both = {
      ...php,
      ".github/workflows/integration.yml": lines("jobs:", "  t:", "    steps:", "      - run: ./vendor/bin/phpunit -c tests/integration.sqlite.xml"),
    };
    expect(
      command({ ...both, ".github/workflows/unit.yml": lines("jobs:", "  t:", "    steps:", "      - run: ./vendor/bin/phpunit -c tests/sqlite.xml") }).command,
    ).toBe("./vendor/bin/phpunit -c tests/sqlite.xml");
    // The configuration it names sets the tests' database to SQLite (`DB_DRIVER`): compose's MySQL is not theirs.
    const sqlite = detect(
      repoView({
        ...php,
        "tests/units.sqlite.xml": '<phpunit><php><const name="DB_DRIVER" value="sqlite"/></php></phpunit>',
        "compose.yaml": lines("services:", "  app:", "    build: .", "    depends_on: [db]", "  db:", "    image: mysql:8"),
      }),
    );
    expect((parse(sqlite.spec) as { services?: object }).services).toBeUndefined();
    expect(sqlite.guessed).toContain("compose service db left out: tests/units.sqlite.xml sets the tests' database to SQLite");
    // With its configuration at the top, the project's own phpunit stands.
    expect(command({ ...php, "phpunit.xml": "<phpunit/>" }).command).toBe("vendor/bin/phpunit");
  });

  it("one of several solutions: the one CI tests, run from the repository's root", () => {
    const d = command({
      Dockerfile: lines("FROM mcr.microsoft.com/dotnet/sdk:8.0", "WORKDIR /app", "COPY . .", "WORKDIR /app/src/Web"),
      "All.sln": "",
      "Web.sln": "",
      "src/Web/Web.csproj": "",
      "tests/UnitTests/UnitTests.csproj": "",
      ".github/workflows/dotnet.yml": lines("jobs:", "  b:", "    steps:", "      - run: dotnet build", "      - run: dotnet test ./Web.sln --no-build"),
    });
    expect(d.command).toBe("cd /app && dotnet test ./Web.sln");
  });
});

describe("init: CI that runs the tests in a compose service", () => {
  const files = {
    "compose/local/django/Dockerfile": lines(
      "FROM python:3.12",
      "WORKDIR /app",
      "COPY requirements requirements",
      "RUN pip install -r requirements/local.txt",
      "COPY . .",
    ),
    "compose/production/django/Dockerfile": lines("FROM python:3.12", "COPY . /app"),
    "compose/production/nginx/Dockerfile": lines("FROM nginx:1"),
    "requirements/local.txt": "django\n",
    "manage.py": "import django\n",
    "app/tests/test_x.py": "",
    "local.yml": lines(
      "services:",
      "  django:",
      "    build: { context: ., dockerfile: compose/local/django/Dockerfile }",
      "    depends_on: [postgres, mailhog]",
      "  postgres:",
      "    image: postgres:16",
      "  mailhog:",
      "    image: mailhog/mailhog",
    ),
    "ci.yml": lines(
      "services:",
      "  django:",
      "    image: shop_ci_django:latest",
      "    depends_on: { postgres: { condition: service_healthy } }",
      "    environment:",
      "      DATABASE_URL: postgres://postgres:postgres@postgres:5432/shop",
      "      DJANGO_SETTINGS_MODULE: config.settings.test",
      "  postgres:",
      "    image: postgres:16",
      "    environment: { POSTGRES_PASSWORD: postgres, POSTGRES_DB: shop }",
      '    healthcheck: { test: ["CMD-SHELL", "pg_isready -U postgres"] }',
    ),
    ".github/workflows/cli.yml": lines("jobs:", "  t:", "    steps:", "      - run: docker compose -f local.yml run --rm django python manage.py test"),
    ".github/workflows/tests.yml": lines(
      "jobs:",
      "  t:",
      "    steps:",
      "      - uses: docker/build-push-action@v6",
      "        with:",
      "          context: .",
      "          file: ./compose/local/django/Dockerfile",
      "          tags: shop_ci_django:latest",
      "      - run: docker compose -f ci.yml up -d --wait postgres",
      "      - run: |",
      "          docker compose -f ci.yml run --rm -e CI=1 django coverage run --source=app manage.py test --exclude-tag=slow",
      "          docker compose -f ci.yml run --rm django coverage xml",
    ),
  };

  it("reads the compose file it runs (named for CI over one for development), the service's Dockerfile, its needs, command and environment", () => {
    const d = detect(repoView(files));
    const spec = parse(d.spec) as {
      image: { dockerfile: string };
      services: Record<string, { ready: string }>;
      test: { command: string; environment: Record<string, unknown> };
    };
    expect(spec.image.dockerfile).toBe("compose/local/django/Dockerfile");
    expect(Object.keys(spec.services)).toEqual(["postgres"]);
    expect(spec.services.postgres!.ready).toBe("pg_isready -h 127.0.0.1 -U postgres");
    expect(spec.test.command).toBe("python manage.py test --exclude-tag=slow");
    expect(spec.test.environment).toEqual({ DATABASE_URL: "postgres://postgres:postgres@postgres:5432/shop", DJANGO_SETTINGS_MODULE: "config.settings.test" });
    expect(d.found).toContain("compose file ci.yml: .github/workflows/tests.yml runs the tests with it");
  });

  it("docker exec into the container of a service compose started (its container_name), running a test script of the repository", () => {
    const d = detect(
      repoView({
        Dockerfile: lines("FROM python:3.12 AS testing", "WORKDIR /code", "COPY . .", "RUN pip install -r requirements.txt"),
        "requirements.txt": "pytest\n",
        "run_pytest.sh": "pytest\n",
        "app/tests/test_x.py": "",
        "docker-compose.dev.yml": lines(
          "services:",
          "  dev-db:",
          "    image: postgres:16",
          "  test-service:",
          "    container_name: shop_test",
          "    build: { context: ., target: testing }",
          "    depends_on: [dev-db]",
        ),
        ".github/workflows/test.yml": lines(
          "jobs:",
          "  t:",
          "    steps:",
          "      - run: docker compose -f docker-compose.dev.yml up --build -d test-service dev-db",
          "      - run: docker exec shop_test ./run_pytest.sh",
        ),
      }),
    );
    expect(d.found).toContain(".github/workflows/test.yml runs the tests in compose's test-service: ./run_pytest.sh");
    expect((parse(d.spec) as { test: { command: string } }).test.command).toBe("./run_pytest.sh");
    expect(Object.keys((parse(d.spec) as { services: object }).services)).toEqual(["dev-db"]);
  });

  it("what the job runs in the same service before the tests is named in a TODO (a schema, built assets): not installs, not another service", () => {
    const job = (...steps: string[]) =>
      lines("jobs:", "  docker:", "    steps:", "      - run: docker compose up -d", ...steps.map((s) => `      - run: ${s}`));
    const repo = (workflow: string) =>
      repoView({
        Dockerfile: lines("FROM ruby:3.3", "WORKDIR /app", "COPY Gemfile Gemfile.lock ./", "RUN bundle install", "COPY . ."),
        Gemfile: "",
        "Gemfile.lock": "",
        "spec/models/user_spec.rb": "",
        "docker-compose.yml": lines("services:", "  web:", "    build: .", "    depends_on: [database]", "  database:", "    image: postgres:16"),
        ".github/workflows/docker.yml": workflow,
      });
    const d = detect(
      repo(
        job(
          "docker compose exec -T web bundle install",
          "docker compose exec -T database psql -c 'select 1'",
          "docker compose exec -T web rails db:setup",
          "docker compose exec -T web bundle exec rails assets:precompile",
          "docker compose exec -T web bundle exec rspec spec",
        ),
      ),
    );
    expect((parse(d.spec) as { test: { command: string } }).test.command).toBe("bundle exec rspec spec");
    expect(d.todo).toContain(
      "test.command: .github/workflows/docker.yml first runs 'rails db:setup', 'bundle exec rails assets:precompile' in compose's web: prefix the command with those the tests need",
    );
    expect(detect(repo(job("docker compose exec -T web bundle exec rspec spec"))).todo.join("\n")).not.toContain("first runs");
  });

  it("a CI compose command that runs no test tool (up, logs, coverage xml) says nothing", () => {
    const d = detect(
      repoView({
        ...files,
        ".github/workflows/cli.yml": "",
        ".github/workflows/tests.yml": lines("jobs:", "  t:", "    steps:", "      - run: docker compose -f ci.yml run --rm django coverage xml"),
      }),
    );
    expect(d.found.join("\n")).not.toContain("runs the tests");
  });
});

/** A Python image that installs with poetry, the dev group included. */
const POETRY_IMAGE = lines(
  "FROM python:3.11",
  "RUN pip install poetry",
  "WORKDIR /backend",
  "COPY pyproject.toml poetry.lock ./",
  "RUN poetry install",
  "COPY . .",
);

describe("init: the Makefile's test target running the same tool", () => {
  it("says how the project runs it (variables filled in, leading assignments as the environment), without make", () => {
    const d = detect(
      repoView({
        Dockerfile: POETRY_IMAGE,
        "pyproject.toml": '[tool.poetry.group.test.dependencies]\npytest = "*"\n',
        "poetry.lock": "",
        "tests/unit_tests/test_x.py": "",
        Makefile:
          "TEST_FILE ?= tests/unit_tests/\n\ntest:\n\t# placeholders for the settings the app reads\n\t@echo tests\n\t@mkdir -p sandbox\n\tAPI_KEY=placeholder poetry run pytest $(TEST_FILE)\n",
      }),
    );
    const spec = parse(d.spec) as { test: { command: string; environment: Record<string, unknown> } };
    // With the files it prepares first; not what it prints.
    expect(spec.test.command).toBe("mkdir -p sandbox && poetry run pytest tests/unit_tests/");
    expect(spec.test.environment).toEqual({ API_KEY: "placeholder" });
  });

  it("a recipe line continued with a backslash is one command (less its coverage flag)", () => {
    const d = detect(
      repoView({
        Dockerfile: POETRY_IMAGE,
        "pyproject.toml": '[tool.poetry.group.test.dependencies]\npytest = "*"\n',
        "poetry.lock": "",
        "tests/test_x.py": "",
        Makefile: "test:\n\tpoetry run pytest -rf --cov=app \\\n\t\t--ignore=node_modules/ \\\n\t\t-n auto\n",
      }),
    );
    expect((parse(d.spec) as { test: { command: string } }).test.command).toBe("poetry run pytest -rf --ignore=node_modules/ -n auto");
  });
});

describe("init: a root Dockerfile whose image lacks the test tools, or a way to run the tests", () => {
  const files = {
    Dockerfile: lines(
      "FROM python:3.11",
      "WORKDIR /backend",
      "COPY ./backend/pyproject.toml ./backend/poetry.lock ./",
      "RUN poetry install --only main",
      "COPY ./backend .",
    ),
    "backend/Dockerfile": POETRY_IMAGE,
    "backend/pyproject.toml": '[tool.poetry.group.dev.dependencies]\npytest = "*"\n',
    "backend/poetry.lock": "",
    "backend/tests/test_x.py": "",
    "compose.yaml": lines("services:", "  backend:", "    build: { context: backend }"),
  };
  it("gives way to the Dockerfile compose builds, whose image has them, with a TODO", () => {
    const d = detect(repoView(files));
    expect((parse(d.spec) as { image: { context: string } }).image.context).toBe("backend");
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^image\.dockerfile: backend\/Dockerfile is taken for the tests: the root Dockerfile's image lacks the test tools/),
    );
  });
  it("not for a Dockerfile of compose's that copies no code (a development image with a bind mount)", () => {
    const d = detect(repoView({ ...files, "backend/Dockerfile": lines("FROM python:3.11", "WORKDIR /backend", 'ENTRYPOINT ["python", "main.py"]') }));
    expect((parse(d.spec) as { image: { context?: string } }).image.context).toBeUndefined();
  });

  it("not when compose builds the root Dockerfile", () => {
    const d = detect(repoView({ ...files, "compose.yaml": lines("services:", "  app:", "    build: .", "  backend:", "    build: { context: backend }") }));
    expect((parse(d.spec) as { image: { context?: string } }).image.context).toBeUndefined();
  });
});

describe("init: go test -race in an image without a C compiler", () => {
  const files = (image: string) => ({
    Dockerfile: lines(`FROM ${image} AS builder`, "WORKDIR /app", "COPY go.mod go.sum ./", "RUN go mod download", "COPY . .", "FROM scratch"),
    "go.mod": "module m\n",
    "go.sum": "",
    "internal/a_test.go": "",
    Makefile: "test:\n\tgo test -v -race -covermode atomic -coverprofile=coverage.txt ./internal/... ./pkg/...\n",
    ".dockerignore": "Makefile\n",
  });
  const command = (f: Record<string, string>) => (parse(detect(repoView(f)).spec) as { test: { command: string } }).test.command;
  it("is left out on Alpine (no cgo compiler), kept where the image has one", () => {
    expect(command(files("golang:1.22-alpine"))).toBe("go test -v ./internal/... ./pkg/...");
    expect(command(files("golang:1.22"))).toBe("go test -v -race ./internal/... ./pkg/...");
  });
});

describe("init: CI runs the tests through a script of the repository, after preparing them", () => {
  const workflow = lines(
    "jobs:",
    "  test:",
    "    defaults: { run: { working-directory: api } }",
    "    steps:",
    "      - run: docker compose up -d db",
    "      - run: uv sync",
    "      - run: uv run ruff check .",
    "      - run: uv run bash scripts/prepare.sh",
    '      - run: uv run bash scripts/ci-test.sh "run ${{ github.sha }}"',
  );
  const files = (path: string) => ({
    "api/Dockerfile": lines(
      "FROM python:3.12",
      "COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/",
      "WORKDIR /app",
      `ENV PATH="${path}:$PATH"`,
      "COPY pyproject.toml uv.lock ./",
      "RUN uv sync --frozen",
      "COPY . .",
    ),
    "api/pyproject.toml": "[project]\nname = 'api'\n",
    "api/uv.lock": "",
    "api/app/main.py": "",
    "api/tests/test_main.py": "def test_x(): pass\n",
    // The schema first; the tests through another script.
    "api/scripts/prepare.sh": "#!/bin/sh\nset -e\npython app/wait_for_db.py\nalembic upgrade head\n",
    "api/scripts/ci-test.sh": '#!/bin/sh\nset -e\nbash scripts/pytest.sh "$@"\n',
    "api/scripts/pytest.sh": "#!/bin/sh\nAPP_ENV=test coverage run -m pytest tests/\ncoverage report\n",
    ".github/workflows/ci.yml": workflow,
  });
  const command = (f: Record<string, string>) => (parse(detect(repoView(f)).spec) as { test: { command: string } }).test.command;

  it("the script that runs the runner is the command, the preparing step before it, CI's arguments and `uv run` left out for an image with the environment on PATH", () => {
    expect(command(files("/app/.venv/bin"))).toBe("bash scripts/prepare.sh && bash scripts/ci-test.sh");
  });

  it("`uv run` kept where the image's PATH has no environment", () => {
    expect(command(files("/usr/local/bin"))).toBe("uv run bash scripts/prepare.sh && uv run bash scripts/ci-test.sh");
  });

  it("uv's flags that take no value go with it; pdm's and hatch's runs (scripts of their own) are kept", () => {
    expect(withoutEnvRunner("uv run --frozen alembic upgrade head")).toBe("alembic upgrade head");
    expect(withoutEnvRunner("uv run --with pytest-xdist pytest")).toBe("uv run --with pytest-xdist pytest");
    expect(withoutEnvRunner("pdm run test")).toBe("pdm run test");
  });

  it("CI's own setup is not preparation: installs, database clients, commands aimed at the CI machine", () => {
    const steps = [
      "pip install django-migration-linter",
      "PGPASSWORD=x psql -h localhost -f db/schema.sql",
      "createdb -h localhost test",
      "python manage.py migrate",
      "pytest",
    ];
    const wf = lines("jobs:", "  test:", "    steps:", ...steps.map((c) => `      - run: ${c}`));
    const repo = repoView({ ".github/workflows/ci.yml": wf });
    const found = { command: "pytest", dir: "", file: ".github/workflows/ci.yml", job: "test" };
    expect(ciPreparation(repo, found).map((c) => c.command)).toEqual(["python manage.py migrate"]);
  });

  it("a CI script that starts containers itself is meant for CI's machine, not the image", () => {
    const f = { ...files("/app/.venv/bin"), "api/scripts/ci-test.sh": '#!/bin/sh\ndocker compose up -d db\nbash scripts/pytest.sh "$@"\n' };
    expect(command(f)).not.toContain("ci-test.sh");
  });

  it("a script that runs no test runner is no test run", () => {
    const f = { ...files("/app/.venv/bin"), "api/scripts/pytest.sh": "#!/bin/sh\necho nothing here\n" };
    expect(command(f)).not.toContain("ci-test.sh");
  });
});
