import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

// test/infra/fault-proxy.mjs (the fault-injecting proxy that the Docker tests put in front of a
// registry), here in front of a stand-in registry of this test's own. The proxy is a child
// process: everything here is async (spawn, fetch), so that this process's stand-in answers.
const PROXY = join(ROOT, "test/infra/fault-proxy.mjs");
const BLOB = Buffer.alloc(1024 * 1024, "0123456789abcdef");
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json" });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  bytes: number;
}
interface Proxy {
  dir: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}
interface Entry {
  n: number;
  method: string;
  path: string;
  status: number | null;
  fault: string | null;
  action: string | null;
  ms: number;
  error: string | null;
}

let upstream: Server;
let upPort: number;
const seen: Seen[] = []; // requests the stand-in registry saw to their end
const proxies: Proxy[] = [];

// A tiny registry: the calls of a docker push and pull, answered with fixed content.
function registry(req: IncomingMessage, body: Buffer): { status: number; headers?: Record<string, string>; body?: Buffer | string } {
  const { method, url = "" } = req;
  if (url === "/v2/") return { status: 200, headers: { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" }, body: "{}" };
  if (url === "/v2/x/manifests/latest" && (method === "GET" || method === "HEAD"))
    return {
      status: 200,
      headers: { "content-type": "application/vnd.docker.distribution.manifest.v2+json", "docker-content-digest": "sha256:m" },
      body: MANIFEST,
    };
  if (url === "/v2/x/blobs/uploads/" && method === "POST")
    return { status: 202, headers: { location: `http://127.0.0.1:${upPort}/v2/x/blobs/uploads/abc?_state=a%3Db`, "docker-upload-uuid": "abc" } };
  if (url.startsWith("/v2/x/blobs/uploads/abc") && method === "PATCH") return { status: 202, headers: { range: `0-${body.length - 1}` } };
  if (url.startsWith("/v2/x/blobs/uploads/abc") && method === "PUT") return { status: 201, headers: { "docker-content-digest": "sha256:b" } };
  if (url.startsWith("/v2/x/blobs/sha256:") && method === "GET") return { status: 200, headers: { "content-type": "application/octet-stream" }, body: BLOB };
  return { status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN"}]}' };
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, bytes: body.length });
      const a = registry(req, body);
      // Content-Length as a registry sends it, for HEAD too (with no body).
      res.writeHead(a.status, { "content-length": String(Buffer.byteLength(a.body ?? "")), ...a.headers });
      res.end(req.method === "HEAD" ? undefined : a.body);
    });
  });
  await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
  upPort = (upstream.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const p of proxies) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
    await Promise.race([p.exited, sleep(5000)]);
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    rmSync(p.dir, { recursive: true, force: true });
  }
  upstream.closeAllConnections();
  await new Promise((done) => upstream.close(done));
});

/** A proxy of its own (fresh DIR) in front of the stand-in; `rules` written before it starts. */
async function startProxy(rules?: unknown[], extra: string[] = []): Promise<Proxy> {
  const dir = mkdtempSync("/var/tmp/gc-fault-proxy-");
  if (rules) writeRules(dir, rules);
  const args = [PROXY, "--listen", "127.0.0.1:0", "--upstream", `127.0.0.1:${upPort}`, "--dir", dir, "--max-seconds", "120", ...extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c));
  child.stderr.on("data", (c: Buffer) => (out += c));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const p: Proxy = { dir, url: "", child, exited, output: () => out };
  proxies.push(p);
  for (let i = 0; !existsSync(join(dir, "port")); i++) {
    if (child.exitCode !== null || i > 500) throw new Error(`fault-proxy did not start:\n${out}`);
    await sleep(20);
  }
  p.url = `http://127.0.0.1:${readFileSync(join(dir, "port"), "utf8")}`;
  return p;
}

function writeRules(dir: string, rules: unknown[]): void {
  writeFileSync(join(dir, "rules.tmp"), JSON.stringify(rules));
  renameSync(join(dir, "rules.tmp"), join(dir, "rules.json"));
}

const entries = (p: Proxy): Entry[] =>
  readFileSync(join(p.dir, "requests.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Entry);

const pick = (es: Entry[], ...keys: (keyof Entry)[]) => es.map((e) => Object.fromEntries(keys.map((k) => [k, e[k]])));

/** Reads a body to its end; how many bytes came, and the error that ended it, if any. */
async function drain(r: Response): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  try {
    const reader = r.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, error: null };
      bytes += value.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

describe("fault-proxy", () => {
  it("forwards untouched without rules (status, body, headers; Host set to the upstream) and logs each request", async () => {
    const p = await startProxy();
    const ping = await fetch(`${p.url}/v2/`, { headers: { "x-test": "kept", authorization: "Basic dTpw" } });
    expect([ping.status, ping.headers.get("docker-distribution-api-version"), await ping.text()]).toEqual([200, "registry/2.0", "{}"]);
    const last = seen.at(-1)!;
    expect([last.headers.host, last.headers["x-test"], last.headers.authorization]).toEqual([`127.0.0.1:${upPort}`, "kept", "Basic dTpw"]);

    const m = await fetch(`${p.url}/v2/x/manifests/latest`);
    expect([m.status, m.headers.get("content-type"), m.headers.get("docker-content-digest"), await m.text()]).toEqual([
      200,
      "application/vnd.docker.distribution.manifest.v2+json",
      "sha256:m",
      MANIFEST,
    ]);
    const head = await fetch(`${p.url}/v2/x/manifests/latest`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, String(Buffer.byteLength(MANIFEST))]);
    const blob = await fetch(`${p.url}/v2/x/blobs/sha256:b`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(BLOB)).toBe(true);
    const missing = await fetch(`${p.url}/v2/nothing?q=1`);
    expect(missing.status).toBe(404);
    await missing.text();

    const es = entries(p);
    expect(pick(es, "n", "method", "path", "status", "fault", "action", "error")).toEqual([
      { n: 1, method: "GET", path: "/v2/", status: 200, fault: null, action: null, error: null },
      { n: 2, method: "GET", path: "/v2/x/manifests/latest", status: 200, fault: null, action: null, error: null },
      { n: 3, method: "HEAD", path: "/v2/x/manifests/latest", status: 200, fault: null, action: null, error: null },
      { n: 4, method: "GET", path: "/v2/x/blobs/sha256:b", status: 200, fault: null, action: null, error: null },
      { n: 5, method: "GET", path: "/v2/nothing?q=1", status: 404, fault: null, action: null, error: null },
    ]);
    for (const e of es) expect(e.ms).toBeGreaterThanOrEqual(0);
  });

  it("answers 429 with Retry-After and a registry error `times` times, then passes through", async () => {
    const p = await startProxy([{ name: "rate", method: "GET", path: "^/v2/x/manifests/", times: 2, action: { status: 429, retryAfter: 2 } }]);
    const before = seen.length;
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${p.url}/v2/x/manifests/latest`);
      expect([r.status, r.headers.get("retry-after"), await r.json()]).toEqual([
        429,
        "2",
        { errors: [{ code: "TOOMANYREQUESTS", message: "injected by fault-proxy" }] },
      ]);
    }
    expect(seen.length).toBe(before); // not forwarded
    const ok = await fetch(`${p.url}/v2/x/manifests/latest`);
    expect([ok.status, await ok.text()]).toEqual([200, MANIFEST]);
    expect(pick(entries(p), "status", "fault", "action")).toEqual([
      { status: 429, fault: "rate", action: "status" },
      { status: 429, fault: "rate", action: "status" },
      { status: 200, fault: null, action: null },
    ]);
  });

  it("`after` lets the first matching requests pass; `method` and `path` choose which count", async () => {
    const p = await startProxy([{ name: "second-ping", method: "GET", path: "^/v2/$", after: 1, action: { status: 503 } }]);
    const statuses = [];
    for (const [method, path] of [
      ["GET", "/v2/"],
      ["HEAD", "/v2/"],
      ["GET", "/v2/x/manifests/latest"],
      ["GET", "/v2/"],
      ["GET", "/v2/"],
    ]) {
      const r = await fetch(`${p.url}${path}`, { method });
      statuses.push(r.status);
      if (r.status === 503) expect(await r.json()).toEqual({ errors: [{ code: "UNAVAILABLE", message: "injected by fault-proxy" }] });
      else await r.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 503, 503]);
    expect(entries(p).map((e) => e.fault)).toEqual([null, null, null, "second-ping", "second-ping"]);
  });

  it("401 comes with WWW-Authenticate; a custom body replaces the registry error", async () => {
    const p = await startProxy([
      { name: "login", path: "^/v2/$", times: 1, action: { status: 401 } },
      { name: "teapot", path: "^/v2/$", times: 1, action: { status: 418, body: "no" } },
    ]);
    const r = await fetch(`${p.url}/v2/`);
    expect([r.status, r.headers.get("www-authenticate"), await r.json()]).toEqual([
      401,
      'Basic realm="fault-proxy"',
      { errors: [{ code: "UNAUTHORIZED", message: "injected by fault-proxy" }] },
    ]);
    const t = await fetch(`${p.url}/v2/`);
    expect([t.status, t.headers.get("www-authenticate"), await t.text()]).toEqual([418, null, "no"]);
    expect(pick(entries(p), "status", "fault")).toEqual([
      { status: 401, fault: "login" },
      { status: 418, fault: "teapot" },
    ]);
  });

  it("resets the connection during a download after afterBytes of the body", async () => {
    const p = await startProxy([{ name: "pull-reset", method: "GET", path: "/blobs/sha256:", times: 1, action: { reset: true, afterBytes: 1000 } }]);
    const got = await fetch(`${p.url}/v2/x/blobs/sha256:b`).then(drain, (error: unknown) => ({ bytes: 0, error }));
    expect(got.error).toBeTruthy();
    expect(got.bytes).toBeLessThanOrEqual(1000);
    // The rule is used up: the next pull gets it all.
    const again = await fetch(`${p.url}/v2/x/blobs/sha256:b`);
    expect((await again.arrayBuffer()).byteLength).toBe(BLOB.length);
    expect(pick(entries(p), "method", "status", "fault", "action")).toEqual([
      { method: "GET", status: null, fault: "pull-reset", action: "reset" },
      { method: "GET", status: 200, fault: null, action: null },
    ]);
  });

  it("resets an answer with no more than afterBytes of body before its headers (a HEAD)", async () => {
    const p = await startProxy([{ name: "head-reset", method: "HEAD", action: { reset: true } }]);
    await expect(fetch(`${p.url}/v2/x/manifests/latest`, { method: "HEAD" })).rejects.toThrow();
    expect(pick(entries(p), "status", "fault", "action")).toEqual([{ status: null, fault: "head-reset", action: "reset" }]);
  });

  it("resets the connection during an upload after afterBytes of the request body; the upstream never gets it whole", async () => {
    const p = await startProxy([{ name: "push-reset", method: "PATCH", action: { reset: true, afterBytes: 10_000 } }]);
    const before = seen.length;
    await expect(fetch(`${p.url}/v2/x/blobs/uploads/abc`, { method: "PATCH", body: Buffer.alloc(100 * 1024, 7) })).rejects.toThrow();
    await sleep(100);
    expect(seen.slice(before).filter((s) => s.method === "PATCH")).toEqual([]);
    expect(pick(entries(p), "method", "status", "fault", "action")).toEqual([{ method: "PATCH", status: null, fault: "push-reset", action: "reset" }]);
  });

  it("rewrites a Location on the upstream to the proxy, so that a chunked upload comes back through it", async () => {
    const p = await startProxy();
    const start = await fetch(`${p.url}/v2/x/blobs/uploads/`, { method: "POST" });
    const location = start.headers.get("location")!;
    expect([start.status, location]).toEqual([202, `${p.url}/v2/x/blobs/uploads/abc?_state=a%3Db`]);
    const patch = await fetch(location, { method: "PATCH", body: Buffer.alloc(50_000, 1) });
    expect([patch.status, patch.headers.get("range")]).toEqual([202, "0-49999"]);
    const put = await fetch(`${location}&digest=sha256:b`, { method: "PUT" });
    expect(put.status).toBe(201);
    expect(seen.slice(-2).map((s) => [s.method, s.bytes])).toEqual([
      ["PATCH", 50_000],
      ["PUT", 0],
    ]);
    expect(entries(p).map((e) => [e.method, e.status])).toEqual([
      ["POST", 202],
      ["PATCH", 202],
      ["PUT", 201],
    ]);
  });

  it("stalls a request stallMs before forwarding it", async () => {
    const p = await startProxy([{ name: "slow", path: "^/v2/$", times: 1, action: { stallMs: 300 } }]);
    const t0 = performance.now();
    const r = await fetch(`${p.url}/v2/`);
    expect([r.status, await r.text()]).toEqual([200, "{}"]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
    const t1 = performance.now();
    await (await fetch(`${p.url}/v2/`)).text();
    expect(performance.now() - t1).toBeLessThan(300);
    const es = entries(p);
    expect(pick(es, "status", "fault", "action")).toEqual([
      { status: 200, fault: "slow", action: "stall" },
      { status: 200, fault: null, action: null },
    ]);
    expect(es[0].ms).toBeGreaterThanOrEqual(295);
  });

  it("takes rules.json as it is at each request; an invalid one is answered 500", async () => {
    const p = await startProxy([{ name: "down", path: "^/v2/$", action: { status: 503 } }]);
    const status = async () => {
      const r = await fetch(`${p.url}/v2/`);
      await r.arrayBuffer();
      return r.status;
    };
    expect(await status()).toBe(503);
    writeRules(p.dir, []);
    expect(await status()).toBe(200);
    writeRules(p.dir, [{ name: "forbidden", path: "^/v2/$", action: { status: 403 } }]);
    expect(await status()).toBe(403);
    writeRules(p.dir, [{ name: "typo", action: { status: 500, retryafter: 1 } }]);
    const bad = await fetch(`${p.url}/v2/`);
    expect([bad.status, await bad.text()]).toEqual([500, expect.stringContaining('unknown key "retryafter"')]);
    rmSync(join(p.dir, "rules.json"));
    expect(await status()).toBe(200);
    expect(pick(entries(p), "status", "fault")).toEqual([
      { status: 503, fault: "down" },
      { status: 200, fault: null },
      { status: 403, fault: "forbidden" },
      { status: 500, fault: "rules.json" },
      { status: 200, fault: null },
    ]);
  });

  it("exits by itself after --max-requests", async () => {
    const p = await startProxy([], ["--max-requests", "3"]);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${p.url}/v2/`);
      expect([r.status, await r.text()]).toEqual([200, "{}"]);
    }
    const code = await Promise.race([p.exited, sleep(10_000).then(() => "still running")]);
    expect(code, p.output()).toBe(0);
    expect(entries(p).map((e) => e.n)).toEqual([1, 2, 3]);
    expect(p.output()).toContain("--max-requests 3 reached");
  });

  it("exits on SIGTERM, and refuses a listen address off loopback", async () => {
    const p = await startProxy();
    p.child.kill("SIGTERM");
    expect(await Promise.race([p.exited, sleep(10_000).then(() => "still running")])).toBe(0);
    const dir = mkdtempSync("/var/tmp/gc-fault-proxy-");
    try {
      const child = spawn(process.execPath, [PROXY, "--listen", "0.0.0.0:0", "--upstream", "127.0.0.1:5000", "--dir", dir], { stdio: "ignore" });
      expect(await new Promise((done) => child.on("exit", done))).toBe(2);
      expect(existsSync(join(dir, "port"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
