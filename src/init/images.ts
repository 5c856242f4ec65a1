import { codeSourceIn } from "../dockerfile/code.js";
import { copiesRepositoryFrom, declare, expand } from "../dockerfile/code-root.js";
import { dockerignoreMatcher, isTestFile } from "../dockerfile/dockerignore.js";
import { chainInstructions, type StageFacts } from "../dockerfile/facts.js";
import { cleanSource, copySources, dockerInstructions, type Instruction } from "../dockerfile/parse.js";
import { chainOf, dependenciesOf, dockerStages, type Stage, stageNamed, targetStage, unsetBaseArgs } from "../dockerfile/stages.js";
import { ecosystemOf, servesFiles } from "../dockerfile/toolchain.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";
import { type BuildGraph, readBuild, repoBuildOf, scriptBuildOf } from "./build-graph.js";
import { CI_FILES, ciCommands } from "./ci-tests.js";
import { buildTestRun, runsTests } from "./test-rules.js";
import { folderOf } from "./compose-files.js";
import { buildOf, type Compose, type ComposeService, dockerfileOf, testServices } from "./compose.js";
import { ecosystemManifest, imageEcosystem } from "./ecosystems.js";
import { hashInputs } from "./hash-inputs.js";
import { inputMatcher } from "../hash/glob.js";
import { inFolder, lastInstruction, type Notes, type RepoView, type SpecPath } from "./repo.js";
import { serviceBuildBase } from "./service-build.js";
import { guessTest, type TestGuess } from "./test-command.js";
import { chooseTestStage, describeStage, NO_STAGE_CAN_RUN } from "./test-stage.js";

export interface ImageGuess {
  name: string;
  dockerfile?: string;
  context: string;
  target?: string;
  buildArgs: Record<string, string>;
  hash: string[];
  test: TestGuess;
  /** The stage of another toolchain this image was split off for (its Dockerfile's other image is the main one). */
  splitStage?: string;
}

/** Folders whose Dockerfiles are not the project's images (dependencies, samples, fixtures). */
const NOT_IMAGES = /(^|\/)(node_modules|vendor|third_party|\.git|\.devcontainer|examples?|samples?|docs?|test\/fixtures|testdata)\//;

/**
 * The root Dockerfile is the image; without one, each folder's Dockerfile is an image of its own
 * (a monorepo: images:), shallowest first.
 */
export function findDockerfiles(repo: RepoView, compose: Compose, notes: Notes): string[] {
  // The Dockerfile of the compose service CI runs the tests in is the tests' image.
  // Built by compose, or (`image:` only) by the repository's scripts or workflows (`docker build -t`, build-push-action).
  const run = compose.ciRun && compose.services[compose.ciRun.service];
  const ciBuilt =
    run && buildOf(run)
      ? dockerfileOf(compose, buildOf(run)!)
      : run && typeof run.image === "string"
        ? repoBuildOf(repo, compose, compose.reader.quiet.interpolate(run.image), "")?.dockerfile
        : undefined;
  if (ciBuilt && repo.files.includes(ciBuilt)) {
    notes.found.push(`Dockerfile: ${ciBuilt} (compose's ${compose.ciRun!.service}, where ${compose.ciRun!.file} runs the tests)`);
    return [ciBuilt];
  }
  const found = repo.files.includes("Dockerfile")
    ? [testDockerfile(repo, notes) ?? "Dockerfile"]
    : repo.files
        // `dockerfile` too: docker build reads it when there is no `Dockerfile`.
        .filter((f) => /(^|\/)[Dd]ockerfile$/.test(f) && !NOT_IMAGES.test(f))
        .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  // A folder's Dockerfile on a well-known store's image (`FROM postgres:16` with init scripts) that compose runs is a service, not an image to test.
  const composeBuilt = new Set(
    Object.values(compose.services).flatMap((svc) => {
      const b = svc && buildOf(svc);
      return b ? [dockerfileOf(compose, b)] : [];
    }),
  );
  const services = found.filter((d) => d !== "Dockerfile" && composeBuilt.has(d) && serviceBuildBase(dockerInstructions(repo.read(d) ?? "")) !== undefined);
  if (services.length) notes.found.push(`${services.join(", ")}: on a well-known service's image, a service, not an image to test`);
  const dockerfiles = found.filter((d) => !services.includes(d));
  if (!dockerfiles.length) {
    const built = composeDockerfile(repo, compose, notes) ?? namedVariant(repo, compose, notes) ?? toolchainOnly(repo, compose, notes);
    if (built) return [built];
    notes.guessed.push("no Dockerfile found: add one, then set image.dockerfile");
    notes.todo.push({
      at: ["image"],
      text: "the repository has no Dockerfile: the tests run in the project's image, so add one (with the toolchain and the code) and set dockerfile: and hash:",
    });
  } else notes.found.push(`${dockerfiles.length > 1 ? "Dockerfiles (one image each)" : "Dockerfile"}: ${dockerfiles.join(", ")}`);
  return dockerfiles;
}

/** A name that says a Dockerfile is for the tests, as a stage's name would (`Dockerfile.test`, `Dockerfile-ci`, `test.Dockerfile`). */
const TEST_DOCKERFILE = /^(Dockerfile[.-](test|tests|testing|ci)|(test|tests|testing|ci)\.Dockerfile)$/i;

/** A Dockerfile next to the root one whose name says it is the tests' image, when it copies the code in. */
function testDockerfile(repo: RepoView, notes: Notes): string | undefined {
  const found = repo.files.filter((f) => TEST_DOCKERFILE.test(f)).sort();
  const isCode = codeSourceIn(repo.files, ".");
  const chosen = found.find((f) => {
    const stages = dockerStages(dockerInstructions(repo.read(f) ?? ""));
    // It must copy the code in (not only scripts or tools for CI).
    return (
      stages.length > 0 &&
      dependenciesOf(stages, stages.length - 1).some((s) => s.body.some((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args) ?? []).some(isCode)))
    );
  });
  if (chosen) notes.found.push(`${chosen}: named for the tests, it is their image (not Dockerfile)`);
  return chosen;
}

/** A Dockerfile by another name: `Dockerfile.prod`, `Dockerfile-dev`, `release.Dockerfile`. */
const DOCKERFILE_VARIANT = /(^|\/)(Dockerfile[.-][^/]+|[^/]+\.[Dd]ockerfile)$/;

/**
 * With no file named Dockerfile and none that compose builds: of the variants by name
 * (`Dockerfile.prod`, `Dockerfile.compile`), shallowest first, the first with a stage that can run
 * the tests (a toolchain and the code). A runtime image or one that gets the code from a mount is
 * none. The others are named in a TODO (noteOtherDockerfiles).
 */
function namedVariant(repo: RepoView, compose: Compose, notes: Notes): string | undefined {
  const variants = repo.files
    .filter((f) => DOCKERFILE_VARIANT.test(f) && !NOT_IMAGES.test(f) && !f.endsWith(".dockerignore"))
    .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  const canTest = (d: string) => {
    const { build, context } = buildContext(repo, compose, d);
    const graph = readBuild(repo, compose, { dockerfile: d, context, target: build?.target, buildArgs: {} });
    return graph.facts.some((f) => f.code && [...f.tools].some((t) => ecosystemOf(t) !== undefined));
  };
  const chosen = variants.find(canTest);
  if (chosen) notes.found.push(`Dockerfile: ${chosen} (no file is named Dockerfile; a stage of it has a toolchain and the code)`);
  return chosen;
}

/** Any Dockerfile, wherever it is kept: a variant, a dev container's, one named in lower case (which docker build also reads). */
const ANY_DOCKERFILE = /(^|\/)(Dockerfile|dockerfile|Dockerfile[.-][^/]+|[^/]+\.[Dd]ockerfile)$/;
const NOT_PROJECT = /(^|\/)(node_modules|vendor|third_party|\.git|examples?|samples?|test\/fixtures|testdata)\//;

/**
 * No Dockerfile copies the code in: the nearest image is one with the toolchain of the
 * repository's own manifests (a dev container's, `Dockerfile.compile` that CI mounts the code
 * into). Its path exists, so the spec builds; the test stage's TODO says to copy the code in.
 */
function toolchainOnly(repo: RepoView, compose: Compose, notes: Notes): string | undefined {
  const mine = new Set(topEcosystems(repo, "."));
  if (!mine.size) return undefined;
  const chosen = repo.files
    .filter((f) => ANY_DOCKERFILE.test(f) && !NOT_PROJECT.test(f) && !f.endsWith(".dockerignore"))
    .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b))
    .find((d) => {
      const { build, context } = buildContext(repo, compose, d);
      const graph = readBuild(repo, compose, { dockerfile: d, context, target: build?.target, buildArgs: {} });
      // The image it builds has the toolchain (not a stage that only packages a runtime of it).
      const last = graph.facts[graph.facts.length - 1];
      return last !== undefined && !last.runtime && [...last.tools].some((t) => mine.has(ecosystemOf(t) ?? ""));
    });
  if (!chosen) return undefined;
  // The test stage's own TODO says what it lacks (the code, the dependencies).
  notes.found.push(`Dockerfile: ${chosen} (no Dockerfile copies the code in; this one has the toolchain)`);
  return chosen;
}

/**
 * With no file named Dockerfile (`deploy/debian.Dockerfile`, `Dockerfile.ci`), the one compose
 * builds: its test service's (sut, test, tests), else the first in compose's order; several are a TODO.
 */
function composeDockerfile(repo: RepoView, compose: Compose, notes: Notes): string | undefined {
  const byService = Object.entries(compose.services).flatMap(([name, svc]) => {
    const b = svc && buildOf(svc);
    const path = b && dockerfileOf(compose, b);
    return path && repo.files.includes(path) ? [{ name, path }] : [];
  });
  const paths = [...new Set(byService.map((b) => b.path))];
  // Else the first whose image runs code, not one a web server serves built files from (nginx).
  const runsCode = (d: string) => {
    const { build, context } = buildContext(repo, compose, d);
    const stages = readBuild(repo, compose, { dockerfile: d, context, target: build?.target, buildArgs: {} }).stages;
    const built = targetStage(stages, build?.target);
    return built !== undefined && !servesFiles(built.from);
  };
  const chosen = byService.find((b) => testServices(compose).includes(b.name))?.path ?? paths.find(runsCode) ?? paths[0];
  if (!chosen) return undefined;
  notes.found.push(`Dockerfile built by ${compose.file}: ${chosen}`);
  if (paths.length > 1)
    notes.todo.push({
      at: ["image", "dockerfile"],
      text: `${compose.file} builds ${paths.length} Dockerfiles (${paths.join(", ")}): ${chosen} is taken; set dockerfile: to the one the tests run in`,
    });
  return chosen;
}

interface ImageContext {
  repo: RepoView;
  compose: Compose;
  monorepo: boolean;
  /** Several Dockerfiles (not one split into an image per stage): the compose test service's target is not one of theirs. */
  severalDockerfiles: boolean;
  notes: Notes;
}

/**
 * Other Dockerfiles of the repository that init did not take for the one image (`Dockerfile-test`,
 * `dev/Dockerfile`): which one the tests run in is not something a file declares, so the choice is
 * a TODO. Not one that a compose service builds (a service, or the app's own build), nor one the
 * image's hash holds (a base image it is built on).
 */
export function noteOtherDockerfiles(repo: RepoView, images: readonly ImageGuess[], compose: Compose, notes: Notes): void {
  if (images.length !== 1 || !images[0]!.dockerfile) return;
  const built = new Set(
    Object.values(compose.services).flatMap((svc) => {
      const b = svc && buildOf(svc);
      return b ? [dockerfileOf(compose, b)] : [];
    }),
  );
  const [image] = images;
  // One compose builds next to the image's Dockerfile (`Dockerfile-dev` for the app) is another build of the image: named too.
  const sibling = (f: string) => folderOf(f) === folderOf(image!.dockerfile!);
  const others = repo.files.filter(
    (f) =>
      ANY_DOCKERFILE.test(f) &&
      !/\.dockerignore$/.test(f) &&
      !NOT_IMAGES.test(f) &&
      f !== image!.dockerfile &&
      (!built.has(f) || sibling(f)) &&
      !image!.hash.includes(f),
  );
  if (!others.length) return;
  notes.todo.push({
    at: ["image", "dockerfile"],
    text: `${image!.dockerfile} is taken for the tests; the repository has ${others.length > 3 ? `${others.length} other Dockerfiles (${others.slice(0, 3).join(", ")}, ...)` : `other Dockerfiles too (${others.join(", ")})`}: if the tests run in one of them, set dockerfile: (and hash:) to it`,
  });
}

/**
 * A root Dockerfile that leaves the test tools out (`poetry install --only main`, `npm prune`), or
 * where no file says how the tests run, or whose image cannot run them (a runtime image with a
 * prebuilt binary), and that compose does not build, gives way to another Dockerfile with tests in
 * its context whose image has a way to run them: one compose builds (the development image), else
 * one named for the tests (`contrib/Dockerfile.test`), else the shallowest. So do folder
 * Dockerfiles none of which has a test in its context (CI tooling, fixtures' images).
 */
export function withTestTools(repo: RepoView, dockerfiles: readonly string[], compose: Compose, notes: Notes): string[] {
  const built = [
    ...new Set(
      Object.values(compose.services).flatMap((svc) => {
        const b = svc && buildOf(svc);
        return b ? [dockerfileOf(compose, b)] : [];
      }),
    ),
  ];
  const root = dockerfiles.length === 1 && dockerfiles[0] === "Dockerfile";
  const testless = dockerfiles.length > 0 && dockerfiles.every((d) => testFilesIn(repo, buildContext(repo, compose, d).context).length === 0);
  if ((!root && !testless) || dockerfiles.some((d) => built.includes(d))) return [...dockerfiles];
  // Weak: its tests lack their tools, or no file of the project names how to run them there.
  // Weak too: no stage of it can run the tests (no code: a development image with a bind mount).
  const weak = (d: string) => {
    const scratch: Notes = { found: [], guessed: [], todo: [] };
    const { test } = guessImages(repo, [d], compose, scratch)[0];
    return test.lacksTools === true || test.placeholder === true || scratch.todo.some((n) => n.text.startsWith(NO_STAGE_CAN_RUN));
  };
  if (!testless && !weak("Dockerfile")) return [...dockerfiles];
  const depth = (f: string) => f.split("/").length;
  const others = repo.files
    .filter((f) => ANY_DOCKERFILE.test(f) && !NOT_IMAGES.test(f) && !f.endsWith(".dockerignore") && !dockerfiles.includes(f) && !built.includes(f))
    .sort((a, b) => Number(!TEST_DOCKERFILE.test(baseName(a))) - Number(!TEST_DOCKERFILE.test(baseName(b))) || depth(a) - depth(b) || a.localeCompare(b))
    .slice(0, 30);
  // A root Dockerfile gives way only to what compose builds: a variant next to it is its own build (Dockerfile-apache).
  const other = [...built, ...(testless ? others : [])].find(
    (d) => repo.files.includes(d) && testFilesIn(repo, buildContext(repo, compose, d).context).length > 0 && !weak(d),
  );
  if (!other) {
    if (testless && dockerfiles.length > 1) severalImages(notes, dockerfiles.length, false);
    return [...dockerfiles];
  }
  const why = testless
    ? `no test file is in the build context of ${dockerfiles.join(", ")}`
    : "the root Dockerfile's image lacks the test tools, or a way to run the tests";
  notes.found.push(`Dockerfile: ${other}${built.includes(other) ? ", which compose builds" : ""}: ${why}`);
  notes.todo.push({
    at: ["image", "dockerfile"],
    text: `${other} is taken for the tests: ${testless ? why : "the root Dockerfile's image lacks the test tools, or no file says how the tests run there"}; if they should run in ${dockerfiles.length > 1 ? "one of those" : "it"}, set dockerfile: (and hash:) to it`,
  });
  return [other];
}

const baseName = (f: string) => f.slice(f.lastIndexOf("/") + 1);

/** One image per Dockerfile; with none, one image still (its Dockerfile to be added). */
export function guessImages(repo: RepoView, dockerfiles: readonly string[], compose: Compose, notes: Notes): [ImageGuess, ...ImageGuess[]] {
  // A Dockerfile with stages of two toolchains that each copy tests (an API and its frontend builder): an image for each, in stage order.
  const entries = dockerfiles.flatMap((dockerfile) => {
    const stages = stagesToTest(repo, compose, dockerfile);
    return stages.length > 1 ? stages.map((s) => ({ dockerfile, forced: s.forced })) : [{ dockerfile, forced: undefined }];
  });
  const ctx: ImageContext = { repo, compose, notes, monorepo: entries.length > 1, severalDockerfiles: dockerfiles.length > 1 };
  const images = (entries.length ? entries : [{ dockerfile: undefined, forced: undefined }]).map((e, i) => guessImage(ctx, e.dockerfile, i, e.forced)) as [
    ImageGuess,
    ...ImageGuess[],
  ];
  // Two images of one name would be one image to the spec: the later ones get a number.
  const seen = new Map<string, number>();
  for (const image of images) {
    const n = (seen.get(image.name) ?? 0) + 1;
    seen.set(image.name, n);
    if (n > 1) image.name = `${image.name}-${n}`;
  }
  return images;
}

/** The ARGs a Dockerfile declares with a default (`ARG PHP_BASE_TYPE="apache"`), by name, the first one's. */
function argDefaults(instructions: readonly Instruction[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of instructions)
    if (i.op === "ARG")
      for (const m of i.args.matchAll(/([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)/g)) if (!out.has(m[1]!)) out.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, "$2"));
  return out;
}

/** Build args Docker gives every build without a declaration (`docker build` reads the proxies). */
const PREDEFINED_ARG = /^(https?_proxy|ftp_proxy|no_proxy|all_proxy)$|^BUILDKIT_(?!INLINE_CACHE$)/i;

/**
 * Compose build args the stages built for the test stage never read: no ARG of theirs declares it
 * and no FROM of theirs names it (through the global ARGs, `ARG BASE=${REGISTRY}python`). Docker
 * passes them to nothing; BuildKit's inline cache is the pipeline's own choice.
 */
function unreadArgs(
  instructions: readonly Instruction[],
  stages: readonly Stage[],
  index: number,
  args: Record<string, string>,
): { name: string; why: string }[] {
  const built = new Set(dependenciesOf(stages, index).map((st) => st.index));
  const globals = new Map<string, string>(); // a global ARG → the text of its default
  const read = new Set<string>();
  const names = (text: string) => [...text.matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((m) => m[1]!);
  let at = -1;
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      at += 1;
      if (built.has(at)) names(ins.args).forEach((n) => read.add(n));
    } else if (ins.op === "ARG") {
      for (const m of ins.args.matchAll(/([A-Za-z_]\w*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
        if (at === -1) globals.set(m[1]!, m[2] ?? "");
        else if (built.has(at)) read.add(m[1]!);
      }
    }
  }
  // A global read by a FROM reads the globals its default names.
  const queue = [...read];
  for (let name = queue.shift(); name !== undefined; name = queue.shift())
    for (const n of names(globals.get(name) ?? "")) {
      if (read.has(n)) continue;
      read.add(n);
      queue.push(n);
    }
  return Object.keys(args)
    .filter((name) => !read.has(name) && !PREDEFINED_ARG.test(name))
    .map((name) => ({
      name,
      why: /^BUILDKIT_INLINE_CACHE$/i.test(name)
        ? "the pipeline decides how the image carries its build cache"
        : "no stage the tests' image is built from declares it (ARG) or names it in FROM, so the build does not read it",
    }));
}

/** A Dockerfile's build context: the compose service's that builds it, a script's `docker build`, else read from the Dockerfile. */
function buildContext(repo: RepoView, compose: Compose, dockerfile: string | undefined) {
  const instructions = dockerfile ? dockerInstructions(repo.read(dockerfile) ?? "") : [];
  const builder = builderOf(compose, dockerfile, lastStage(instructions));
  const build = builder && buildOf(builder);
  const scripted = !build && dockerfile ? scriptBuildOf(repo, dockerfile) : undefined;
  const context = build ? compose.reader.quiet.interpolate(build.context) : (scripted?.context ?? contextOf(dockerfile, instructions, repo.files));
  return { instructions, builder, build, scripted, context };
}

/** The context's test files (`*_test.go`, `tests/…`, `*.spec.ts`): what the image could run. */
const testFilesIn = (repo: RepoView, context: string) => {
  const top = inFolder(context, "");
  return repo.files.filter((f) => f.startsWith(top) && isTestFile(f.slice(top.length)));
};

/**
 * Of several Dockerfiles (a monorepo's services), those whose build context holds a test file, and
 * those compose builds: an image with no test to run in it and no part in the application compose
 * runs is a build, not a test job. With none kept, all stay.
 */
export function imagesWithTests(repo: RepoView, dockerfiles: readonly string[], compose: Compose, notes: Notes): string[] {
  if (dockerfiles.length < 2) return [...dockerfiles];
  const builds = new Map(dockerfiles.map((d) => [d, buildContext(repo, compose, d)]));
  const contexts = new Map([...builds].map(([d, b]) => [d, b.context]));
  // One compose builds is a part of the application (what the tested parts run with): it stays.
  const kept = dockerfiles.filter((d) => builds.get(d)!.build !== undefined || testFilesIn(repo, contexts.get(d)!).length > 0);
  const withTests = kept.length ? kept : [...dockerfiles];
  const left = dockerfiles.filter((d) => !withTests.includes(d));
  if (left.length)
    notes.found.push(
      `no test file in the build context of ${left.map((d) => `${d} (${contexts.get(d)})`).join(", ")}, and compose does not build ${left.length > 1 ? "them" : "it"}: no image for ${left.length > 1 ? "them" : "it"}`,
    );
  const out = oneImagePerRun(repo, withTests, compose, notes);
  // No file says which of several Dockerfiles are the project's images to test (with none that has tests, withTestTools says).
  if (out.length > 1 && kept.length) severalImages(notes, out.length, left.length > 0);
  return out;
}

const severalImages = (notes: Notes, n: number, withTests: boolean) =>
  notes.todo.push({
    at: ["images"],
    text: `one image for each of the ${n} Dockerfiles found${withTests ? " with tests in their context" : ""}: remove those the pipeline should not build and test (tools, packaging, examples)`,
  });

/** CI files that may name a Dockerfile they build. */
const isCiFile = (f: string) => CI_FILES.test(f) || /(^|\/)Jenkinsfile$/.test(f);

/**
 * Dockerfiles that build the same context and would run the same test command there (a package's
 * alpine, distroless, debian builds) run the same tests: one image of them is enough. The one CI
 * builds is kept, else the first compose builds, else the first found.
 */
function oneImagePerRun(repo: RepoView, dockerfiles: readonly string[], compose: Compose, notes: Notes): string[] {
  if (dockerfiles.length < 2) return [...dockerfiles];
  const scratch: Notes = { found: [], guessed: [], todo: [] };
  const guesses = guessImages(repo, dockerfiles, compose, scratch);
  const ci = repo.files.filter(isCiFile).map((f) => repo.read(f) ?? "");
  const built = Object.values(compose.services).flatMap((svc) => {
    const b = svc && buildOf(svc);
    return b ? [dockerfileOf(compose, b)] : [];
  });
  const rank = (d: string) => [ci.some((text) => text.includes(d)) ? 0 : 1, built.includes(d) ? built.indexOf(d) : built.length, dockerfiles.indexOf(d)];
  const before = (a: string, b: string) => {
    const [x, y] = [rank(a), rank(b)];
    const n = x.findIndex((v, i) => v !== y[i]);
    return n === -1 ? 0 : x[n]! - y[n]!;
  };
  // The command less a `cd <workdir> &&` before it: the same tests from another WORKDIR.
  const run = (g: ImageGuess) => `${g.context}\0${JSON.stringify(g.test.command).replace(/^(\[?")cd \S+ && /, "$1")}`;
  // A Dockerfile split into several images (stages of two toolchains) runs all of theirs.
  const runs = (d: string) =>
    guesses
      .filter((g) => g.dockerfile === d)
      .map(run)
      .join("\n");
  const groups = new Map<string, string[]>();
  for (const d of dockerfiles) groups.set(runs(d), [...(groups.get(runs(d)) ?? []), d]);
  const keep = new Set([...groups.values()].map((group) => [...group].sort(before)[0]!));
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const [chosen, ...rest] = [...group].sort(before);
    notes.found.push(`${rest.join(", ")}: the same context and test command as ${chosen}, so the same tests; one image is enough`);
  }
  return dockerfiles.filter((d) => keep.has(d));
}

/**
 * The stages of a Dockerfile whose tests run as images of their own: the chosen one (forced
 * undefined), and the named stages of another toolchain that copy tests of their own, in the
 * Dockerfile's order. One entry when there is no such stage.
 */
function stagesToTest(repo: RepoView, compose: Compose, dockerfile: string): { forced: string | undefined; index: number }[] {
  const { build, context } = buildContext(repo, compose, dockerfile);
  const graph = readBuild(repo, compose, { dockerfile, context, target: build?.target, buildArgs: compose.reader.quiet.environment(build?.args) });
  if (graph.stages.length < 2) return [{ forced: undefined, index: 0 }];
  const scratch: Notes = { found: [], guessed: [], todo: [] };
  const chosen = chooseTestStage(graph, testServiceTarget(compose, dockerfile) ?? build?.target, {
    ...{ notes: scratch, label: "", targetAt: [] },
    ...{ hasOwnTests: runsOwnTests(repo, graph, context), mainEcosystems: topEcosystems(repo, context) },
    holdsTests: holdsTests(repo, graph, context),
    fromTestService: testServiceTarget(compose, dockerfile) !== undefined,
  });
  const others = (chosen.alsoTests ?? []).flatMap((name) => {
    const stage = graph.stages.find((s) => s.name === name);
    return stage ? [{ forced: name, index: stage.index }] : [];
  });
  return [{ forced: undefined, index: chosen.facts?.stage.index ?? 0 }, ...others].sort((a, b) => a.index - b.index);
}

/** The ecosystems of the manifests at the top of the context (`build.gradle` → java). */
const topEcosystems = (repo: RepoView, context: string): string[] => {
  const top = inFolder(context, "");
  return [...new Set(repo.files.filter((f) => f.startsWith(top) && !f.slice(top.length).includes("/")).flatMap((f) => ecosystemManifest(f) ?? []))];
};

/**
 * Whether a stage's image holds the context's test files: a stage of its chain copies the whole
 * context or a test file in, or copies a stage's whole copy of the repository (`COPY --from=build
 * /app /app`), which holds them in turn.
 */
const holdsTests = (repo: RepoView, graph: BuildGraph, context: string) => {
  const top = inFolder(context, "");
  const tests = testFilesIn(repo, context).map((t) => t.slice(top.length));
  const isCode = codeSourceIn(repo.files, context);
  const holds = (index: number, depth: number): boolean =>
    depth < 8 &&
    chainOf(graph.stages, index).some((s) =>
      s.body.some((i) => {
        if (i.op !== "COPY" && i.op !== "ADD") return false;
        const from = /--from[= ](\S+)/.exec(i.args)?.[1];
        if (from === undefined) return (copySources(i.args) ?? []).some((src) => src === "." || src === "*" || tests.some(inputMatcher(cleanSource(src))));
        const source = copiesRepositoryFrom(graph.stages, s, i, isCode) ? stageNamed(graph.stages.slice(0, s.index), from) : undefined;
        return source !== undefined && holds(source.index, depth + 1);
      }),
    );
  return (f: StageFacts): boolean => tests.length > 0 && holds(f.stage.index, 0);
};

/**
 * Whether the project runs a stage's tests: its chain copies test files of the context, and runs
 * them in the build (`RUN npm run test:coverage`), or CI runs a suite in a folder the chain copies
 * (`pnpm test:unit` in frontend/ for `COPY frontend/ ./`).
 */
const runsOwnTests =
  (repo: RepoView, graph: BuildGraph, context: string) =>
  (f: StageFacts): boolean => {
    const top = inFolder(context, "");
    const tests = testFilesIn(repo, context).map((t) => t.slice(top.length));
    const chain = chainInstructions(graph.stages, f.stage.index);
    const sources = chain.flatMap((i) => ((i.op === "COPY" || i.op === "ADD") && !/--from[= ]/.test(i.args) ? (copySources(i.args) ?? []) : []));
    const matchers = sources.map((s) => inputMatcher(cleanSource(s)));
    const whole = sources.some((s) => s === "." || s === "*" || s === "./");
    if (!tests.some((t) => whole || matchers.some((m) => m(t)))) return false;
    if (buildTestRun(chain)) return true;
    const folders = sources
      .map((s) => inFolder(context, cleanSource(s).replace(/^\.\/|\/$/g, "")))
      .filter((d) => repo.files.some((f) => f.startsWith(`${d}/`)));
    return ciCommands(repo).some((c) => runsTests(c.command) && folders.some((d) => c.dir === d || c.dir.startsWith(`${d}/`)));
  };

/**
 * One image: its build (from compose, else the Dockerfile), the stage its tests run in, the hash
 * inputs of that stage's chain, and the test command for that stage's toolchain.
 */
function guessImage(ctx: ImageContext, dockerfile: string | undefined, index: number, forced?: string): ImageGuess {
  const { repo, compose, notes, monorepo } = ctx;
  const { instructions, builder, build, scripted, context } = buildContext(repo, compose, dockerfile);
  if (scripted && !forced) notes.found.push(`${dockerfile}: built with the context ${scripted.context} by ${scripted.file}`);
  const label = monorepo ? `${context}${forced ? ` (${forced})` : ""}: ` : "";
  const at = (...keys: string[]): SpecPath => (monorepo ? ["images", index, ...keys] : keys[0] === "test" ? keys : ["image", ...keys]);
  const buildArgs = compose.reader.environment(build?.args);
  const defaults = argDefaults(instructions);
  for (const [arg, value] of Object.entries(buildArgs)) {
    // A variable compose left unset would reach the build as its text (gen-circle passes build args as written).
    if (!/\$\{?[A-Za-z_]/.test(value)) continue;
    // The Dockerfile's own default stands in for a value the compose variables do not give.
    if (defaults.has(arg)) {
      delete buildArgs[arg];
      notes.guessed.push(
        `${label}build arg ${arg} left out: compose gives it ${value}, which has no value in the compose variables; the Dockerfile's default (${defaults.get(arg)}) applies`,
      );
    } else notes.todo.push({ at: at("build_args", arg), text: `${value} has no value in the compose variables: write the build arg's value` });
  }
  const graph = dockerfile ? readBuild(repo, compose, { dockerfile, context, target: build?.target, buildArgs }) : undefined;
  const composeTarget = (ctx.severalDockerfiles ? undefined : testServiceTarget(compose, dockerfile)) ?? build?.target;
  const chosen = graph
    ? chooseTestStage(graph, composeTarget, {
        ...{ notes, label, targetAt: at("target"), commandAt: at("test", "command"), composeFile: compose.file },
        ...{ hasOwnTests: runsOwnTests(repo, graph, context), forced, mainEcosystems: topEcosystems(repo, context) },
        holdsTests: holdsTests(repo, graph, context),
        fromTestService: !ctx.severalDockerfiles && testServiceTarget(compose, dockerfile) !== undefined,
      })
    : {};
  const stage = chosen.facts?.stage;
  if (graph)
    for (const arg of unreadArgs(instructions, graph.stages, stage?.index ?? graph.stages.length - 1, buildArgs)) {
      delete buildArgs[arg.name];
      notes.found.push(`${label}build arg ${arg.name} left out: ${arg.why}`);
    }
  // A base image named by an ARG nothing sets: the build fails until the spec gives it.
  for (const { name, stage: s } of graph ? unsetBaseArgs(instructions, buildArgs, chosen.target) : [])
    notes.todo.push({
      at: at("build_args"),
      text: `the FROM of ${s.name === undefined ? `stage ${s.index}` : `stage '${s.name}'`} reads ARG ${name}, which has no default and no value in the files init read: write the value CI builds with (build_args: {${name}: ...})`,
    });
  const chain = graph && stage ? chainInstructions(graph.stages, stage.index) : instructions;
  const built = graph && stage ? dependenciesOf(graph.stages, stage.index).flatMap((s) => s.body) : instructions;
  const copied = chain.flatMap((i) => (i.op === "COPY" || i.op === "ADD" ? (copySources(i.args) ?? []) : []));
  const ecosystem = imageEcosystem(chosen.facts, repo.files, context, copied);
  const base = imageName(ctx, builder, context === "." && dockerfile?.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : context, label);
  const name = forced ? `${base}-${forced.toLowerCase().replace(/[^a-z0-9._-]+/g, "-")}` : base;
  const hash = hashInputs(repo, { graph, context, stage: stage?.index, ecosystem, label, hashAt: at("hash") }, notes);
  const checked = notes.todo.length;
  if (dockerfile) noteIgnoredTests(repo, dockerfile, context, notes, at("target"));
  // What the stages it is built from copy of the context (not `COPY --from`): none of the test files, and no whole copy.
  const fromContext = built.flatMap((i) => ((i.op === "COPY" || i.op === "ADD") && !/--from[= ]/.test(i.args) ? (copySources(i.args) ?? []) : []));
  noteUncopiedTests(repo, context, fromContext, notes, at("target"));
  const test = guessTest(
    {
      ...{ repo, compose, monorepo, context, instructions: chain, built, copied, hash, toolchain: chosen.facts, ecosystem, label },
      ...{ stageName: stage && describeStage(stage), commandAt: at("test", "command"), targetAt: at("target") },
      bases: graph && stage ? chainOf(graph.stages, stage.index).map((s) => s.from) : [],
      ignored: ignoredBy(repo, dockerfile, context),
    },
    notes,
  );
  // The image lacks what the tests need (their files, their tools): the command cannot be checked until it has them.
  const added = notes.todo.slice(checked);
  const same = (a: SpecPath, b: SpecPath) => a.length === b.length && a.every((k, i) => k === b[i]);
  // Once: the stage choice may have said so already (no stage can run the tests yet).
  const said = notes.todo.some((n) => same(n.at, at("test", "command")) && n.text.includes("(see target)"));
  if (added.some((n) => same(n.at, at("target"))) && !added.some((n) => same(n.at, at("test", "command"))) && !said)
    notes.todo.push({
      at: at("test", "command"),
      text: "the image lacks what the tests need (see target): check this command, and the setup it needs (a database schema, a service), once it has it",
    });
  return { name, dockerfile, context, target: chosen.target, buildArgs, hash, test, ...(forced ? { splitStage: forced } : {}) };
}

/** The build context's .dockerignore (the Dockerfile's own, else the context's), as paths from the context's root. */
function ignoredBy(repo: RepoView, dockerfile: string | undefined, context: string): ((path: string) => boolean) | undefined {
  const file = [...(dockerfile ? [`${dockerfile}.dockerignore`] : []), inFolder(context, ".dockerignore")].find((f) => repo.files.includes(f));
  return file ? dockerignoreMatcher(repo.read(file) ?? "") : undefined;
}

/**
 * The tests run in the image, so the build context must hold them: a `.dockerignore` (the
 * Dockerfile's own, else the context's) that leaves out every test file of the context is a TODO.
 */
function noteIgnoredTests(repo: RepoView, dockerfile: string, context: string, notes: Notes, at: SpecPath): void {
  const file = [`${dockerfile}.dockerignore`, inFolder(context, ".dockerignore")].find((f) => repo.files.includes(f));
  if (!file) return;
  const top = inFolder(context, "");
  const tests = testFilesIn(repo, context);
  if (!tests.length) return;
  const ignored = dockerignoreMatcher(repo.read(file) ?? "");
  if (tests.every((f) => ignored(f.slice(top.length))))
    notes.todo.push({
      at,
      text: `${file} leaves every test file out of the build context (${tests.slice(0, 2).join(", ")}${tests.length > 2 ? ", ..." : ""}): the tests run in the image, so let them in (a test stage's Dockerfile can have its own .dockerignore)`,
    });
}

/**
 * The tests run in the image: a Dockerfile that copies folders of the context (`COPY lib lib`,
 * `COPY priv priv`) but neither the whole context nor any test file leaves them out. A TODO.
 */
function noteUncopiedTests(repo: RepoView, context: string, sources: readonly string[], notes: Notes, at: SpecPath): void {
  const top = inFolder(context, "");
  const tests = testFilesIn(repo, context).map((f) => f.slice(top.length));
  // An image that copies no code (a built binary) is flagged as one that cannot run the tests.
  const isCode = codeSourceIn(repo.files, context);
  if (!tests.length || !sources.some((s) => isCode(cleanSource(s))) || sources.some((s) => s === "." || s === "*")) return;
  const matchers = sources.map((s) => inputMatcher(cleanSource(s)));
  if (tests.some((f) => matchers.some((m) => m(f)))) return;
  notes.todo.push({
    at,
    text: `the stages the tests run in copy ${sources.slice(0, 4).join(", ")}${sources.length > 4 ? ", ..." : ""} of the context but no test file (${tests.slice(0, 2).join(", ")}${tests.length > 2 ? ", ..." : ""}): the tests run in the image, so copy them in`,
  });
}

/** The name of the Dockerfile's last stage (`FROM node AS app`), if it has one. */
const lastStage = (instructions: readonly Instruction[]) => /\bAS\s+(\S+)\s*$/i.exec(lastInstruction(instructions, "FROM")?.args ?? "")?.[1];

/**
 * The compose service that builds this Dockerfile gives its context, target and name. Several
 * services may build it (an app and its asset watcher, shared with `<<: *app`): the one that
 * builds the whole Dockerfile (no target, or its last stage) is the image.
 */
function builderOf(compose: Compose, dockerfile: string | undefined, stage: string | undefined): ComposeService | undefined {
  if (!dockerfile) return undefined;
  const builders = Object.values(compose.services).filter((svc): svc is ComposeService => {
    const b = svc && buildOf(svc);
    return !!b && dockerfileOf(compose, b) === dockerfile;
  });
  return builders.find((svc) => [undefined, stage].includes(buildOf(svc)!.target)) ?? builders[0];
}

/** The target of the compose test service (`sut`, `test`, `tests`) that builds this Dockerfile: the stage its tests run in. */
function testServiceTarget(compose: Compose, dockerfile: string | undefined): string | undefined {
  for (const name of testServices(compose)) {
    const svc = compose.services[name];
    const b = svc ? buildOf(svc) : undefined;
    if (b?.target !== undefined && dockerfileOf(compose, b) === dockerfile) return b.target;
  }
  return undefined;
}

/** The image name from the compose service that builds it; else one to set, from the folder names. */
function imageName({ repo, compose, notes }: ImageContext, builder: ComposeService | undefined, context: string, label: string): string {
  const ref = typeof builder?.image === "string" ? parseReference(compose.reader.interpolate(builder.image)) : undefined;
  const name = ref && repositoryOf(ref);
  if (name) {
    notes.found.push(`${label}image name from ${compose.file}: ${name}`);
    return name;
  }
  const repoSlug =
    repo.name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "app";
  // A component starts and ends with a letter or digit (`.devcontainer` gives `devcontainer`).
  const part = context
    .split("/")
    .pop()!
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  const folder = context === "." || !part ? "" : `-${part}`;
  const guess = `myorg/${repoSlug}${folder}`;
  notes.guessed.push(`${label}image name: ${guess} (set your registry's repository)`);
  return guess;
}

/**
 * The Dockerfile's build context when no compose file says: its own folder, unless what it copies
 * is found from the repository root and not from there (`docker build -f docker/Dockerfile .`).
 */
function contextOf(dockerfile: string | undefined, instructions: Instruction[], files: readonly string[]): string {
  const folder = dockerfile && dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
  if (folder === ".") return folder;
  // ARG defaults and ENV values fill in the paths (`COPY ${BASE_PATH}deployment/x /etc/`).
  const vars = new Map<string, string>();
  const sources = instructions
    .flatMap((i) => {
      if (i.op === "ARG" || i.op === "ENV") declare(vars, i);
      return i.op === "COPY" || i.op === "ADD" ? (copySources(i.args) ?? []).map((src) => expand(src, vars)) : [];
    })
    .map((p) => p.replace(/\/+$/, ""))
    .filter((p) => p && p !== "." && !/[*?[]|^[a-z]+:\/\//i.test(p));
  const exists = (path: string) => files.some((f) => f === path || f.startsWith(`${path}/`));
  const found = (base: string) => sources.filter((p) => exists(base === "." ? p : `${base}/${p}`)).length;
  // A dev container's Dockerfile that copies nothing works on the repository it mounts: its root is the context.
  if (!sources.length && /(^|\/)\.devcontainer$/.test(folder)) return ".";
  // One that copies the whole context from a folder of nothing but Dockerfiles (`docker/`) builds the root's project.
  const copiesAll = instructions.some((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args) ?? []).some((p) => /^(\.\/?|\*)$/.test(p)));
  const onlyDockerfiles = files.filter((f) => f.startsWith(`${folder}/`)).every((f) => ANY_DOCKERFILE.test(f) || f.endsWith(".dockerignore"));
  const project = files.some((f) => !f.includes("/") && ecosystemManifest(f));
  if (!sources.length && copiesAll && onlyDockerfiles && project) return ".";
  return found(".") > found(folder) ? "." : folder;
}
