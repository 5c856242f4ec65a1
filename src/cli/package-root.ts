import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The installed package: the folder of the package.json named gen-circle above this module (src/ or dist/). */
export function packageRoot(): { dir: string; version: string } | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "gen-circle") return { dir, version: pkg.version ?? "unknown" };
    }
    if (dirname(dir) === dir) return undefined;
  }
}
