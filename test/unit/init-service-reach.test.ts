import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detect } from "../../src/init/detect.js";
import { namesHost, railsDatabaseStep, unpointedServices } from "../../src/init/service-reach.js";

const repoView = (files: Record<string, string>, name = "shop") => ({ name, files: Object.keys(files), read: (p: string) => files[p] });

describe("a setting that names a service's host", () => {
  it("reads a URL's host after its user and password, never the user", () => {
    expect(namesHost("DATABASE_URL=postgres://app:secret@db:5432/app", "db")).toBe(true);
    expect(namesHost("url = 'postgresql://postgres:pw@localhost/app'", "postgres")).toBe(false);
    expect(namesHost("redis://cache", "cache")).toBe(true);
  });

  it("takes host:port, not an image tag", () => {
    expect(namesHost('"brokers": ["kafka:9092"]', "kafka")).toBe(true);
    expect(namesHost("docker run --rm postgres:16 psql", "postgres")).toBe(false);
    expect(namesHost("image: postgres:15.4", "postgres")).toBe(false);
  });

  it("takes the value of a host setting, and a getenv default", () => {
    expect(namesHost("test:\n  host: db\n", "db")).toBe(true);
    expect(namesHost("'HOST': os.environ.get('DB_HOST', 'db'),", "db")).toBe(true);
    expect(namesHost("ENV DB_HOST=mysql", "mysql")).toBe(true);
    expect(namesHost("host: dbx\n", "db")).toBe(false);
  });

  it("reads the ways settings files give a host: phpunit's env, a fallback, a block default, a connection string", () => {
    expect(namesHost('<env name="DB_HOST" value="mysql"/>', "mysql")).toBe(true);
    expect(namesHost("const host = process.env.DB_HOST || 'db';", "db")).toBe(true);
    expect(namesHost('host: ENV.fetch("DB_HOST") { "db" }', "db")).toBe(true);
    expect(namesHost("REDIS_HOST = os.environ.get('REDIS_HOST') or 'redis'", "redis")).toBe(true);
    expect(namesHost('"Default": "Server=mssql;Database=app;"', "mssql")).toBe(true);
    expect(namesHost("REDIS_ADDR=redis", "redis")).toBe(true);
    expect(namesHost("hostname: webapp", "db")).toBe(false);
    // The setting's name must end in a host word: a backend's name is no host.
    expect(namesHost("TOKENSERVER_DATABASE_BACKEND=postgres", "postgres")).toBe(false);
  });

  it("skips comments: an example there is no setting", () => {
    expect(namesHost("# DATABASE_URL=postgres://u@db/app\n", "db")).toBe(false);
  });
});

describe("services nothing points the tests at", () => {
  const db = { name: "db" };
  it("a test environment or command that names the host points there", () => {
    expect(unpointedServices(repoView({}), { environment: { DATABASE_URL: "postgres://u:p@db/app" } }, [db], [])).toEqual([]);
    expect(unpointedServices(repoView({}), { command: "wait-for db:5432 -- pytest", environment: {} }, [db], [])).toEqual([]);
    expect(unpointedServices(repoView({}), { command: "pytest", environment: {} }, [db, { name: "cache", aliases: ["redis"] }], [])).toEqual(["db", "cache"]);
  });

  it("so does an alias, and a settings file of the repository", () => {
    const repo = repoView({ "config/database.yml": "test:\n  host: pg\n" });
    expect(unpointedServices(repo, { command: "rspec", environment: {} }, [{ name: "db", aliases: ["pg"] }], [])).toEqual([]);
  });

  it("compose files and their env files do not: they are the app's settings", () => {
    const repo = repoView({
      "docker-compose.yml": "environment:\n  DB_HOST: db\n",
      ".env.docker-compose": "DATABASE_URL=postgres://u@db/x\n",
      "docs/setup.md": "host: db",
    });
    expect(unpointedServices(repo, { command: "pytest", environment: {} }, [db], ["docker-compose.yml"])).toEqual(["db"]);
  });

  it("init writes a TODO at the test when no setting names a service, and none when the app's setting is copied", () => {
    const files = {
      Dockerfile: "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
      "requirements.txt": "pytest\n",
      "tests/test_app.py": "",
    };
    const unpointed = detect(
      repoView({ ...files, "docker-compose.yml": "services:\n  app:\n    build: .\n    depends_on: [db]\n  db:\n    image: postgres:16\n" }),
    );
    expect(unpointed.todo).toContainEqual(expect.stringMatching(/^test: nothing here points the tests at db .*host db/));
    expect(unpointed.spec).toMatch(/# TODO: nothing here points the tests at db[^\n]*\ntest:/);
    const pointed = detect(
      repoView({
        ...files,
        "docker-compose.yml":
          "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgres://postgres:pw@db/app\n  db:\n    image: postgres:16\n",
      }),
    );
    expect(parse(pointed.spec).test.environment).toEqual({ DATABASE_URL: "postgres://postgres:pw@db/app" });
    expect(pointed.todo.filter((t) => t.includes("points the tests"))).toEqual([]);
  });
});

describe("a Rails app's test database", () => {
  const rails = { Gemfile: "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n", "config/database.yml": "test:\n  host: db\n", "bin/rails": "" };

  it("rails test and rspec create none: db:test:prepare goes first", () => {
    expect(railsDatabaseStep(repoView(rails), ".", "bin/rails test", ["db"])).toBe("bin/rails db:test:prepare");
    expect(railsDatabaseStep(repoView(rails), ".", "bundle exec rspec", ["db"])).toBe("bin/rails db:test:prepare");
  });

  it("none when a test helper maintains the schema: rails/test_help and maintain_test_schema! run db:test:prepare", () => {
    expect(railsDatabaseStep(repoView({ ...rails, "test/test_helper.rb": 'require "rails/test_help"\n' }), ".", "bin/rails test", ["db"])).toBeUndefined();
    expect(
      railsDatabaseStep(repoView({ ...rails, "spec/rails_helper.rb": "ActiveRecord::Migration.maintain_test_schema!\n" }), ".", "bundle exec rspec", ["db"]),
    ).toBeUndefined();
    // A commented-out line maintains nothing.
    expect(
      railsDatabaseStep(repoView({ ...rails, "spec/rails_helper.rb": "# ActiveRecord::Migration.maintain_test_schema!\n" }), ".", "bundle exec rspec", ["db"]),
    ).toBe("bin/rails db:test:prepare");
  });

  it("none when the command prepares it, the services hold no SQL database, or the project is no Rails app", () => {
    expect(railsDatabaseStep(repoView(rails), ".", "bin/rails db:create db:schema:load && bin/rails test", ["db"])).toBeUndefined();
    expect(railsDatabaseStep(repoView(rails), ".", "bin/rails test", [])).toBeUndefined();
    expect(railsDatabaseStep(repoView({ Gemfile: "gem 'sinatra'\n", "config/database.yml": "" }), ".", "bundle exec rspec", ["db"])).toBeUndefined();
  });

  it("an engine's gemspec that depends on rails is one, in its folder, with the runner through bundler", () => {
    const engine = {
      "crm/Gemfile": "gemspec\n",
      "crm/crm.gemspec": "Gem::Specification.new do |s|\n  s.add_dependency 'rails', '>= 7'\nend\n",
      "crm/db/schema.rb": "",
    };
    expect(railsDatabaseStep(repoView(engine), "crm", "bundle exec rspec", ["db"])).toBe("bundle exec rails db:test:prepare");
    expect(railsDatabaseStep(repoView(engine), ".", "bundle exec rspec", ["db"])).toBeUndefined();
  });

  it("init writes the TODO at the test command", () => {
    const d = detect(
      repoView({
        ...rails,
        Dockerfile: "FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\n",
        "Gemfile.lock": "",
        "test/models/user_test.rb": "",
        "docker-compose.yml": "services:\n  web:\n    build: .\n    environment:\n      DB_HOST: db\n  db:\n    image: postgres:16\n",
      }),
    );
    expect(d.todo).toContainEqual(
      expect.stringMatching(/^test\.command: no test helper of this Rails app maintains the test schema .* on db .*`bin\/rails db:test:prepare &&`/),
    );
  });
});
