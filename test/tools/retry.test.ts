import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderPartial } from "../../src/emit/scripts.js";
import { run } from "../helpers.js";

// The scripts' retry (the `retry` partial of lib.sh): what a docker command's failure is worth
// trying again, how often, and what the log says. A stand-in command fails as docker does, as
// many times as a counter file says.
const dir = mkdtempSync("/var/tmp/gc-retry-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, "lib.sh"),
  `gc_log() { printf 'gen-circle: %s\\n' "$*" >&2; }\ngc_warn() { printf 'gen-circle: warning: %s\\n' "$*" >&2; }\ngc_die() { printf 'gen-circle: error: %s\\n' "$*" >&2; exit 1; }\n${renderPartial("retry")}`,
);
// flaky FAILS MESSAGE: fails FAILS times writing MESSAGE to stderr, then prints "done".
writeFileSync(
  join(dir, "flaky.sh"),
  'n=$(cat "$COUNTER" 2>/dev/null || echo 0); echo $((n + 1)) >"$COUNTER"\nif [ "$n" -lt "$1" ]; then printf "%s\\n" "$2" >&2; exit 1; fi\necho done\n',
);

const retry = (fails: number, message: string, env: Record<string, string> = {}) => {
  const counter = join(dir, `count-${Math.random().toString(36).slice(2)}`);
  const r = run("bash", ["-c", `. "${join(dir, "lib.sh")}"; gc_retry "push acme/app:ab12" bash "${join(dir, "flaky.sh")}" "$@"`, "_", String(fails), message], {
    env: { PATH: process.env.PATH, GC_STATE: join(dir, "state"), GEN_CIRCLE_RETRY_MS: "10", COUNTER: counter, ...env },
  });
  const attempts = Number(run("cat", [counter]).stdout.trim());
  return { ...r, attempts, retries: r.stderr.split("\n").filter((l) => l.startsWith("gen-circle: retry ")) };
};

describe("gc_retry: transient failures are tried again, refusals fail at once", () => {
  it.each([
    ["a registry's 503", "received unexpected HTTP status: 503 Service Unavailable", "503"],
    ["a bad gateway", "error parsing HTTP 502 response body: 502 Bad Gateway", "502"],
    ["Docker Hub's rate limit", "toomanyrequests: You have reached your pull rate limit.", "429"],
    ["a reset connection", "read tcp 127.0.0.1:5000: read: connection reset by peer", "connection lost"],
    ["an EOF in a blob upload", 'Patch "http://127.0.0.1:5000/v2/x/blobs/uploads/abc": EOF', "connection lost"],
    [
      "a reset the containerd store reports as a closed connection",
      'failed to copy: failed to do request: Put "http://127.0.0.1:5000/v2/x/blobs/uploads/abc": readfrom tcp 127.0.0.1:55792->127.0.0.1:5000: write tcp 127.0.0.1:55792->127.0.0.1:5000: use of closed network connection',
      "connection lost",
    ],
    ["a timeout", "net/http: TLS handshake timeout", "timed out"],
  ])("%s: tried again, each retry in the log, then green", (_, message, reason) => {
    const r = retry(2, message);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("done\n");
    expect(r.attempts).toBe(3);
    expect(r.retries).toHaveLength(2);
    expect(r.retries[0]).toMatch(new RegExp(`^gen-circle: retry 1/4 after \\d+\\.\\d s: push acme/app:ab12: ${reason}$`));
    expect(r.retries[1]).toMatch(/^gen-circle: retry 2\/4 after /);
  });

  it.each([
    [
      "a 401 that came with a closed connection (the containerd store's client)",
      "unexpected status from PUT request to http://127.0.0.1:5000/v2/x/manifests/latest: 401\nwrite tcp 127.0.0.1:1->127.0.0.1:5000: use of closed network connection",
    ],
    ["a refused login", "unauthorized: incorrect username or password"],
    ["a denied push", "denied: requested access to the resource is denied"],
    ["a missing tag", "manifest unknown: manifest unknown"],
    ["a missing repository", "Error response from daemon: pull access denied for acme/nope, repository does not exist"],
    ["an unknown failure", "no space left on device"],
  ])("%s: no retry, the command's own message, its status", (_, message) => {
    const r = retry(5, message);
    expect(r.status).toBe(1);
    expect(r.attempts).toBe(1);
    expect(r.retries).toEqual([]);
    expect(r.stderr).toContain(message);
  });

  it("bounded: GEN_CIRCLE_RETRIES retries, then the last message and a warning", () => {
    const r = retry(10, "503 Service Unavailable", { GEN_CIRCLE_RETRIES: "2" });
    expect(r.status).toBe(1);
    expect(r.attempts).toBe(3);
    expect(r.retries.map((l) => l.slice(0, "gen-circle: retry 1/2".length))).toEqual(["gen-circle: retry 1/2", "gen-circle: retry 2/2"]);
    expect(r.stderr).toContain("gen-circle: warning: push acme/app:ab12: still failing after 2 retries");
  });

  it("the backoff doubles, with jitter within half of it; a rate limit waits four times as long", () => {
    const seconds = (l: string) => Number(/after ([\d.]+) s/.exec(l)![1]);
    // 0.4 s, 0.8 s, 1.6 s, each 50-100 % of it (the log rounds to the tenth)
    const plain = retry(3, "503 Service Unavailable", { GEN_CIRCLE_RETRY_MS: "400", GEN_CIRCLE_RETRIES: "3" });
    expect(plain.status).toBe(0);
    const waits = plain.retries.map(seconds);
    [0.4, 0.8, 1.6].forEach((full, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(full / 2 - 0.1);
      expect(waits[i]).toBeLessThanOrEqual(full + 0.1);
    });
    const limited = retry(1, "toomanyrequests: rate limit", { GEN_CIRCLE_RETRY_MS: "400" });
    expect(seconds(limited.retries[0]!)).toBeGreaterThanOrEqual(0.7);
    expect(seconds(limited.retries[0]!)).toBeLessThanOrEqual(1.7);
  });

  it("a setting that is not a whole number is an error naming it, before anything runs", () => {
    for (const [env, says] of [
      [{ GEN_CIRCLE_RETRIES: "many" }, "GEN_CIRCLE_RETRIES must be a whole number of retries, got 'many'"],
      [{ GEN_CIRCLE_RETRY_MS: "1.5" }, "GEN_CIRCLE_RETRY_MS must be a whole number of milliseconds above 0, got '1.5'"],
      [{ GEN_CIRCLE_RETRY_MS: "0" }, "GEN_CIRCLE_RETRY_MS must be a whole number of milliseconds above 0, got '0'"],
    ] as const) {
      const r = retry(0, "", env);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`gen-circle: error: ${says}\n`);
      expect(r.attempts).toBe(0);
    }
  });
});
