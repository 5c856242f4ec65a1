// No function the next engineer must scroll: every function in src/ (a declaration, a method, an
// arrow or function expression) is at most MAX lines, counted from its first line to its last.
// Parsed with prettier's TypeScript parser (already a dependency): no brace counting.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import * as prettier from "prettier";

const MAX = 80;
const root = new URL("..", import.meta.url).pathname;
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "src/*.ts"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && !f.includes("/generated/"));
const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "TSDeclareFunction"]);
const long = [];

function walk(node, file, name) {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((n) => walk(n, file, name));
  if (typeof node.type !== "string") return;
  const here =
    node.id?.name ??
    (node.type === "VariableDeclarator" || node.type === "MethodDefinition" || node.type === "Property" ? (node.id ?? node.key)?.name : undefined) ??
    name;
  if (FUNCTIONS.has(node.type) && node.loc) {
    const lines = node.loc.end.line - node.loc.start.line + 1;
    if (lines > MAX) long.push(`${file}:${node.loc.start.line} ${here ?? "(anonymous)"}: ${lines} lines`);
  }
  for (const [k, v] of Object.entries(node)) if (k !== "loc" && k !== "range" && k !== "parent") walk(v, file, here);
}

for (const file of files) {
  const ast = await prettier.__debug.parse(readFileSync(`${root}/${file}`, "utf8"), { parser: "typescript" });
  walk(ast.ast, file);
}
if (long.length) {
  console.error(`lint-size: functions over ${MAX} lines (split them along their sections):\n  ${long.join("\n  ")}`);
  process.exit(1);
}
console.log(`lint-size: ${files.length} files, no function over ${MAX} lines`);
