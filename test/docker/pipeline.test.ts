import { type ChildProcess, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FaultProxy } from "./fault-proxy.js";
import { AUTH_PASSWORD, authRegistryTags, DOCKER, docker, ENGINE, leftovers, Project } from "./project.js";

const INSTALL = /(^|\s)demo: installing dependencies$/m;
const projects: Project[] = [];
const project = (o: ConstructorParameters<typeof Project>[0]) => {
  const p = new Project(o);
  projects.push(p);
  return p;
};
afterAll(() => projects.forEach((p) => p.cleanup()));
const ok = (r: { status: number; stdout: string; stderr: string }) => expect(r.status, r.stdout + r.stderr).toBe(0);

/** A script run with every process's command line sampled while it runs: a secret on one is seen. */
async function watched(child: ChildProcess): Promise<{ code: number | null; out: string; seen: string[] }> {
  const seen: string[] = [];
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const poll = setInterval(() => {
    try {
      seen.push(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }));
    } catch {
      /* ps raced a process exit */
    }
  }, 5);
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  clearInterval(poll);
  return { code, out, seen };
}

describe("test splitting: four nodes, disjoint shares, all of the files, one candidate push", () => {
  const p = project({
    name: "split",
    spec: (base) => ({
      ...base,
      services: {},
      test: {
        // Each node proves its files are in the image at the paths TEST_FILES names.
        command: 'for f in $TEST_FILES; do test -f "/app/$f" && echo "ran $f"; done',
        parallelism: 4,
        split: { glob: ["src/*", "tests/**/*.sh", "requirements.txt"], by: "name" },
      },
      deploy: { registry: "localhost:5000", rules: [{ branch: "main", tags: ["latest"] }] },
    }),
  });

  it("each node runs its share in the container; node 0 alone pushes the candidate image", () => {
    ok(p.script("image.sh", ["ready", "app"]));
    const ran: string[][] = [];
    const said: string[] = [];
    for (let node = 0; node < 4; node++) {
      const nodeEnv = { CIRCLE_NODE_INDEX: String(node), CIRCLE_NODE_TOTAL: "4" };
      const t = p.script("test.sh", ["run", "app"], nodeEnv);
      ok(t);
      ran.push([...t.stdout.matchAll(/^ran (.*)$/gm)].map((m) => m[1]!));
      const c = p.script("deploy.sh", ["app", "1", "candidate"], nodeEnv);
      ok(c);
      said.push(c.stdout + c.stderr);
    }
    const all = ran.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(["requirements.txt", "src/app.sh", "src/marker", "tests/run.sh"]);
    expect(ran.filter((r) => r.length > 0)).toHaveLength(4);
    expect(said.filter((t) => /pushing the candidate .*:ci-/.test(t))).toHaveLength(1);
    expect(said[0]).toMatch(/pushing the candidate/);
    for (const t of said.slice(1)) expect(t).toMatch(/node 0 pushes the candidate image/);
  });
});

describe("8. services and tests in the container", () => {
  // db answers to an alias too (compose's container_name): the tests' DATABASE_URL uses it.
  const p = project({
    name: "services",
    spec: (base) => {
      const services = base.services as Record<string, Record<string, unknown>>;
      const test = base.test as Record<string, unknown>;
      return {
        ...base,
        services: { ...services, db: { ...services.db, aliases: ["database"] } },
        test: { ...test, environment: { ...(test.environment as object), DATABASE_URL: "http://database:8080" } },
      };
    },
  });
  const prefix = "gc-app-";

  it("services on a private network (by name and by alias), readiness, setup, environment, JUnit out with docker cp", () => {
    ok(p.script("image.sh", ["ready", "app"]));
    const t = p.script("test.sh", ["run", "app"]);
    ok(t);
    expect(t.stderr).toContain("service db is ready");
    expect(t.stderr).toContain("service kv is ready");
    expect(t.stdout).toContain("ok   kv-setup-ran");
    expect(t.stdout).toContain("ok   db-url-mapped");
    expect(readFileSync(join(p.dir, "test-results/app/junit.xml"), "utf8")).toMatch(/<testsuite name="demo" tests="7" failures="0">/);
    expect(leftovers(prefix)).toEqual({ containers: [], networks: [] });
  });

  it("a failing test: exit non-zero, the failure counted in JUnit, everything removed", () => {
    const t = p.script("test.sh", ["run", "app"], { BREAK_TEST: "1" });
    expect(t.status).not.toBe(0);
    expect(readFileSync(join(p.dir, "test-results/app/junit.xml"), "utf8")).toMatch(/failures="1"/);
    expect(leftovers(prefix)).toEqual({ containers: [], networks: [] });
  });

  it("a service that never becomes ready fails after its timeout, with its logs", () => {
    const spec = parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8"));
    spec.services.slow = {
      image: "gen-circle-test/busybox:latest",
      command: ["sh", "-c", "echo slow-service-says-hello; sleep 300"],
      ready: { command: "false", timeout: 3 },
    };
    p.writeSpec(spec);
    const t0 = Date.now();
    const t = p.script("test.sh", ["run", "app"]);
    expect(t.status).not.toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    expect(t.stderr).toContain("service slow was not ready after 3s");
    expect(t.stderr).toContain("slow-service-says-hello");
    expect(leftovers(prefix)).toEqual({ containers: [], networks: [] });
    delete spec.services.slow;
    p.writeSpec(spec);
  });

  it("Ctrl-C during the tests: exit 130, containers and network removed", async () => {
    const spec = parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8"));
    spec.test.command = "echo started; sleep 120";
    p.writeSpec(spec);
    const child = p.spawnScript("test.sh", ["run", "app"]);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (out.includes("started")) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - t0 > 60_000) {
          clearInterval(poll);
          reject(new Error(out));
        }
      }, 50);
    });
    expect(leftovers(prefix).containers.length).toBeGreaterThan(0);
    process.kill(child.pid!, "SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(leftovers(prefix)).toEqual({ containers: [], networks: [] });
  });
});

describe("an image whose ENTRYPOINT starts the app: test.entrypoint", () => {
  // Like an image whose entrypoint boots the server: it never runs the command it is given.
  const p = project({ name: "entrypoint", requirements: "tiny 1\n", spec: (base) => ({ ...base, services: {} }) });
  const withEntrypoint = (entrypoint?: string) => {
    const spec = parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8"));
    spec.test = { command: 'test -s /deps/tiny && echo "tests ran as $0"' };
    if (entrypoint !== undefined) spec.test.entrypoint = entrypoint;
    p.writeSpec(spec);
  };

  it('none: the image\'s entrypoint ignores the tests; "" runs them with none; a program runs them as its arguments', () => {
    const dockerfile = readFileSync(join(p.dir, "Dockerfile"), "utf8");
    p.write(
      "Dockerfile",
      dockerfile +
        "RUN printf '#!/bin/sh\\necho wrapped-by-$0\\nexec \"$@\"\\n' >/wrap && chmod +x /wrap\n" +
        'ENTRYPOINT ["sh", "-c", "echo the-app-starts; exit 3"]\n',
    );
    withEntrypoint();
    ok(p.script("image.sh", ["ready", "app"]));
    const kept = p.script("test.sh", ["run", "app"]);
    expect(kept.status).toBe(3);
    expect(kept.stdout).toContain("the-app-starts");
    expect(kept.stdout).not.toContain("tests ran");

    withEntrypoint("");
    const cleared = p.script("test.sh", ["run", "app"]);
    ok(cleared);
    expect(cleared.stdout).toContain("tests ran as sh");
    expect(cleared.stdout).not.toContain("the-app-starts");

    withEntrypoint("/wrap");
    const wrapped = p.script("test.sh", ["run", "app"]);
    ok(wrapped);
    expect(wrapped.stdout).toMatch(/wrapped-by-\/wrap\n(.*\n)*tests ran as sh/);
    expect(leftovers("gc-app-")).toEqual({ containers: [], networks: [] });
  });
});

describe("9. remote docker (executor: docker)", () => {
  it("the whole pipeline runs with no bind mount and no published port", () => {
    const p = project({ name: "remote", spec: (s) => ({ ...s, executor: "docker" }) });
    const config = parse(readFileSync(join(p.dir, ".circleci/config.yml"), "utf8"));
    expect(config.executors["gen-circle"].docker[0].image).toBe("cimg/base:current");
    expect(JSON.stringify(config.jobs["test-app"].steps)).toContain("setup_remote_docker");
    // A docker client that refuses what a remote engine cannot do: mount this machine's files
    // or publish ports to it.
    const bin = join(p.dir, "guard-bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "docker"),
      `#!/usr/bin/env bash\nfor a in "$@"; do case "$a" in -v|--volume|--volume=*|--mount|--mount=*|-p|--publish|--publish=*|-P|--publish-all) echo "guard: $a is not possible with remote docker" >&2; exit 99;; esac; done\nexec ${DOCKER} "$@"\n`,
    );
    chmodSync(join(bin, "docker"), 0o755);
    const env = { PATH: `${bin}:${p.env.PATH}` };
    ok(p.script("image.sh", ["key", "app"], env));
    ok(p.script("image.sh", ["warm", "app"], env));
    ok(p.script("image.sh", ["ready", "app"], env));
    const t = p.script("test.sh", ["run", "app"], env);
    ok(t);
    expect(readFileSync(join(p.dir, "test-results/app/junit.xml"), "utf8")).toMatch(/failures="0"/);
  });
});

describe("10. deploy with login to a registry that requires it", () => {
  const PASSWORD = AUTH_PASSWORD;
  const p = project({
    name: "deploy",
    spec: (s) => ({
      ...s,
      deploy: {
        registry: "127.0.0.1:5001",
        login: { username: "REG_USER", password: "REG_PASS" },
        rules: [
          { branch: "main", tags: ["latest", "{sha}", "build-{build}"] },
          { tag: "/v[0-9]+(\\.[0-9]+)*/", tags: ["{tag}"] },
        ],
      },
    }),
    env: { REG_USER: "ci", REG_PASS: PASSWORD, CIRCLE_BUILD_NUM: "42" },
  });
  const repo = () => p.image.replace(/^localhost:5000\//, "127.0.0.1:5001/");
  const tags = () => authRegistryTags(repo().replace(/^127.0.0.1:5001\//, ""));

  it("the job that tested the image logs in with --password-stdin and pushes the rule's tags; nothing goes through a workspace", async () => {
    ok(p.script("image.sh", ["ready", "app"]));
    ok(p.script("test.sh", ["run", "app"]));
    const { code, out, seen } = await watched(p.spawnScript("deploy.sh", ["app", "1"]));
    expect(code, out).toBe(0);
    expect(out).not.toContain(PASSWORD);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.join("\n")).not.toContain(PASSWORD);
    expect((await tags()).sort()).toEqual(["build-42", "latest", p.env.CIRCLE_SHA1].sort());

    // The pushed image is the tested one, and can be pulled back.
    docker("rmi", "-f", `${repo()}:latest`);
    ok(docker("pull", `${repo()}:latest`));
    const marker = docker("run", "--rm", `${repo()}:latest`, "cat", "/app/src/marker");
    expect(marker.stdout.trim()).toBe("release-1");
  });

  it("a branch no rule names pushes nothing, and the job fails", async () => {
    const before = await tags();
    const r = p.script("deploy.sh", ["app", "1"], { CIRCLE_BRANCH: "feature/x" });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain("nothing pushed");
    expect(await tags()).toEqual(before);
  });

  it("a git tag deploys the tag rule's tags", async () => {
    const r = p.script("deploy.sh", ["app", "2"], { CIRCLE_TAG: "v1.2.3", CIRCLE_BRANCH: "" });
    ok(r);
    expect(await tags()).toContain("v1.2.3");
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("wrong credentials fail the deploy, without printing the password", () => {
    const r = p.script("deploy.sh", ["app", "1"], { REG_PASS: "wrong-" + PASSWORD });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});

describe("deploy after parallel nodes: a candidate pushed once, tagged in the registry without moving a layer", () => {
  const PASSWORD = AUTH_PASSWORD;
  let proxy: FaultProxy;
  let p: Project;
  beforeAll(async () => {
    proxy = await FaultProxy.start("127.0.0.1:5001");
    p = project({
      name: "promote",
      spec: (s) => ({
        ...s,
        services: {},
        deploy: { registry: proxy.host, login: { username: "REG_USER", password: "REG_PASS" }, rules: [{ branch: "main", tags: ["latest", "{sha}"] }] },
      }),
      env: { REG_USER: "ci", REG_PASS: PASSWORD },
    });
  });
  afterAll(async () => proxy?.stop());
  const path = () => p.image.replace(/^localhost:5000\//, "");
  const repo = () => `${proxy.host}/${path()}`;

  it("node 0 pushes ci-<commit>; the deploy job, on a fresh engine, copies its manifest to each tag and pulls no blob", async () => {
    ok(p.script("image.sh", ["ready", "app"]));
    ok(p.script("deploy.sh", ["app", "1", "candidate"], { CIRCLE_NODE_INDEX: "0", CIRCLE_NODE_TOTAL: "2" }));
    const candidate = `ci-${p.env.CIRCLE_SHA1}`;
    expect(await authRegistryTags(path())).toEqual([candidate]);
    p.freshEngine(); // the deploy job runs on another machine, with no image
    const before = proxy.requests().length;
    // On the small executor (a container with no Docker engine): any docker call fails here.
    const noDocker = join(p.state, "no-docker");
    mkdirSync(noDocker, { recursive: true });
    writeFileSync(join(noDocker, "docker"), "#!/bin/sh\necho 'docker: not on this executor' >&2\nexit 127\n", { mode: 0o755 });
    const { code, out, seen } = await watched(p.spawnScript("deploy.sh", ["app", "1", "promote"], { PATH: `${noDocker}:${process.env.PATH}` }));
    expect(code, out).toBe(0);
    expect(out).not.toContain("not on this executor");
    expect(out + seen.join("\n")).not.toContain(PASSWORD);
    const during = proxy.requests().slice(before);
    // Manifests only, read once and written once per tag: not one layer's blob, up or down.
    expect(during.filter((r) => r.path.includes("/blobs/"))).toEqual([]);
    const manifests = during.filter((r) => r.status !== 401).map((r) => `${r.method} ${r.path.replace(/^\/v2\/.*\/manifests\//, "")} ${r.status}`);
    // The tag that never moves first, latest last.
    expect(manifests).toEqual([`GET ${candidate} 200`, `PUT ${p.env.CIRCLE_SHA1} 201`, "PUT latest 201"]);
    expect((await authRegistryTags(path())).sort()).toEqual([candidate, "latest", p.env.CIRCLE_SHA1].sort());
    // The tag is the tested image.
    expect(docker("image", "inspect", `${repo()}:latest`).status).not.toBe(0);
    ok(docker("pull", `${repo()}:latest`));
    expect(docker("run", "--rm", `${repo()}:latest`, "cat", "/app/src/marker").stdout.trim()).toBe("release-1");
  });

  it("without the candidate, promote fails and says why; wrong credentials fail without printing the password", () => {
    const none = p.script("deploy.sh", ["app", "1", "promote"], { CIRCLE_SHA1: "0".repeat(40) });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no candidate image .*ci-0{40}/);
    const wrong = p.script("deploy.sh", ["app", "1", "promote"], { REG_PASS: "wrong-" + PASSWORD });
    expect(wrong.status).toBe(1);
    expect(wrong.stdout + wrong.stderr).not.toContain(PASSWORD);
  });
});

describe("7. registry cache strategy", () => {
  const p = project({
    name: "regcache",
    spec: (s) => ({ ...s, cache: { strategy: "registry", registry: "127.0.0.1:5000", default_branch: "main" } }),
  });
  const warm = (env: Record<string, string> = {}) => {
    const w = p.script("image.sh", ["warm", "app"], env);
    ok(w);
    return w;
  };

  it("a miss builds and pushes the hash tag and the branch tag; a hit skips the build", () => {
    const cold = warm();
    expect(cold.stdout + cold.stderr).toMatch(INSTALL);
    p.freshEngine();
    const hit = warm();
    expect(hit.stderr).toContain("cache hit");
    expect(hit.stdout + hit.stderr).not.toContain("building");
    p.freshEngine();
    const ready = p.script("image.sh", ["ready", "app"]);
    ok(ready);
    expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
    if (ENGINE === "docker-28-containerd") {
      // This strategy's `docker build` (buildx's alias here) attaches no provenance attestation
      // either unless the spec asks (an attestation would make the image an index on this store).
      const r = docker("image", "inspect", "--format", "{{.Descriptor.MediaType}}", `${p.image}:ci-${p.env.CIRCLE_SHA1}`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).not.toMatch(/index/);
    }
    ok(p.script("test.sh", ["run", "app"]));
  });

  it("a new hash on a new branch builds from the default branch's cache tag", () => {
    p.freshEngine();
    p.write(
      "Dockerfile",
      readFileSync(join(p.dir, "Dockerfile"), "utf8").replace('CMD ["sh", "/app/tests/run.sh"]', 'CMD ["sh", "-c", "sh /app/tests/run.sh"]'),
    );
    const w = warm({ CIRCLE_BRANCH: "feature/new-cmd" });
    expect(w.stderr).toMatch(/could not pull .*:cache-feature-new-cmd/);
    expect(w.stderr).toMatch(/reusing layers of .*:cache-main/);
    expect(w.stdout + w.stderr).not.toMatch(INSTALL);
    // The branch has a cache tag of its own now: the next new hash on it builds from that.
    p.freshEngine();
    p.write("Dockerfile", readFileSync(join(p.dir, "Dockerfile"), "utf8") + "LABEL stage=two\n");
    const again = warm({ CIRCLE_BRANCH: "feature/new-cmd" });
    expect(again.stderr).toMatch(/reusing layers of .*:cache-feature-new-cmd/);
    expect(again.stdout + again.stderr).not.toMatch(INSTALL);
  });

  it("registry down: warnings, a rebuild, and a green pipeline", () => {
    p.freshEngine();
    p.writeSpec({ ...parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8")), cache: { strategy: "registry", registry: "127.0.0.1:5999" } });
    const w = warm();
    expect(w.stderr).toMatch(/warning: could not pull/);
    expect(w.stderr).toMatch(/warning: could not push/);
    const ready = p.script("image.sh", ["ready", "app"]);
    ok(ready);
    ok(p.script("test.sh", ["run", "app"]));
  });
});

describe(`11. the other builder of ${ENGINE}`, () => {
  // The default builder runs every other test in this folder: the classic builder with Debian's
  // 20.10 client, BuildKit (buildx) with Docker 28. This one runs the other.
  it("the default builder is the one the other tests use", () => {
    const v = docker("version", "--format", "{{.Client.Version}}");
    expect(v.stdout.trim()).toMatch(ENGINE === "debian-20.10" ? /^20\./ : /^28\./);
    expect(docker("buildx", "version").status === 0).toBe(ENGINE !== "debian-20.10");
    expect(process.env.DOCKER_BUILDKIT ?? "").toBe("");
  });

  if (ENGINE === "docker-28-containerd") {
    it("the legacy builder (DOCKER_BUILDKIT=0) cannot use a cache on the containerd store: said in the log, built without one", () => {
      const p = project({ name: "legacy", env: { DOCKER_BUILDKIT: "0" } });
      ok(p.script("image.sh", ["key", "app"]));
      const cold = p.script("image.sh", ["warm", "app"]);
      ok(cold);
      expect(cold.stderr).toMatch(
        /warning: this engine \(Docker 28\S*, containerd image store, legacy builder \(DOCKER_BUILDKIT=0\)\) cannot reuse a cached image/,
      );
      const ready = p.script("image.sh", ["ready", "app"]);
      ok(ready);
      expect(ready.stderr).toContain("cannot reuse a cached image");
      ok(p.script("test.sh", ["run", "app"]));
    });
  } else {
    const other =
      ENGINE === "debian-20.10" ? { name: "BuildKit", env: "1", cached: /CACHED/ } : { name: "the legacy builder", env: "0", cached: /Using cache/ };
    it(`${other.name} (DOCKER_BUILDKIT=${other.env}): cold, then warm on a fresh engine without rebuilding dependencies`, () => {
      const p = project({ name: "builder", env: { DOCKER_BUILDKIT: other.env } });
      ok(p.script("image.sh", ["key", "app"]));
      const cold = p.script("image.sh", ["warm", "app"]);
      ok(cold);
      expect(cold.stdout + cold.stderr).toMatch(INSTALL);
      p.freshEngine();
      ok(p.script("image.sh", ["key", "app"]));
      const ready = p.script("image.sh", ["ready", "app"]);
      ok(ready);
      expect(ready.stdout + ready.stderr).toMatch(other.cached);
      expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
      expect(ready.stderr).not.toContain("warning:");
      ok(p.script("test.sh", ["run", "app"]));
    });
  }
});
