import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER, docker } from "./engine.js";
import { FaultProxy, record, registryTags, retries, said, writeRows } from "./fault-proxy.js";
import { AUTH_PASSWORD, authRegistryTags, Project } from "./project.js";

// Faults a CI run meets every week, on this engine, through a proxy in front of the test
// registries (test/infra/fault-proxy.mjs): a registry refusing for a moment (429, 5xx), a
// connection reset in the middle of a layer, a registry that stalls, one that refuses for good,
// and a disk that fills. For each: the outcome, what the log says, how many requests the proxy
// refused and the scripts retried, and what was lost (the registry's tags, the cache folder).
// The rows go to docs/faults.md (scripts/faults-table.mjs).
const FAST = { GEN_CIRCLE_RETRY_MS: "200" }; // the backoff's first wait, kept short here
afterAll(() => writeRows("faults"));

describe("deploy through a flaky registry", () => {
  let proxy: FaultProxy;
  let p: Project;
  const path = () => p.image.replace(/^localhost:5000\//, "");
  const repo = () => `${proxy.host}/${path()}`;
  const deploy = (env: Record<string, string> = {}) => p.script("deploy.sh", ["app", "1"], { ...FAST, ...env });
  let rule = 0;
  const fresh = (name: string) => `${name}-${++rule}`;
  // A new commit, built (from the cache): its image is the one a deploy job pushes. With new code,
  // a new image: moving `latest` to it is a manifest PUT on every store (the containerd store
  // skips the PUT of a tag that already names the same image).
  const commit = (newCode = false) => {
    p.newCommit();
    if (newCode) p.write("src/fault-marker", `${p.env.CIRCLE_SHA1}\n`);
    const r = p.script("image.sh", ["ready", "app"]);
    expect(r.status, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    proxy = await FaultProxy.start();
    p = new Project({
      name: "faults",
      spec: (s) => ({ ...s, services: {}, deploy: { registry: proxy.host, rules: [{ branch: "main", tags: ["latest", "{sha}"] }] } }),
    });
    const r = p.script("image.sh", ["ready", "app"]);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await proxy.stop();
    p.cleanup();
  });

  it("503 on the manifest, twice: retried, green, every tag there", async () => {
    const name = fresh("manifest-503");
    proxy.rules([{ name, method: "PUT", path: "/manifests/", times: 2, action: { status: 503 } }]);
    const r = deploy();
    expect(r.status, r.stderr).toBe(0);
    expect(proxy.faulted(name)).toBe(2);
    // (the containerd store's client retries a 503 once itself, and names no status)
    expect(retries(r.stderr)).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toMatch(/gen-circle: retry 1\/4 after [\d.]+ s: push 127\.0\.0\.1:\d+\/.*:(latest|[0-9a-f]{40}): (503|registry error)/);
    const tags = await registryTags(path());
    expect(tags.sort()).toEqual([p.env.CIRCLE_SHA1!, "latest"].sort());
    record({
      fault: "deploy: 503 on 2 manifest PUTs",
      outcome: "green",
      said: said(r.stderr),
      refused: 2,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("429 with Retry-After on a layer upload: green (the engine's retry or the scripts')", async () => {
    p.newCommit(); // a new sha: the image is pushed again under new tags
    p.freshEngine();
    expect(p.script("image.sh", ["ready", "app"]).status).toBe(0);
    const name = fresh("upload-429");
    proxy.rules([{ name, method: "POST", path: "/blobs/uploads/", times: 1, action: { status: 429, retryAfter: 1 } }]);
    const r = deploy();
    expect(r.status, r.stderr).toBe(0);
    expect(proxy.faulted(name)).toBe(1);
    expect(await registryTags(path())).toContain(p.env.CIRCLE_SHA1);
    record({
      fault: "deploy: 429 (Retry-After: 1) on a layer upload",
      outcome: "green",
      said: said(r.stderr),
      refused: 1,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("a connection reset in the middle of a layer upload: green", async () => {
    p.newCommit();
    p.freshEngine();
    // A new layer to upload: the code changed.
    p.write("src/fault-marker", `${Date.now()}\n`);
    expect(p.script("image.sh", ["ready", "app"]).status).toBe(0);
    const name = fresh("upload-reset");
    // The first request that carries a layer's bytes (PATCH on the classic store, PUT on containerd).
    proxy.rules([{ name, path: "/blobs/uploads/.+", times: 1, action: { reset: true, afterBytes: 512 } }]);
    const r = deploy();
    expect(r.status, r.stderr).toBe(0);
    expect(proxy.faulted(name)).toBe(1);
    expect((await registryTags(path())).sort()).toContain(p.env.CIRCLE_SHA1);
    record({
      fault: "deploy: connection reset mid-layer upload",
      outcome: "green",
      said: said(r.stderr),
      refused: 1,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("a registry that stalls 2 s on the manifest: slower, green, no retry", async () => {
    commit();
    const name = fresh("manifest-stall");
    proxy.rules([{ name, method: "PUT", path: "/manifests/", times: 1, action: { stallMs: 2000 } }]);
    const r = deploy();
    expect(r.status, r.stderr).toBe(0);
    expect(proxy.faulted(name)).toBe(1);
    expect(retries(r.stderr)).toBe(0);
    record({ fault: "deploy: a 2 s stall on a manifest PUT", outcome: "green", said: said(r.stderr), refused: 1, retried: 0, lost: "nothing" });
  });

  it("401 on the moving tag: red at once, the immutable tag pushed, latest not moved, and the log says which", async () => {
    commit(true);
    const before = await registryTags(path());
    const name = fresh("latest-401");
    proxy.rules([{ name, method: "PUT", path: "/manifests/latest$", action: { status: 401 } }]);
    const r = deploy();
    expect(r.status, r.stderr).toBe(1);
    expect(retries(r.stderr)).toBe(0);
    expect(r.stderr).toContain(`gen-circle: error: deploy of rule 1 failed at ${repo()}:latest: pushed ${p.env.CIRCLE_SHA1}; not pushed: latest`);
    const after = await registryTags(path());
    expect(after).toContain(p.env.CIRCLE_SHA1);
    // latest still names the image of the last green deploy: the digest did not move.
    expect(after.filter((t) => t === "latest")).toEqual(before.filter((t) => t === "latest"));
    record({
      fault: "deploy: 401 on the latest tag",
      outcome: "red",
      said: said(r.stderr),
      refused: proxy.faulted(name),
      retried: 0,
      lost: "nothing (latest left on the last deployed image)",
    });
  });

  it("a registry that keeps failing: red after the bounded retries, nothing moved", async () => {
    commit();
    const name = fresh("manifest-down");
    proxy.rules([{ name, method: "PUT", path: "/manifests/", action: { status: 503 } }]);
    const r = deploy({ GEN_CIRCLE_RETRIES: "2" });
    expect(r.status).toBe(1);
    expect(retries(r.stderr)).toBe(2);
    expect(r.stderr).toContain("still failing after 2 retries");
    expect(r.stderr).toContain(`deploy of rule 1 failed at ${repo()}:${p.env.CIRCLE_SHA1}: pushed nothing; not pushed: ${p.env.CIRCLE_SHA1} latest`);
    expect(await registryTags(path())).not.toContain(p.env.CIRCLE_SHA1);
    record({
      fault: "deploy: 503 on every manifest PUT",
      outcome: "red",
      said: said(r.stderr),
      refused: proxy.faulted(name),
      retried: 2,
      lost: "nothing (no tag moved)",
    });
  });
});

describe("login and pulls through a flaky registry", () => {
  let auth: FaultProxy;
  let plain: FaultProxy;
  let p: Project;
  let serviceImage: string;
  beforeAll(async () => {
    auth = await FaultProxy.start("127.0.0.1:5001");
    plain = await FaultProxy.start();
    p = new Project({ name: "pullfaults" });
    // A service image that is pulled: on the test registry, not in the engine.
    const path = `${p.image.replace(/^localhost:5000\//, "").replace(/\/app$/, "")}/httpd:1`;
    expect(docker("tag", "gen-circle-test/httpd:latest", `127.0.0.1:5000/${path}`).status).toBe(0);
    expect(docker("push", "-q", `127.0.0.1:5000/${path}`).status).toBe(0);
    docker("rmi", `127.0.0.1:5000/${path}`);
    serviceImage = `${plain.host}/${path}`;
    p.writeSpec({
      version: 1,
      image: { name: p.image, hash: ["Dockerfile", "requirements.txt"], build_args: { INSTALL_SECONDS: "1" } },
      services: { kv: { image: serviceImage, ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello" } },
      test: { command: "true" },
      cache: { strategy: "registry", registry: plain.host },
      deploy: { registry: auth.host, login: { username: "REG_USER", password: "REG_PASS" }, rules: [{ branch: "main", tags: ["{sha}"] }] },
    });
  });
  afterAll(async () => {
    docker("rmi", "-f", serviceImage);
    await auth.stop();
    await plain.stop();
    p.cleanup();
  });

  it("the registry cache: 503 on its manifest, twice, is retried and the cache still hits", () => {
    expect(p.script("image.sh", ["warm", "app"], FAST).status).toBe(0);
    p.freshEngine();
    const name = "cache-pull-503";
    // (HEAD or GET: the classic store asks HEAD first)
    plain.rules([{ name, path: "/manifests/cache-", times: 2, action: { status: 503 } }]);
    const r = p.script("image.sh", ["ready", "app"], FAST);
    expect(r.status, r.stderr).toBe(0);
    const refused = plain.faulted(name);
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(retries(r.stderr)).toBeGreaterThanOrEqual(1);
    expect(r.stderr).not.toContain("demo: installing dependencies");
    record({
      fault: "registry cache: 503 on its manifest, twice",
      outcome: "green",
      said: said(r.stderr),
      refused,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("the registry cache: a connection reset in the middle of a layer download: green, the cache hits", () => {
    p.freshEngine();
    const name = "cache-blob-reset";
    // The first layer GET of the cache image, cut after 1 KB.
    plain.rules([{ name, method: "GET", path: "/app/blobs/sha256:", times: 1, action: { reset: true, afterBytes: 1024 } }]);
    const r = p.script("image.sh", ["ready", "app"], FAST);
    expect(r.status, r.stderr).toBe(0);
    expect(plain.faulted(name)).toBe(1);
    expect(r.stderr).not.toContain("demo: installing dependencies");
    record({
      fault: "registry cache: connection reset mid-layer download",
      outcome: "green",
      said: said(r.stderr),
      refused: 1,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("a service image: 429 on its manifest, twice, is retried, the tests run", () => {
    const name = "service-pull-429";
    // HEAD, then the classic store's GET of the same tag: both refused, so the pull fails once.
    plain.rules([{ name, path: "/httpd/manifests/", times: 2, action: { status: 429, retryAfter: 1 } }]);
    const r = p.script("test.sh", ["run", "app"], FAST);
    expect(r.status, r.stderr).toBe(0);
    const refused = plain.faulted(name);
    expect(refused).toBeGreaterThanOrEqual(1);
    record({
      fault: "service pull: 429 on its manifest, twice",
      outcome: "green",
      said: said(r.stderr),
      refused,
      retried: retries(r.stderr),
      lost: "nothing",
    });
  });

  it("login: a 503 on the login request is retried; wrong credentials fail at once", async () => {
    const name = "login-503";
    // The second GET /v2/: the one with the credentials (the first asks how to log in).
    auth.rules([{ name, method: "GET", path: "^/v2/$", after: 1, times: 1, action: { status: 503 } }]);
    const env = { ...FAST, REG_USER: "ci", REG_PASS: AUTH_PASSWORD };
    const r = p.script("deploy.sh", ["app", "1"], env);
    expect(r.status, r.stderr).toBe(0);
    expect(auth.faulted(name)).toBe(1);
    expect(r.stderr).toMatch(/gen-circle: retry 1\/4 after [\d.]+ s: login 127\.0\.0\.1:\d+: 503/);
    expect(r.stdout + r.stderr).not.toContain(AUTH_PASSWORD);
    expect(await authRegistryTags(p.image.replace(/^localhost:5000\//, ""))).toContain(p.env.CIRCLE_SHA1);
    record({
      fault: "login: 503 on the login request",
      outcome: "green",
      said: said(r.stderr),
      refused: 1,
      retried: retries(r.stderr),
      lost: "nothing",
    });

    auth.rules([]);
    const wrong = p.script("deploy.sh", ["app", "1"], { ...env, REG_PASS: "wrong" });
    expect(wrong.status).toBe(1);
    expect(retries(wrong.stderr)).toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized|401/);
    record({ fault: "login: wrong credentials (401)", outcome: "red", said: said(wrong.stderr), refused: 0, retried: 0, lost: "nothing" });
  });
});

describe("a disk that fills", () => {
  // Root only (CI runs as root): a small tmpfs stands in for a full disk.
  const root = process.getuid?.() === 0;
  let p: Project;
  const mounts: string[] = [];
  // A full disk: a small tmpfs, then a file that takes every byte left of it.
  const fullDisk = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    mounts.push(dir);
    spawnSync("dd", ["if=/dev/zero", `of=${join(dir, ".filler")}`, "bs=4k"], { stdio: "ignore" });
  };
  beforeAll(() => {
    p = new Project({ name: "fulldisk" });
  });
  afterAll(() => {
    for (const m of mounts.reverse()) spawnSync("umount", [m]);
    p.cleanup();
  });

  it.runIf(root || !!process.env.CI)("saving the archive on a full disk: a warning, no file a later job trusts, the job green", () => {
    fullDisk(join(p.state, "cache/app"));
    const ready = p.script("image.sh", ["ready", "app"]);
    expect(ready.status, ready.stdout + ready.stderr).toBe(0);
    const save = p.script("image.sh", ["save", "app"]);
    expect(save.status, save.stdout + save.stderr).toBe(0);
    expect(save.stderr).toContain("gen-circle: warning: could not save the cache archive");
    expect(readdirSync(join(p.state, "cache/app"))).toEqual([".filler"]);
    // The tests still run, and a later job (a new machine) finds nothing to trust: a miss.
    expect(p.script("test.sh", ["run", "app"]).status).toBe(0);
    p.freshEngine();
    const again = p.script("image.sh", ["ready", "app"]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("cache miss");
    record({
      fault: "save: the cache folder's disk is full",
      outcome: "green",
      said: said(save.stderr),
      refused: 0,
      retried: 0,
      lost: "the archive (not saved: the next job rebuilds)",
    });
  });

  it.runIf(root || !!process.env.CI)("the build log's disk is full: the build's own status decides, with a warning", () => {
    fullDisk(join(p.state, "build"));
    const r = p.script("image.sh", ["ready", "app"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("could not write the build log");
    expect(existsSync(join(p.state, "build"))).toBe(true);
    record({
      fault: "build: the build log's disk is full",
      outcome: "green",
      said: said(r.stderr),
      refused: 0,
      retried: 0,
      lost: "the cache-use check of that build",
    });
  });
});

describe("rate limits up front: pulls logged in (registries.NAME.pull)", () => {
  // The registry with login at 127.0.0.1:5001 refuses anonymous pulls, as a rate limit would.
  let p: Project;
  let serviceImage: string;
  beforeAll(() => {
    p = new Project({ name: "pulllogin", env: { REG_USER: "ci", REG_PASS: AUTH_PASSWORD } });
    serviceImage = `127.0.0.1:5001/${p.image.replace(/^localhost:5000\//, "").replace(/\/app$/, "")}/httpd:1`;
    const login = spawnSync(DOCKER, ["login", "-u", "ci", "--password-stdin", "127.0.0.1:5001"], { input: AUTH_PASSWORD });
    expect(login.status, String(login.stderr)).toBe(0);
    expect(docker("tag", "gen-circle-test/httpd:latest", serviceImage).status).toBe(0);
    expect(docker("push", "-q", serviceImage).status).toBe(0);
    docker("rmi", serviceImage);
    docker("logout", "127.0.0.1:5001");
  });
  afterAll(() => {
    docker("rmi", "-f", serviceImage);
    docker("logout", "127.0.0.1:5001");
    p.cleanup();
  });
  const spec = (pull: boolean) => ({
    version: 1,
    registries: { private: { url: "127.0.0.1:5001", login: { username: "REG_USER", password: "REG_PASS" }, pull } },
    image: { name: p.image, hash: ["Dockerfile", "requirements.txt"], build_args: { INSTALL_SECONDS: "1" } },
    services: { kv: { image: serviceImage, ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello" } },
    test: { command: "true" },
  });

  it("without pull: true the service's pull is refused; with it the scripts log in first and the tests run", () => {
    expect(p.script("image.sh", ["ready", "app"]).status).toBe(0);
    p.writeSpec(spec(false));
    const anonymous = p.script("test.sh", ["run", "app"], FAST);
    expect(anonymous.status).not.toBe(0);
    expect(anonymous.stderr).toMatch(/no basic auth credentials|unauthorized|denied/i);
    expect(retries(anonymous.stderr)).toBe(0);
    p.writeSpec(spec(true));
    const r = p.script("test.sh", ["run", "app"], FAST);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(AUTH_PASSWORD);
    record({
      fault: "a registry that refuses anonymous pulls (pull: true)",
      outcome: "green",
      said: said(r.stderr),
      refused: 0,
      retried: 0,
      lost: "nothing",
    });
  });
});
