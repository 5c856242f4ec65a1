// Build: precompile what the hot path must not compile at run time (the spec schema with ajv's
// standalone code, the script templates with Handlebars.precompile), then bundle the CLI and the
// library with esbuild (one file each: fewer module loads, a fast cold start), then declarations.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { buildInputsHash } from "./build-inputs.mjs";
import { codegen } from "./codegen.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const write = (rel, text) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

// 1-2. The generated modules (scripts/codegen.mjs).
await codegen();

if (process.argv.includes("--codegen-only")) process.exit(0);

// 3. Bundles (from a clean dist: stale chunks would ship in the package).
rmSync(join(root, "dist"), { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  legalComments: "none",
  banner: { js: "import { createRequire as __gcCreateRequire } from 'node:module'; const require = __gcCreateRequire(import.meta.url);" },
};
await esbuild.build({
  ...common,
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  absWorkingDir: root,
});
await esbuild.build({ ...common, entryPoints: { "src/index": "src/index.ts" }, outdir: "dist", absWorkingDir: root });

// 4. Type declarations of the library.
if (!process.argv.includes("--no-dts")) {
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", root, "--emitDeclarationOnly", "--declaration", "--outDir", join(root, "dist")],
    { stdio: "inherit" },
  );
}

// 5. The stamp the tests compare with their inputs (scripts/build-inputs.mjs).
write("dist/.inputs", buildInputsHash() + "\n");
