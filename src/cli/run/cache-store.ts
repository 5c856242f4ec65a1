import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { StoredCache } from "../../run/keys.js";

/**
 * CircleCI's cache on a local folder: one entry per key (never overwritten), each holding the
 * saved paths by their names in the config, so another job restores them where it wants them.
 */
interface Meta extends StoredCache {
  paths: string[];
  bytes: number;
}

export class CacheStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private entryDir(key: string) {
    return join(this.dir, createHash("sha256").update(key).digest("hex").slice(0, 32));
  }

  list(): Meta[] {
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(this.dir, e.name, "meta.json")))
      .map((e) => JSON.parse(readFileSync(join(this.dir, e.name, "meta.json"), "utf8")) as Meta);
  }

  has(key: string): boolean {
    return existsSync(join(this.entryDir(key), "meta.json"));
  }

  /** Saves `paths` (config name → where it is in this job); false when the key exists already. */
  save(key: string, paths: { name: string; physical: string }[], now: number): { saved: boolean; bytes: number } {
    if (this.has(key)) return { saved: false, bytes: 0 };
    const final = this.entryDir(key);
    const tmp = `${final}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    let bytes = 0;
    const names: string[] = [];
    paths.forEach((p, i) => {
      if (!existsSync(p.physical)) return;
      cpSync(p.physical, join(tmp, String(i)), { recursive: true, verbatimSymlinks: true });
      bytes += sizeOf(join(tmp, String(i)));
      names[i] = p.name;
    });
    writeFileSync(join(tmp, "meta.json"), JSON.stringify({ key, created: now, paths: names, bytes } satisfies Meta));
    try {
      renameSync(tmp, final); // atomic: a killed save leaves only the .partial folder
    } catch (e) {
      // Another run saved this key meanwhile (two pipelines at once): CircleCI keeps the first.
      rmSync(tmp, { recursive: true, force: true });
      if (this.has(key)) return { saved: false, bytes: 0 };
      throw e;
    }
    return { saved: true, bytes };
  }

  /** Restores an entry, each path through `place` (config name → where it goes in this job). */
  restore(key: string, place: (name: string) => string): number {
    const dir = this.entryDir(key);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
    meta.paths.forEach((name, i) => {
      if (name === null || name === undefined) return;
      const target = place(name);
      mkdirSync(join(target, ".."), { recursive: true });
      cpSync(join(dir, String(i)), target, { recursive: true, force: true, verbatimSymlinks: true });
    });
    return meta.bytes;
  }
}

export function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, e) => n + sizeOf(join(path, e)), 0);
}

export function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
