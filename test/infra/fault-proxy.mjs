#!/usr/bin/env node
// fault-proxy: a small fault-injecting HTTP proxy for the tests, put in front of a real Docker
// registry (plain HTTP on loopback) so that a test can make the registry misbehave (an error
// status, a connection reset in the middle of an upload or a download, a stall) and count what
// happened. Node only, no dependencies. Started by a test as a process of its own:
//
//   node test/infra/fault-proxy.mjs --listen 127.0.0.1:0 --upstream 127.0.0.1:5000 --dir DIR \
//     [--max-seconds 600] [--max-requests 20000]
//
// - Once listening it writes DIR/port (the port alone, no newline; tmp file + rename): point
//   docker at 127.0.0.1:$(cat DIR/port).
// - DIR/rules.json (optional, re-read when it changes; write it with tmp file + rename) is an
//   array of rules, the first that matches and has uses left applies:
//     { "name": "push-503", "method": "PUT", "path": "regex on path+query", "after": 0, "times": 1,
//       "action": { "status": 503, "retryAfter": 2, "body": "..." }
//              | { "reset": true, "afterBytes": 0 }
//              | { "stallMs": 300 } }
//   Counts (after, times) are kept per rule name for the process's life, across rules.json
//   changes: a new name starts afresh. An invalid rules.json is answered 500 until it is fixed.
// - DIR/requests.jsonl gets one JSON line per request, written before the last byte of the answer
//   goes out: {"n","method","path","status","fault","action","ms","error"}.
// - Only loopback addresses, to listen on and to forward to. It exits (0) by itself after
//   --max-seconds or --max-requests, and on SIGTERM/SIGINT.
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { isIP } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

const USAGE = "usage: node fault-proxy.mjs --listen 127.0.0.1:0 --upstream 127.0.0.1:5000 --dir DIR [--max-seconds 600] [--max-requests 20000]";
const MAX_STALL_MS = 120_000;

function fail(msg) {
  process.stderr.write(`fault-proxy: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function isLoopback(host) {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/** "127.0.0.1:5000" or "[::1]:5000" → { host, port }. */
function hostPort(value, what) {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value ?? "");
  if (!m) fail(`--${what} must be HOST:PORT, got ${JSON.stringify(value)}`);
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) fail(`--${what}: bad port ${port}`);
  if (!isLoopback(host)) fail(`--${what} must be a loopback address (127.x.x.x, ::1 or localhost), got ${host}`);
  return { host, port };
}

const hostText = (host) => (host.includes(":") ? `[${host}]` : host);

function positive(value, what, dflt, integer) {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`--${what} must be a positive ${integer ? "integer" : "number"}`);
  return n;
}

let opts;
try {
  opts = parseArgs({
    options: {
      listen: { type: "string" },
      upstream: { type: "string" },
      dir: { type: "string" },
      "max-seconds": { type: "string" },
      "max-requests": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (e) {
  fail(e.message);
}
const listen = hostPort(opts.listen, "listen");
const upstream = hostPort(opts.upstream, "upstream");
if (!opts.dir) fail("--dir is required");
const DIR = opts.dir;
const maxSeconds = positive(opts["max-seconds"], "max-seconds", 600, false);
const maxRequests = positive(opts["max-requests"], "max-requests", 20000, true);
mkdirSync(DIR, { recursive: true });
const RULES = join(DIR, "rules.json");
const LOG = join(DIR, "requests.jsonl");
const upstreamHost = `${hostText(upstream.host)}:${upstream.port}`;

// ---- rules ----------------------------------------------------------------------------------

const RULE_KEYS = new Set(["name", "method", "path", "after", "times", "action"]);
const ACTION_KEYS = { status: new Set(["status", "retryAfter", "body"]), reset: new Set(["reset", "afterBytes"]), stall: new Set(["stallMs"]) };

const count = (v, what, max = Number.MAX_SAFE_INTEGER) => {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`${what} must be an integer from 0 to ${max}`);
  return v;
};

function compileRules(value) {
  if (!Array.isArray(value)) throw new Error("must be a JSON array of rules");
  const names = new Set();
  return value.map((r, i) => {
    const where = `rule ${i}`;
    if (!r || typeof r !== "object" || Array.isArray(r)) throw new Error(`${where}: must be an object`);
    for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new Error(`${where}: unknown key "${k}"`);
    const name = r.name ?? `rule-${i}`;
    if (typeof name !== "string" || !name) throw new Error(`${where}: name must be a non-empty string`);
    if (names.has(name)) throw new Error(`${where}: name "${name}" used twice`);
    names.add(name);
    if (r.method !== undefined && (typeof r.method !== "string" || !r.method)) throw new Error(`${where}: method must be a string`);
    if (r.path !== undefined && typeof r.path !== "string") throw new Error(`${where}: path must be a regex source string`);
    const a = r.action;
    if (!a || typeof a !== "object" || Array.isArray(a)) throw new Error(`${where}: action must be an object`);
    const kinds = ["status", "reset", "stallMs"].filter((k) => a[k] !== undefined);
    if (kinds.length !== 1) throw new Error(`${where}: action needs exactly one of status, reset, stallMs`);
    const kind = kinds[0] === "stallMs" ? "stall" : kinds[0];
    for (const k of Object.keys(a)) if (!ACTION_KEYS[kind].has(k)) throw new Error(`${where}: unknown key "${k}" in a ${kind} action`);
    const action = { kind };
    if (kind === "status") {
      action.status = count(a.status, `${where}: status`, 599);
      if (action.status < 200) throw new Error(`${where}: status must be from 200 to 599`);
      if (a.retryAfter !== undefined) action.retryAfter = count(a.retryAfter, `${where}: retryAfter`);
      if (a.body !== undefined && typeof a.body !== "string") throw new Error(`${where}: body must be a string`);
      action.body = a.body;
    } else if (kind === "reset") {
      if (a.reset !== true) throw new Error(`${where}: reset must be true`);
      action.afterBytes = count(a.afterBytes ?? 0, `${where}: afterBytes`);
    } else action.stallMs = count(a.stallMs, `${where}: stallMs`, MAX_STALL_MS);
    return {
      name,
      method: r.method?.toUpperCase(),
      path: r.path === undefined ? undefined : new RegExp(r.path),
      after: count(r.after ?? 0, `${where}: after`),
      times: r.times === undefined ? Infinity : count(r.times, `${where}: times`),
      action,
    };
  });
}

let rules = [];
let rulesKey = null; // inode:size:mtime of the rules.json that `rules` came from
let rulesError = null;
const seen = new Map(); // rule name → matching requests that reached it, for the process's life

/** Re-reads rules.json when it changed; sets rulesError while it is invalid. */
function loadRules() {
  let st;
  try {
    st = statSync(RULES);
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    rules = [];
    rulesKey = null;
    rulesError = null;
    return;
  }
  const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
  if (key === rulesKey) return;
  try {
    rules = compileRules(JSON.parse(readFileSync(RULES, "utf8")));
    rulesKey = key;
    rulesError = null;
  } catch (e) {
    const msg = `invalid ${RULES}: ${e.message}`;
    if (msg !== rulesError) process.stderr.write(`fault-proxy: ${msg}\n`);
    rulesError = msg;
    rulesKey = null; // read it again at the next request
  }
}

function pickRule(method, path) {
  for (const r of rules) {
    if (r.method && r.method !== method) continue;
    if (r.path && !r.path.test(path)) continue;
    const k = seen.get(r.name) ?? 0;
    seen.set(r.name, k + 1);
    if (k >= r.after && k - r.after < r.times) return r;
  }
  return null;
}

// ---- proxying -------------------------------------------------------------------------------

// Hop-by-hop headers (and Expect, which this proxy has answered itself) are not passed on.
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade", "expect"]);
const CODES = { 401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS" };
const agent = new http.Agent({ keepAlive: true });
let port = 0;
let seq = 0;
let shuttingDown = false;
const active = new Set();

/** The proxy's own host:port as the client named it (Host), else the listen address. */
function ownHost(req) {
  const h = req.headers.host;
  return h && h.endsWith(`:${port}`) ? h : `${hostText(listen.host)}:${port}`;
}

/** An absolute Location on the upstream (any loopback name, same port) → the same on the proxy. */
function rewriteLocation(loc, req) {
  const m = /^http:\/\/([^/?#]*)(.*)$/is.exec(loc);
  if (!m) return loc;
  const hp = /^(?:[^@]*@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(m[1]);
  if (!hp) return loc;
  const host = hp[1] ?? hp[2];
  const p = hp[3] === undefined ? 80 : Number(hp[3]);
  if (p !== upstream.port || !(isLoopback(host) || host.toLowerCase() === upstream.host.toLowerCase())) return loc;
  return `http://${ownHost(req)}${m[2]}`;
}

function resetClient(ctx) {
  if (ctx.reset) return;
  ctx.done = true;
  ctx.reset = true;
  ctx.log(null);
  ctx.up?.destroy();
  ctx.upRes?.destroy();
  const s = ctx.req.socket;
  if (typeof s.resetAndDestroy === "function" && s._handle) s.resetAndDestroy();
  else s.destroy();
}

function sendStatus(ctx, status, extra, body) {
  const { res } = ctx;
  const text = body ?? JSON.stringify({ errors: [{ code: CODES[status] ?? "UNAVAILABLE", message: "injected by fault-proxy" }] });
  res.writeHead(status, {
    "content-type": body === undefined ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "docker-distribution-api-version": "registry/2.0",
    ...extra,
  });
  ctx.done = true;
  ctx.log(status);
  res.end(text);
}

function forward(ctx, resetAfter) {
  const { req, res } = ctx;
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  headers.host = upstreamHost;
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  const resetUpload = resetAfter !== null && hasBody;
  const resetDownload = resetAfter !== null && !hasBody;
  const up = http.request({ host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers, agent });
  ctx.up = up;

  up.on("error", (e) => {
    if (ctx.done) return;
    ctx.error = `upstream: ${e.message}`;
    if (!res.headersSent) sendStatus(ctx, 502, {}, `fault-proxy: upstream ${upstreamHost}: ${e.message}\n`);
    else {
      ctx.done = true;
      ctx.log(res.statusCode);
      req.socket.destroy();
    }
  });

  // Request body: streamed up, or cut after resetAfter bytes (a body shorter than that is never
  // finished: the connection is reset where it ends).
  let bytesIn = 0;
  if (resetUpload && resetAfter === 0) {
    up.flushHeaders();
    return resetClient(ctx);
  }
  req.on("data", (chunk) => {
    if (ctx.done) return;
    if (resetUpload && bytesIn + chunk.length >= resetAfter) {
      up.write(chunk.subarray(0, resetAfter - bytesIn));
      bytesIn = resetAfter;
      return resetClient(ctx);
    }
    bytesIn += chunk.length;
    if (!up.write(chunk)) req.pause();
  });
  up.on("drain", () => req.resume());
  req.on("end", () => {
    if (ctx.done) return;
    if (resetUpload) return resetClient(ctx);
    up.end();
  });

  up.on("response", (ur) => {
    if (ctx.done) return void ur.resume();
    ctx.upRes = ur;
    const h = {};
    for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k) && k !== "transfer-encoding") h[k] = v;
    if (typeof h.location === "string") h.location = rewriteLocation(h.location, req);
    const noBody = req.method === "HEAD" || ur.statusCode === 204 || ur.statusCode === 304;
    const length = h["content-length"] === undefined ? null : Number(h["content-length"]);
    // A download reset that could only come after the whole body: reset before the headers, so
    // that the client never sees a complete answer.
    if (resetDownload && (noBody || (length !== null && length <= resetAfter))) return resetClient(ctx);
    res.writeHead(ur.statusCode, ur.statusMessage, h);
    let bytesOut = 0;
    ur.on("data", (chunk) => {
      if (ctx.done) return;
      if (resetDownload && bytesOut + chunk.length >= resetAfter) {
        const part = chunk.subarray(0, resetAfter - bytesOut);
        bytesOut = resetAfter;
        ctx.done = true;
        ur.pause();
        if (part.length) res.write(part, () => resetClient(ctx));
        else {
          res.flushHeaders();
          setImmediate(() => resetClient(ctx));
        }
        return;
      }
      bytesOut += chunk.length;
      if (length !== null && bytesOut >= length) ctx.log(res.statusCode); // before the last bytes go
      if (!res.write(chunk)) ur.pause();
    });
    res.on("drain", () => ur.resume());
    ur.on("end", () => {
      if (ctx.done) return;
      if (resetDownload) return resetClient(ctx);
      ctx.done = true;
      ctx.log(res.statusCode);
      res.end();
    });
    ur.on("error", () => {
      if (ctx.done) return;
      ctx.done = true;
      ctx.error = "upstream closed the connection mid-response";
      ctx.log(res.statusCode);
      req.socket.destroy();
    });
  });
}

function handle(req, res) {
  const n = ++seq;
  const t0 = performance.now();
  const ctx = { req, res, n, fault: null, action: null, error: null, logged: false, done: false, reset: false, up: null, upRes: null, timer: null };
  ctx.log = (status) => {
    if (ctx.logged) return;
    ctx.logged = true;
    const line = {
      n,
      method: req.method,
      path: req.url,
      status,
      fault: ctx.fault,
      action: ctx.action,
      ms: Math.round(performance.now() - t0),
      error: ctx.error,
    };
    appendFileSync(LOG, JSON.stringify(line) + "\n");
  };
  active.add(ctx);
  res.on("close", () => {
    if (!ctx.logged) {
      ctx.error ??= "client closed the connection before the answer was complete";
      ctx.log(res.headersSent && !ctx.reset ? res.statusCode : null);
    }
    ctx.done = true;
    clearTimeout(ctx.timer);
    ctx.up?.destroy();
    active.delete(ctx);
    maybeExit();
  });

  if (shuttingDown) {
    ctx.error = "fault-proxy is shutting down";
    return sendStatus(ctx, 503, { connection: "close" }, "fault-proxy is shutting down\n");
  }
  if (n >= maxRequests) shutdown(`--max-requests ${maxRequests} reached`, 5000);

  try {
    loadRules();
  } catch (e) {
    rulesError = `reading ${RULES}: ${e.message}`;
  }
  if (rulesError) {
    ctx.fault = "rules.json";
    ctx.action = "status";
    ctx.error = rulesError;
    return sendStatus(ctx, 500, {}, `fault-proxy: ${rulesError}\n`);
  }
  const rule = pickRule(req.method, req.url);
  if (!rule) return forward(ctx, null);
  ctx.fault = rule.name;
  const a = rule.action;
  if (a.kind === "status") {
    ctx.action = "status";
    const extra = {};
    if (a.retryAfter !== undefined) extra["retry-after"] = String(a.retryAfter);
    if (a.status === 401) extra["www-authenticate"] = 'Basic realm="fault-proxy"';
    return sendStatus(ctx, a.status, extra, a.body);
  }
  if (a.kind === "reset") {
    ctx.action = "reset";
    return forward(ctx, a.afterBytes);
  }
  ctx.action = "stall";
  ctx.timer = setTimeout(() => {
    if (!ctx.done) forward(ctx, null);
  }, a.stallMs);
}

// ---- life -----------------------------------------------------------------------------------

const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000 }, handle);
let maxTimer = null;

function finish() {
  for (const ctx of active) {
    ctx.error ??= "fault-proxy shut down";
    ctx.log(null);
  }
  server.closeAllConnections();
  agent.destroy();
  process.exit(0);
}

function maybeExit() {
  if (shuttingDown && active.size === 0) finish();
}

function shutdown(reason, graceMs) {
  if (shuttingDown) return finish(); // a second signal: now
  shuttingDown = true;
  process.stderr.write(`fault-proxy: ${reason}, closing\n`);
  clearTimeout(maxTimer);
  server.close();
  server.closeIdleConnections();
  setTimeout(finish, graceMs);
  setImmediate(maybeExit);
}

process.on("SIGTERM", () => shutdown("SIGTERM", 1000));
process.on("SIGINT", () => shutdown("SIGINT", 1000));
server.on("error", (e) => {
  process.stderr.write(`fault-proxy: ${e.message}\n`);
  process.exit(1);
});
server.listen(listen.port, listen.host, () => {
  port = server.address().port;
  const tmp = join(DIR, `.port.${process.pid}.tmp`);
  writeFileSync(tmp, String(port));
  renameSync(tmp, join(DIR, "port"));
  maxTimer = setTimeout(() => shutdown(`--max-seconds ${maxSeconds} reached`, 5000), maxSeconds * 1000);
  process.stdout.write(`fault-proxy: listening on http://${hostText(listen.host)}:${port}, forwarding to http://${upstreamHost}\n`);
});
