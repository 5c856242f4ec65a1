import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheStore } from "../../src/cli/run/cache-store.js";
import { tmpTree } from "../helpers.js";

// gen-circle run's CircleCI cache: one entry per key, never overwritten, written atomically.
describe("the local CircleCI cache", () => {
  const file = (dir: string, text: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a.txt"), text);
    return dir;
  };

  it("a key is saved once; a second save of it keeps the first", () => {
    const root = tmpTree();
    const store = new CacheStore(join(root, "cache"));
    expect(store.save("k", [{ name: "/tmp/x", physical: file(join(root, "one"), "first") }], 1).saved).toBe(true);
    expect(store.save("k", [{ name: "/tmp/x", physical: file(join(root, "two"), "second") }], 2).saved).toBe(false);
    store.restore("k", () => join(root, "out"));
    expect(readFileSync(join(root, "out/a.txt"), "utf8")).toBe("first");
  });

  it("two pipelines saving one key at once: the second finds the first's entry at its rename, keeps it, and leaves no partial folder", () => {
    const root = tmpTree();
    const dir = join(root, "cache");
    const first = new CacheStore(dir);
    // The second run looked before the first had saved (its has() said no), then the first saved.
    class Late extends CacheStore {
      private looked = false;
      override has(key: string): boolean {
        if (this.looked) return super.has(key);
        this.looked = true;
        first.save(key, [{ name: "/tmp/x", physical: file(join(root, "one"), "first") }], 1);
        return false;
      }
    }
    const second = new Late(dir);
    expect(second.save("k", [{ name: "/tmp/x", physical: file(join(root, "two"), "second") }], 2)).toEqual({ saved: false, bytes: 0 });
    expect(readdirSync(dir).filter((e) => e.includes(".partial"))).toEqual([]);
    second.restore("k", () => join(root, "out"));
    expect(readFileSync(join(root, "out/a.txt"), "utf8")).toBe("first");
  });
});
