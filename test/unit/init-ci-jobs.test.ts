import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ciJobServices, sameService } from "../../src/init/ci-jobs.js";
import { detect } from "../../src/init/detect.js";

const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });
const lines = (...l: string[]) => l.join("\n") + "\n";

const github = (services: string[], ...steps: string[]) =>
  lines(
    "jobs:",
    "  test:",
    "    runs-on: ubuntu-latest",
    ...(services.length ? ["    services:", ...services.map((s, i) => `      s${i}: { image: "${s}" }`)] : []),
    "    steps:",
    "      - uses: actions/checkout@v4",
    ...steps.map((s) => `      - run: ${s}`),
  );

describe("the services the CI job that runs the tests starts", () => {
  it("GitHub Actions: the job that runs the same runner declares its services, or none", () => {
    const none = repoView({ ".github/workflows/ci.yml": github([], "composer install", "./vendor/bin/phpunit --log-junit x.xml") });
    expect(ciJobServices(none, [{ command: "vendor/bin/phpunit", context: "." }])).toEqual({ from: ".github/workflows/ci.yml job test", images: [] });
    const pg = repoView({ ".github/workflows/ci.yml": github(["postgres:16"], "pip install -r requirements.txt", "pytest -q") });
    expect(ciJobServices(pg, [{ command: "pytest", context: "." }])).toEqual({ from: ".github/workflows/ci.yml job test", images: ["postgres:16"] });
    // Another runner's job says nothing of these tests.
    expect(ciJobServices(pg, [{ command: "go test ./...", context: "." }])).toBeUndefined();
  });

  it("make: the targets' recipes and prerequisites are read; a target that starts a container, or one the reader cannot see, may start a service", () => {
    const makefile = lines(
      "DC := docker compose",
      "GO ?= go",
      "test: generate",
      "\t@$(GO) test -race ./...",
      "generate:",
      "\t$(GO) generate ./...",
      "services:",
      "\t$(DC) up -d db",
      "integration: services",
      "\tgo test -tags integration ./...",
      "nested:",
      "\t$(MAKE) -C tools start",
    );
    const job = (...steps: string[]) =>
      ciJobServices(
        repoView({ Makefile: makefile, "tools/Makefile": "start:\n\tredis-server --daemonize yes\n", ".github/workflows/ci.yml": github([], ...steps) }),
        [{ command: "make test", context: "." }],
      );
    expect(job("make test")).toEqual({ from: ".github/workflows/ci.yml job test", images: [] });
    expect(job("make services", "make test")).toBeUndefined();
    expect(job("make integration", "make test")).toBeUndefined();
    expect(job("make nested", "make test")).toBeUndefined();
    // No target (the default), or a Makefile the reader does not have.
    expect(job("make", "make test")).toBeUndefined();
    expect(job("make -C other lint", "make test")).toBeUndefined();
    // Its own recipe read, make test in this job starts nothing: the job's steps decide.
    expect(job("make generate", "make test")).toEqual({ from: ".github/workflows/ci.yml job test", images: [] });
  });

  it("says nothing when the job may start a service another way, or declares one it cannot read", () => {
    const unknown = (...steps: string[]) =>
      ciJobServices(repoView({ ".github/workflows/ci.yml": github([], ...steps) }), [{ command: "pytest", context: "." }]);
    expect(unknown("docker compose up -d db", "pytest")).toBeUndefined();
    expect(unknown("sudo systemctl start mysql", "pytest")).toBeUndefined();
    expect(unknown("sudo apt-get install -y postgresql", "pytest")).toBeUndefined();
    expect(unknown("make services", "pytest")).toBeUndefined();
    expect(unknown("bash ci/unseen.sh", "pytest")).toBeUndefined();
    // A client or headers start nothing; an installed program is no script.
    expect(unknown("sudo apt-get install -y postgresql-client-16 libpq-dev", "./.venv/bin/pytest")).toEqual({
      from: ".github/workflows/ci.yml job test",
      images: [],
    });
    // The machine's own init scripts, sudo's flags, an action of the repository or one that runs compose.
    expect(unknown("sudo /etc/init.d/mysql start", "pytest")).toBeUndefined();
    expect(unknown("sudo -E docker compose up -d", "pytest")).toBeUndefined();
    for (const uses of ["./.github/actions/start-db", "isbang/compose-action@v2", "potatoqualitee/mssqlsuite@v1"]) {
      const job = lines("jobs:", "  test:", "    steps:", `      - uses: ${uses}`, "      - run: pytest");
      expect(ciJobServices(repoView({ ".github/workflows/ci.yml": job }), [{ command: "pytest", context: "." }]), uses).toBeUndefined();
    }
    // Another job runs the same runner in a container: the tests' services are there.
    const two = lines(
      "jobs:",
      "  unit:",
      "    steps:",
      "      - run: pytest tests/unit",
      "  integration:",
      "    steps:",
      "      - run: docker compose run web pytest tests/integration",
    );
    expect(ciJobServices(repoView({ ".github/workflows/ci.yml": two }), [{ command: "pytest", context: "." }])).toBeUndefined();
    const matrix = repoView({ ".github/workflows/ci.yml": github(["${{ matrix.db }}"], "pytest") });
    expect(ciJobServices(matrix, [{ command: "pytest", context: "." }])).toBeUndefined();
    const action = lines("jobs:", "  test:", "    steps:", "      - uses: supercharge/redis-github-action@1.8.0", "      - run: pytest");
    expect(ciJobServices(repoView({ ".github/workflows/ci.yml": action }), [{ command: "pytest", context: "." }])).toBeUndefined();
  });

  it("a job that runs the runner in a folder holding another project of the same kind says nothing of these tests", () => {
    const workflow = lines("defaults: { run: { working-directory: ./forum } }", "jobs:", "  test:", "    steps:", "      - run: mix test");
    const files = { ".github/workflows/forum.yml": workflow, "mix.exs": "", "forum/mix.exs": "" };
    expect(ciJobServices(repoView(files), [{ command: "mix test", context: "." }])).toBeUndefined();
    // The folder is the image's own context: its job counts.
    expect(ciJobServices(repoView(files), [{ command: "mix test", context: "forum" }])?.images).toEqual([]);
    // A folder with no project of its own (the tests' folder) is the same project.
    const tests = { ".github/workflows/ci.yml": lines("jobs:", "  test:", "    steps:", "      - run: cd tests && pytest"), "pyproject.toml": "" };
    expect(ciJobServices(repoView(tests), [{ command: "pytest", context: "." }])?.images).toEqual([]);
  });

  it("a test command that is a script of the repository matches the job that runs the same runner (or the same script)", () => {
    const files = { ".github/workflows/ci.yml": github(["redis:7"], "bash scripts/test.sh"), "scripts/test.sh": "#!/bin/sh\npytest -q\n" };
    expect(ciJobServices(repoView(files), [{ command: "bash scripts/test.sh", context: "." }])?.images).toEqual(["redis:7"]);
    expect(ciJobServices(repoView(files), [{ command: "pytest", context: "." }])?.images).toEqual(["redis:7"]);
  });

  it("a script is read from the step's folder", () => {
    const workflow = lines(
      "jobs:",
      "  test:",
      "    defaults: { run: { working-directory: api } }",
      "    steps:",
      "      - run: ./ci.sh",
      "      - run: pytest",
    );
    const files = { ".github/workflows/ci.yml": workflow, "api/ci.sh": "#!/bin/sh\ndocker compose up -d db\n", "api/pyproject.toml": "" };
    expect(ciJobServices(repoView(files), [{ command: "pytest", context: "api" }])).toBeUndefined();
  });

  it("reads a script of the repository the job runs: one that starts compose says nothing, one that only runs the tests counts", () => {
    const files = (script: string) => ({ ".github/workflows/ci.yml": github([], "./scripts/test.sh", "pytest"), "scripts/test.sh": script });
    expect(ciJobServices(repoView(files("#!/bin/sh\ndocker compose up -d db\npytest\n")), [{ command: "pytest", context: "." }])).toBeUndefined();
    expect(ciJobServices(repoView(files("#!/bin/sh\nset -e\npytest --cov\n")), [{ command: "pytest", context: "." }])?.images).toEqual([]);
  });

  it("Woodpecker: the step that runs the tests, with the file's services and detached steps; other steps are other containers", () => {
    const file = lines(
      "steps:",
      "  fmt:",
      "    image: alpine",
      "    commands: [apt-get install -y postgresql, ./unseen.sh]",
      "  test:",
      "    image: rust:1",
      "    commands: [apt install -y postgresql-client-18, cargo test --workspace]",
      "  cache:",
      "    image: redis:7",
      "    detach: true",
      "services:",
      "  database:",
      "    image: postgres:17",
    );
    expect(ciJobServices(repoView({ ".woodpecker.yml": file }), [{ command: "cargo test", context: "." }])).toEqual({
      from: ".woodpecker.yml job test",
      images: ["postgres:17", "redis:7"],
    });
  });

  it("GitLab CI (the job's or the default services) and CircleCI (the secondary docker images)", () => {
    const gitlab = lines("services: [redis:7]", "test:", "  script: [bundle exec rspec]", "lint:", "  services: []", "  script: [rubocop]");
    expect(ciJobServices(repoView({ ".gitlab-ci.yml": gitlab }), [{ command: "bundle exec rspec", context: "." }])?.images).toEqual(["redis:7"]);
    const extended = lines(".base:", "  services: [postgres]", "test:", "  extends: .base", "  script: [bundle exec rspec]");
    expect(ciJobServices(repoView({ ".gitlab-ci.yml": extended }), [{ command: "rspec", context: "." }])).toBeUndefined();
    const circle = lines(
      "jobs:",
      "  test:",
      "    docker: [{ image: cimg/go:1.22 }, { image: cimg/postgres:16.2 }]",
      "    steps: [checkout, { run: go test ./... }]",
    );
    expect(ciJobServices(repoView({ ".circleci/config.yml": circle }), [{ command: "go test ./...", context: "." }])?.images).toEqual(["cimg/postgres:16.2"]);
    const machine = lines("jobs:", "  test:", "    machine: true", "    steps: [checkout, { run: go test ./... }]");
    expect(ciJobServices(repoView({ ".circleci/config.yml": machine }), [{ command: "go test ./...", context: "." }])).toBeUndefined();
  });

  it("one service is another by repository or by well-known kind", () => {
    expect(sameService("cimg/postgres:16.2", "postgres:17-alpine")).toBe(true);
    expect(sameService("ghcr.io/acme/pg:1", "ghcr.io/acme/pg:2")).toBe(true);
    expect(sameService("postgres:16", "redis:7")).toBe(false);
    expect(sameService("asonix/pictrs:0.5", "postgres:16")).toBe(false);
  });
});

describe("init leaves out compose services the CI job that runs the tests does without", () => {
  const compose = lines(
    "services:",
    "  app:",
    "    build: .",
    "    depends_on: [db, images]",
    "    environment: { DATABASE_URL: 'postgres://app:pw@db/app' }",
    "  db:",
    "    image: postgres:16",
    "    environment: { POSTGRES_PASSWORD: pw }",
    "  images:",
    "    image: acme/image-host:1",
  );
  const dockerfile = lines("FROM python:3.12", "WORKDIR /app", "COPY requirements.txt .", "RUN pip install -r requirements.txt", "COPY . .");
  const base = { Dockerfile: dockerfile, "requirements.txt": "pytest\n", "docker-compose.yml": compose, "tests/test_x.py": "def test_x(): pass\n" };

  it("keeps those CI starts (by kind) and leaves out the others with a TODO", () => {
    const d = detect(repoView({ ...base, ".github/workflows/ci.yml": github(["cimg/postgres:16.2"], "pip install -r requirements.txt", "pytest") }));
    expect(Object.keys(parse(d.spec).services)).toEqual(["db"]);
    expect(d.todo).toContain(
      "services: compose service images left out: .github/workflows/ci.yml job test runs the tests with only cimg/postgres:16.2; add it back if the tests need it",
    );
  });

  it("leaves out every one when CI runs the tests with none", () => {
    const d = detect(repoView({ ...base, ".github/workflows/ci.yml": github([], "pytest") }));
    expect(parse(d.spec).services).toBeUndefined();
    expect(d.todo.filter((t) => t.includes("runs the tests with no service"))).toHaveLength(2);
  });

  it("keeps compose's choice when CI starts a service compose does not have, or may start one itself", () => {
    const other = detect(repoView({ ...base, ".github/workflows/ci.yml": github(["mysql:8"], "pytest") }));
    expect(Object.keys(parse(other.spec).services).sort()).toEqual(["db", "images"]);
    const compose = detect(repoView({ ...base, ".github/workflows/ci.yml": github([], "docker compose up -d", "pytest") }));
    expect(Object.keys(parse(compose.spec).services).sort()).toEqual(["db", "images"]);
  });
});
