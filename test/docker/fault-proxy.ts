import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT } from "../helpers.js";
import { ENGINE, TEST_STATE, TEST_TMP } from "./engine.js";

/** A rule of test/infra/fault-proxy.mjs (its header says what each field does). */
export interface FaultRule {
  name: string;
  method?: string;
  path?: string;
  after?: number;
  times?: number;
  action: { status: number; retryAfter?: number } | { reset: true; afterBytes?: number } | { stallMs: number };
}
interface Logged {
  n: number;
  method: string;
  path: string;
  status: number | null;
  fault: string | null;
  action: string | null;
}

/**
 * The fault-injecting proxy in front of a test registry, as a process of its own (the tests run
 * the scripts with spawnSync, which would block a proxy in this process).
 */
export class FaultProxy {
  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(upstream = "127.0.0.1:5000"): Promise<FaultProxy> {
    const dir = mkdtempSync(join(TEST_TMP, "gc-it-proxy-"));
    const child = spawn(process.execPath, [join(ROOT, "test/infra/fault-proxy.mjs"), "--listen", "127.0.0.1:0", "--upstream", upstream, "--dir", dir], {
      stdio: "ignore",
    });
    for (let i = 0; i < 200 && !existsSync(join(dir, "port")); i++) await sleep(25);
    if (!existsSync(join(dir, "port"))) throw new Error(`the fault proxy did not start (${dir})`);
    return new FaultProxy(dir, child, Number(readFileSync(join(dir, "port"), "utf8")));
  }

  /** host:port, for docker */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  rules(rules: FaultRule[]): void {
    writeFileSync(join(this.dir, "rules.tmp"), JSON.stringify(rules));
    renameSync(join(this.dir, "rules.tmp"), join(this.dir, "rules.json"));
  }

  requests(): Logged[] {
    const file = join(this.dir, "requests.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Logged);
  }

  /** How many requests the rule named so refused, reset or stalled. */
  faulted(name: string): number {
    return this.requests().filter((r) => r.fault === name).length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((done) => this.child.once("exit", done));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One row of the faults table (docs/faults.md, made by scripts/faults-table.mjs from these). */
export interface FaultRow {
  fault: string;
  outcome: "green" | "red";
  /** what the log said of it: the scripts' retries, or the message that failed the job */
  said: string;
  /** requests the proxy refused, reset or stalled */
  refused: number;
  /** the scripts' own retries (gen-circle: retry N/M) */
  retried: number;
  /** what was missing afterwards that should have been there (tags, cache files), or "nothing" */
  lost: string;
}

const rows: FaultRow[] = [];
export const record = (row: FaultRow): void => void rows.push(row);

/** Written when the file's tests end: $GEN_CIRCLE_TEST_STATE/faults/<engine>-<file>.json. */
export function writeRows(file: string): void {
  if (!rows.length) return;
  const dir = join(TEST_STATE, "faults");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${ENGINE}-${file}.json`), JSON.stringify({ engine: ENGINE, rows: rows.splice(0) }, null, 2) + "\n");
}

/**
 * What the scripts' log said of a fault, for the table: their retry, warning and error lines, with
 * hosts, repositories, hashes and times made generic (`<registry>/<repo>:<tag>`, `N s`).
 */
export function said(log: string): string {
  const lines = log
    .split("\n")
    .filter((l) => /^gen-circle: (retry \d|warning: |error: )/.test(l) || /unauthorized/i.test(l))
    .map((l) =>
      l
        .replace(/^gen-circle: /, "")
        .replace(/after [\d.]+ s/, "after N s")
        .replace(/https?:\/\//g, "")
        .replace(/(127\.0\.0\.1|localhost):\d+(\/[\w.-]+(\/[\w.-]+)*)?/g, (_m, _h, path) =>
          path && path !== "/v2/" && path !== "/v2" ? "<registry>/<repo>" : "<registry>",
        )
        .replace(/\b[0-9a-f]{40}\b/g, "<sha>")
        .replace(/cache-[0-9a-f]{16}\b/g, "cache-<hash>")
        .replace(/\/var\/tmp\/[\w./-]+/g, "<state>"),
    );
  return lines.length ? [...new Set(lines)].join("; ") : "nothing";
}

/** The scripts' retries in a log. */
export const retries = (log: string): number => log.split("\n").filter((l) => /^gen-circle: retry \d+\/\d+ after /.test(l)).length;

/** The tags of a repository on the test registry at 127.0.0.1:5000 (path without host). */
export async function registryTags(path: string, host = "127.0.0.1:5000"): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${path}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}
