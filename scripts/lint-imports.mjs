// The core is pure: only src/cli touches the disk, the process and the console, and nothing
// imports src/cli. Fails with the offending file and line.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const problems = [];
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "generated" ? [] : walk(join(dir, e.name))) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
for (const file of walk(join(root, "src"))) {
  const rel = relative(root, file);
  if (rel.startsWith("src/cli/")) continue;
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (/from ["'](\.\.?\/)+cli\//.test(line)) problems.push(`${rel}:${i + 1}: imports src/cli`);
      if (/from ["']node:(fs|child_process|process)["']|\bprocess\.|\bconsole\./.test(line))
        problems.push(`${rel}:${i + 1}: the core must not touch the disk, the process or the console`);
    });
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("lint: the core is pure");
