// Conformance of `gen-circle init` over real public repositories. The repositories are not part of
// the project (their code stays out of our commits): the script reads them from a folder given on
// the command line, DIR, which holds one folder per repository of scripts/init-samples.json,
// named after its `repo` field with the slash made a plus (docker/awesome-compose →
// DIR/docker+awesome-compose), holding `repo`: a git repository (a clone, bare or not) that has
// the sample's `commit`. Samples that name a `folder` are that folder of the repository (several
// samples share one clone). What a correct spec holds for each sample was judged by reading its
// Dockerfile and compose file, and is recorded in scripts/init-samples.json with the repository's
// licence. For each sample the script exports the commit's tree (the sample's folder only) with
// `git ls-tree` and `git cat-file` (a blob the clone lacks is left out), runs `gen-circle init` and `generate` (the built CLI: `npm run build` first), and
// compares the spec with the record: build inputs (images paired by Dockerfile and target, in any
// order; dockerfile, context, target or one of its target_alternatives (none and the last stage's
// name are the same build), build args less
// those equal to their ARG's default, hash), services
// (names, or one of the services_alternatives the judgement also accepts; no unresolved compose
// variable) and the test command (null when the project has no tests).
// A sample whose repository is not in DIR is listed as "not here" and not counted.
// Prints a table and the count of specs correct with no edits. Exit 1 when a sample misses that
// the record does not mark as a known miss (a regression), or on a crash; exit 2 without DIR.
// Usage: npm run conformance:init -- DIR [--samples FILE] [--record] [--diff]   (--samples: another
// record of the same format, e.g. a set of repositories kept outside the project; --record prints
// what init wrote, as JSON)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const record = args.includes("--record");
const diff = args.includes("--diff");
const samplesAt = args.indexOf("--samples");
const samplesFile = samplesAt === -1 ? join(root, "scripts/init-samples.json") : args[samplesAt + 1];
const mirror = args.find((a, i) => !a.startsWith("--") && (samplesAt === -1 || i !== samplesAt + 1));
const usage =
  "usage: npm run conformance:init -- DIR [--samples FILE] [--record] [--diff]   (DIR: one folder per repository, DIR/<owner>+<name>/repo, a git clone)";
if (!mirror) {
  console.error(usage);
  process.exit(2);
}
if (!samplesFile || !existsSync(samplesFile)) {
  console.error(`conformance:init: no samples file ${samplesFile ?? "after --samples"}\n${usage}`);
  process.exit(2);
}
if (!existsSync(mirror)) {
  console.error(`conformance:init: no folder ${mirror}\n${usage}`);
  process.exit(2);
}
const samples = JSON.parse(readFileSync(samplesFile, "utf8")).samples;
const cli = join(root, "bin/gen-circle.js");

function observe(sample) {
  const git = join(mirror, sample.repo.replace("/", "+"), "repo");
  if (!existsSync(git)) return { missing: `no git repository at ${git} (a clone of ${sample.repo} with commit ${sample.commit ?? "HEAD"})` };
  const dir = mkdtempSync(join(tmpdir(), "gen-circle-init-"));
  try {
    const folder = sample.folder ?? "";
    const exported = exportTree(git, sample.commit ?? "HEAD", folder, dir);
    if (exported) return { missing: exported };
    const init = spawnSync(process.execPath, [cli, "init", "--dir", dir], { encoding: "utf8" });
    if (init.status !== 0) return { crash: `init exit ${init.status}: ${init.stderr}` };
    // A repository's own CircleCI config is replaced, as an adopting team does with --force: the spec is what is measured.
    const gen = spawnSync(process.execPath, [cli, "generate", "--force", "--dir", dir], { encoding: "utf8" });
    const specText = readFileSync(join(dir, "gen-circle.yml"), "utf8");
    const spec = parse(specText);
    const written = (spec.images ?? [spec.image]).map((img) => ({
      dockerfile: img.dockerfile ?? (img.context && img.context !== "." ? `${img.context}/Dockerfile` : "Dockerfile"),
      context: img.context ?? ".",
      target: img.target ?? null,
      build_args: img.build_args ?? {},
      hash: img.hash ?? [],
      test: (img.test ?? spec.test)?.command ?? null,
    }));
    // No target builds the last stage: null and that stage's name are the same build.
    const last = (dockerfile) => lastStageName(dir, dockerfile);
    for (const img of written) img.target ??= last(img.dockerfile);
    sample = {
      ...sample,
      expect: {
        ...sample.expect,
        images: sample.expect.images.map((e) => ({
          ...e,
          target: e.target ?? last(e.dockerfile),
          ...(e.target_alternatives ? { target_alternatives: e.target_alternatives.map((t) => t ?? last(e.dockerfile)) } : {}),
        })),
      },
    };
    const images = inRecordOrder(written, sample.expect.images);
    const services = Object.entries(spec.services ?? {}).map(([name, s]) => ({ name, unresolved: /\$\{?[A-Za-z_]/.test(JSON.stringify(s.environment ?? {})) }));
    // Hash inputs compared by the files they name in this tree (`Gemfile*` and `Gemfile,
    // Gemfile.lock` are the same inputs), as gen-circle hash --list reads them.
    const files = (list) => list.map((img) => hashFiles(dir, img));
    const expected = sample.expect.images.map((e, n) => ({
      ...e,
      hash: files([e])[0],
      observed: images[n] && hashFiles(dir, images[n]),
      // Build args compared by what the build gets: one that gives its ARG's default is no change.
      args: effectiveArgs(dir, e.dockerfile, e.build_args),
      observedArgs: images[n] && effectiveArgs(dir, images[n].dockerfile, images[n].build_args),
    }));
    return {
      expected,
      todo: (init.stderr.split("TODO (marked in the spec; check each):\n")[1] ?? "").split("\nnext:")[0].trim(),
      // A warning or an error of generate: either tells the user before CircleCI does.
      // Each warning or error of generate with the part of the spec its position is in.
      warnings: gen.stderr
        .split("\n")
        .filter((l) => / (warning|error) /.test(l))
        .map((l) => ({ line: l, part: partAt(specText, Number(/gen-circle\.yml:(\d+):/.exec(l)?.[1] ?? 0)) })),
      images,
      services: services.map((s) => s.name),
      unresolved: services.filter((s) => s.unresolved).map((s) => s.name),
      generated: gen.status === 0,
      generateError: gen.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The spec's images in the record's order: a spec's images: list is a set (each is built and
 * tested on its own), so each recorded image is paired with the written one of its Dockerfile and
 * target, else of its Dockerfile; the others follow in their order.
 */
function inRecordOrder(written, wanted) {
  const left = [...written];
  const take = (test) => {
    const i = left.findIndex(test);
    return i === -1 ? undefined : left.splice(i, 1)[0];
  };
  const paired = wanted.map(
    (w) =>
      take((g) => g.dockerfile === w.dockerfile && [w.target, ...(w.target_alternatives ?? [])].includes(g.target)) ??
      take((g) => g.dockerfile === w.dockerfile),
  );
  return [...paired.map((p) => p ?? left.shift()).filter(Boolean), ...left];
}

/**
 * The commit's tree (its folder only) written into DIR, from the objects the clone has: a snapshot
 * may lack its largest files (data, fonts), which init never reads; those are left out. Returns an
 * error, or nothing.
 */
function exportTree(git, commit, folder, dir) {
  const tree = spawnSync("git", ["-C", git, "ls-tree", "-r", "-z", commit, ...(folder ? ["--", folder] : [])], { maxBuffer: 1 << 28 });
  if (tree.status !== 0) return `git ls-tree: ${tree.stderr}`;
  const entries = tree.stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .map((l) => {
      const [meta, path] = l.split("\t");
      const [mode, type, oid] = meta.split(" ");
      return { mode, type, oid, path: folder ? path.slice(folder.length + 1) : path };
    })
    .filter((e) => e.type === "blob" && e.mode !== "120000");
  const batch = spawnSync("git", ["-C", git, "cat-file", "--batch"], { input: entries.map((e) => e.oid).join("\n") + "\n", maxBuffer: 1 << 30 });
  const out = batch.stdout;
  let at = 0;
  for (const e of entries) {
    const nl = out.indexOf(10, at);
    const header = out.subarray(at, nl).toString("utf8");
    at = nl + 1;
    if (header.endsWith(" missing")) continue;
    const size = Number(header.split(" ")[2]);
    const file = join(dir, e.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, out.subarray(at, at + size), { mode: e.mode === "100755" ? 0o755 : 0o644 });
    at += size + 1;
  }
  return undefined;
}

/** The files an image's hash inputs name in the tree, by gen-circle hash --list; null when they name none. */
function hashFiles(dir, img) {
  const spec = join(dir, ".conformance-spec.yml");
  const image = { name: "conformance/image", dockerfile: img.dockerfile, context: img.context, hash: img.hash.length ? img.hash : undefined };
  writeFileSync(spec, stringify({ version: 1, image }));
  const r = spawnSync(process.execPath, [cli, "hash", "--list", "--spec", spec, "--dir", dir], { encoding: "utf8" });
  rmSync(spec, { force: true });
  return r.status === 0 ? r.stdout.split("\n").filter(Boolean).sort() : null;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The name of a Dockerfile's last stage (`FROM x AS name`), or null when it has none. */
function lastStageName(dir, dockerfile) {
  const text = existsSync(join(dir, dockerfile)) ? readFileSync(join(dir, dockerfile), "utf8") : "";
  const froms = [...text.matchAll(/^\s*FROM\s+(.*)$/gim)].map((m) => m[1].trim());
  return /\sAS\s+(\S+)$/i.exec(froms[froms.length - 1] ?? "")?.[1] ?? null;
}

/** Build args less those equal to the one default every `ARG NAME=value` of the Dockerfile gives. */
function effectiveArgs(dir, dockerfile, args) {
  const text = existsSync(join(dir, dockerfile)) ? readFileSync(join(dir, dockerfile), "utf8") : "";
  const defaults = new Map();
  for (const line of text.matchAll(/^\s*ARG\s+(.+)$/gim))
    for (const m of line[1].matchAll(/([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)/g)) {
      const set = defaults.get(m[1]) ?? new Set();
      defaults.set(m[1], set.add(m[2].replace(/^(["'])(.*)\1$/, "$2")));
    }
  return Object.fromEntries(
    Object.entries(args ?? {})
      .filter(([k, v]) => !(defaults.get(k)?.size === 1 && defaults.get(k).has(String(v))))
      .map(([k, v]) => [k, String(v)])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}
// `./vendor/bin/phpunit` and `vendor/bin/phpunit` run the same file (a command name with a slash is a
// path); `./mvnw` and `mvnw` do not (the latter is looked up in PATH). An argument `./manage.py` is
// the file `manage.py`.
const command = (c) => (typeof c === "string" ? c.replace(/^\.\/(?=[^\s/]+\/)/, "").replace(/(\s)\.\/(?=\S)/g, "$1") : c);
/**
 * The part of the spec (build, services or test) that line `n` (1-based) of its text is in: the
 * keys above it at smaller indentation, as YAML nests them. A position outside the spec (a
 * Dockerfile's line) is about the build.
 */
function partAt(text, n) {
  const lines = text.split("\n");
  if (n < 1 || n > lines.length) return "build";
  const keys = [];
  let indent = Infinity;
  for (let i = n - 1; i >= 0 && indent > 0; i--) {
    const m = /^( *)(?:- )?([A-Za-z_][\w-]*):/.exec(lines[i]);
    if (!m || lines[i].trimStart().startsWith("#") || m[1].length >= indent) continue;
    indent = m[1].length;
    keys.push(m[2]);
  }
  return keys.includes("test") ? "test" : keys.at(-1) === "services" ? "services" : "build";
}
const oneOf = (want, got) => (Array.isArray(want) ? want : [want]).map(command).includes(command(got));
const rows = [];
const counts = {
  samples: samples.length,
  available: 0,
  build: 0,
  services: 0,
  withTests: 0,
  test: 0,
  correct: 0,
  regressions: 0,
  crashes: 0,
  wrong: 0,
  flagged: 0,
};
const recorded = [];
const perSet = {};
for (const s of samples) {
  const o = observe(s);
  if (o.missing || o.crash) {
    if (o.crash) counts.crashes += 1;
    rows.push(`| ${s.repo}${s.folder ? `/${s.folder}` : ""} | ${s.ecosystem} | ${o.missing ? "not here" : "CRASH"} | | | |`);
    if (o.crash) console.error(o.crash);
    continue;
  }
  counts.available += 1;
  if (record) recorded.push({ ...s, observed: o });
  const e = s.expect;
  // Build inputs: the same images (Dockerfile, context, a right target, build args), whose hash
  // inputs name the same files.
  const build =
    o.generated &&
    o.images.length === e.images.length &&
    e.images.every((want, n) => {
      const got = o.images[n];
      const hash = o.expected[n].hash && o.expected[n].observed ? same(o.expected[n].hash, o.expected[n].observed) : same(want.hash, got.hash);
      return (
        want.dockerfile === got.dockerfile &&
        want.context === got.context &&
        [o.expected[n].target, ...(o.expected[n].target_alternatives ?? [])].includes(got.target) &&
        same(o.expected[n].args, o.expected[n].observedArgs) &&
        hash
      );
    });
  const services = [e.services, ...(e.services_alternatives ?? [])].some((want) => same([...o.services].sort(), [...want].sort())) && !o.unresolved.length;
  // Images whose project has no tests are not counted on their test command.
  const tests = e.images.filter((i) => i.test !== null);
  const test = tests.length > 0 && e.images.every((i, n) => i.test === null || oneOf(i.test, o.images[n]?.test));
  const correct = build && services && test;
  counts.build += build ? 1 : 0;
  counts.services += services ? 1 : 0;
  counts.withTests += tests.length ? 1 : 0;
  counts.test += test ? 1 : 0;
  counts.correct += correct ? 1 : 0;
  // Samples of outside sets (`set`) are counted per set too: each was measured on its own.
  const bySet = s.set === undefined ? undefined : (perSet[s.set] ??= { n: 0, build: 0, services: 0, test: 0, correct: 0, wrong: 0, flagged: 0 });
  if (bySet) {
    bySet.n += 1;
    bySet.build += build ? 1 : 0;
    bySet.services += services ? 1 : 0;
    bySet.test += test ? 1 : 0;
    bySet.correct += correct ? 1 : 0;
  }
  const why = [];
  if (!build)
    why.push(o.generated ? `build inputs ${JSON.stringify(o.images.map(({ test, ...b }) => b))}` : `generate failed: ${o.generateError.trim().split("\n")[0]}`);
  // --diff: what a wrong image differs in, against the record (hash files missing and extra).
  if (!build && diff && o.generated)
    e.images.forEach((_, n) => {
      const want = o.expected[n];
      const got = o.images[n];
      if (!got) return why.push(`DIFF image ${n}: missing`);
      const parts = ["dockerfile", "context", "target"].filter(
        (k) => want[k] !== got[k] && !(k === "target" && (want.target_alternatives ?? []).includes(got.target)),
      );
      const w = o.expected[n].hash ?? [];
      const g = o.expected[n].observed ?? [];
      const missing = w.filter((f) => !g.includes(f));
      const extra = g.filter((f) => !w.includes(f));
      why.push(
        `DIFF image ${n}: ${parts.map((k) => `${k} want ${want[k]} got ${got[k]}`).join("; ")}${!same(o.expected[n].args, o.expected[n].observedArgs) ? `; build_args want ${JSON.stringify(want.build_args)}` : ""}${missing.length ? `; hash missing ${missing.join(", ")}` : ""}${extra.length ? `; hash extra ${extra.join(", ")}` : ""}`,
      );
    });
  if (!services) why.push(`services ${JSON.stringify(o.services)}${o.unresolved.length ? ` unresolved in ${o.unresolved}` : ""}`);
  if (tests.length && !test) why.push(`test ${JSON.stringify(o.images.map((i) => i.test))}`);
  // Never silently wrong: each wrong point must be flagged, by a TODO init wrote on that part of
  // the spec or by a warning of generate.
  const todos = o.todo.split("\n").map((l) => l.trim().replace(/^- /, ""));
  const warned = (part) => o.warnings.some((w) => w.part === part);
  const flaggedBuild = build || warned("build") || todos.some((t) => /^images?\b/.test(t) && !/\btest\b/.test(t.split(":")[0]));
  const flaggedServices = services || warned("services") || todos.some((t) => t.startsWith("services"));
  const flaggedTest = test || !tests.length || warned("test") || todos.some((t) => /\btest\b/.test(t.split(":")[0]));
  if (!correct && tests.length) {
    counts.wrong += 1;
    if (bySet) bySet.wrong += 1;
    if (flaggedBuild && flaggedServices && flaggedTest) {
      counts.flagged += 1;
      if (bySet) bySet.flagged += 1;
    }
    if (!(flaggedBuild && flaggedServices && flaggedTest))
      why.push(`UNFLAGGED: ${[!flaggedBuild && "build inputs", !flaggedServices && "services", !flaggedTest && "test"].filter(Boolean).join(", ")}`);
  }
  // A miss the record does not name as known was right when the record was made: a regression.
  if (!(build && services && (test || !tests.length)) && !s.known) {
    counts.regressions += 1;
    why.unshift("REGRESSION");
  }
  if (s.known && why.length) why.push(`(known: ${s.known})`);
  const mark = (b) => (b ? "yes" : "no");
  rows.push(
    `| ${s.repo}${s.folder ? `/${s.folder}` : ""} | ${s.ecosystem} | ${mark(build)} | ${mark(services)} | ${tests.length ? mark(test) : "(no tests)"} | ${correct ? "**yes**" : why.join("; ") || "no (no tests to run)"} |`,
  );
}
if (record) {
  console.log(JSON.stringify(recorded, null, 2));
  process.exit(0);
}
console.log("| sample | ecosystem | build inputs | services | test command | correct with no edits |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
console.log(
  `\n${counts.available} of ${counts.samples} samples here: build inputs right in ${counts.build}, services in ${counts.services}, the test command in ${counts.test} of the ${counts.withTests} that have tests; ${counts.correct} of those ${counts.withTests} get a correct spec with no edits (a project with no tests needs its test command written).`,
);
console.log(`${counts.wrong} not correct: ${counts.flagged} of them with each wrong point flagged by a TODO of init or a warning of generate.`);
for (const [set, c] of Object.entries(perSet))
  console.log(
    `set ${set}: ${c.correct} of ${c.n} complete, build inputs ${c.build}, services ${c.services}, test command ${c.test}; ${c.flagged} of ${c.wrong} misses fully flagged`,
  );
if (counts.regressions || counts.crashes) {
  console.log(`${counts.regressions} regression(s), ${counts.crashes} crash(es)`);
  process.exit(1);
}
