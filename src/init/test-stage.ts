import type { StageFacts } from "../dockerfile/facts.js";
import { readsContext } from "../dockerfile/inputs.js";
import { chainOf, dependenciesOf, stageNamed, type Stage } from "../dockerfile/stages.js";
import { ecosystemOf } from "../dockerfile/toolchain.js";
import type { BuildGraph } from "./build-graph.js";
import { execForm } from "../dockerfile/parse.js";
import { runsTests } from "./test-rules.js";
import type { Notes, SpecPath } from "./repo.js";

/** The stage the tests run in, and the build target that builds it (none for the last stage: the whole Dockerfile). */
export interface TestStage {
  facts?: StageFacts;
  target?: string;
  /** Named stages of another toolchain with tests of their own (a frontend builder beside the API's): images of their own. */
  alsoTests?: string[];
}

/** Where init reports: `<context>: ` before each note in a monorepo, and the spec path of the image's target. */
export interface StageReport {
  notes: Notes;
  label: string;
  targetAt: SpecPath;
  /** Where a TODO on the test command goes: it cannot be checked against an image that cannot run the tests. */
  commandAt?: SpecPath;
  /** The compose file a target came from. */
  composeFile?: string;
  /** Whether a stage's chain copies test files of the context: a rival of another toolchain that does is tested too. */
  hasOwnTests?: (f: StageFacts) => boolean;
  /** Whether a stage's image holds the context's test files (copied in, or with a stage's whole copy of the repository). */
  holdsTests?: (f: StageFacts) => boolean;
  /** A stage chosen already (one of `alsoTests`): taken as it is. */
  forced?: string;
  /** The ecosystems of the manifests at the top of the context: of stages as good, one of these is the project's own. */
  mainEcosystems?: readonly string[];
  /** The target is the compose test service's (it runs the tests there): taken as it is. */
  fromTestService?: boolean;
}

/** The start of the TODO on a test command that no stage of the image can run yet. */
export const NO_STAGE_CAN_RUN = "no stage of the image can run the tests yet";

/** Stage names that say the stage is for the tests, then for development. */
const TEST_NAME = /^(test|tests|testing|ci|unit-?tests?)$/i;
const DEV_NAME = /^(dev|devel|develop|development)$/i;
/**
 * A stage built on compose's target whose name ends as the tests' do (`django-unittests`):
 * TEST_NAME as a suffix, not another kind of tests' (`e2e-test`, `integration-tests`).
 */
const TEST_STAGE = /(^|[-_.])(unit-?)?(tests?|testing)$/i;
const OTHER_TESTS = /e2e|integration|acceptance|smoke|load|perf|system|browser|ui-?tests?$/i;

/** Whether the stage has a toolchain init knows (a JDK, cargo, node...). */
const knownToolchain = (f: StageFacts) => [...f.tools].some((t) => ecosystemOf(t) !== undefined);

/** A stage that can run the tests: the code, and a toolchain (known, or a base image init does not know). */
const canTest = (f: StageFacts) => f.code && (knownToolchain(f) || f.unknownBase !== undefined);

/**
 * How good a stage is for running the tests; 0 for one that cannot. A stage named for tests, then
 * for development; then the last stage (the whole Dockerfile); then a stage where the code and a
 * toolchain come together (the builder), not one that only inherits them. A known toolchain
 * before an unknown base image.
 */
function score(f: StageFacts, last: Stage): number {
  if (!canTest(f)) return 0;
  const name = f.stage.name ?? "";
  const tier = TEST_NAME.test(name) || startsTests(f.stage) ? 4 : DEV_NAME.test(name) ? 3 : f.stage === last ? 2 : f.adds ? 1 : 0;
  return tier * 2 + (knownToolchain(f) ? 1 : 0);
}

/** Of the best-scored stages, the last; one of the context's own ecosystem first (the Gradle build at the top, not its UI's builder). */
function bestOf(ranked: readonly { f: StageFacts; score: number }[], report: StageReport): StageFacts | undefined {
  const top = Math.max(0, ...ranked.map((r) => r.score));
  const tied = ranked.filter((r) => r.score === top).map((r) => r.f);
  const main = tied.filter((f) => f.ecosystems.some((e) => report.mainEcosystems?.includes(e)));
  return (main.length ? main : tied).pop();
}

/** Whether the stage's own ENTRYPOINT or CMD runs the tests (`ENTRYPOINT ["dotnet", "test"]`): a test runner's image. */
function startsTests(stage: Stage): boolean {
  return stage.body.some((i) => {
    if (i.op !== "ENTRYPOINT" && i.op !== "CMD") return false;
    const words = execForm(i.args.trim());
    return runsTests(words === undefined ? i.args : words.join(" "));
  });
}

/** `'builder' (FROM maven:3)`, or `stage 2 (FROM golang:1.22)` for one without a name. */
export const describeStage = (s: Stage): string => `${s.name ? `'${s.name}'` : `stage ${s.index}`} (FROM ${s.from || "?"})`;

/**
 * The stage of a multi-stage build the tests run in: the compose file's target when it names a
 * stage whose chain copies the code; else the best stage by `score`. Two equally good stages, a
 * compose target not taken, or no stage that can run the tests: a TODO at the image's target.
 */
export function chooseTestStage(graph: BuildGraph, composeTarget: string | undefined, report: StageReport): TestStage {
  const { stages, facts } = graph;
  const last = stages[stages.length - 1];
  if (!last) return {};
  const { notes, label, targetAt } = report;
  const forced = report.forced === undefined ? undefined : stageNamed(stages, report.forced, false);
  if (forced) {
    notes.found.push(`${label}test stage: ${describeStage(forced)}, another toolchain's tests in the same Dockerfile`);
    return { facts: facts[forced.index], target: forced === last ? undefined : forced.name };
  }
  const named = composeTarget === undefined ? undefined : stageNamed(stages, composeTarget, false);
  const onTarget = named && !report.fromTestService ? testsOnTarget(graph, named, report) : undefined;
  if (onTarget) return onTarget;
  // Compose runs the app's stage; when it holds the code but no test file, a stage of its toolchain that holds them is the tests'.
  const own = named && !report.fromTestService ? facts[named.index]! : undefined;
  const holders =
    own?.code && report.holdsTests && !report.holdsTests(own)
      ? facts.filter((f) => f.code && (f.stage === last || f.stage.name) && report.holdsTests!(f) && f.ecosystems.some((e) => own.ecosystems.includes(e)))
      : [];
  const holder = bestOf(
    holders.map((f) => ({ f, score: score(f, last) })),
    report,
  );
  if (holder) {
    notes.found.push(
      `${label}${report.composeFile} builds target '${composeTarget}', which holds no test file: the tests run in ${describeStage(holder.stage)}, which does`,
    );
    return { facts: holder, target: holder.stage === last ? undefined : holder.stage.name };
  }
  if (named && facts[named.index]!.code) {
    notes.found.push(`${label}build target from ${report.composeFile}: ${named.name}`);
    return { facts: facts[named.index], target: named === last ? undefined : named.name };
  }
  const able = facts.map((f) => ({ f, score: score(f, last) })).filter((r) => r.score > 0);
  // The tests run where they are: of the same toolchain, a stage that holds them before one that
  // copies only some of the code (`manage.py` next to a venv built in the stage that has them all).
  const first = bestOf(able, report);
  const holding =
    first && report.holdsTests && !report.holdsTests(first)
      ? able.filter((r) => report.holdsTests!(r.f) && r.f.ecosystems.some((e) => first.ecosystems.includes(e)))
      : [];
  const ranked = holding.length ? holding : able;
  const top = Math.max(0, ...ranked.map((r) => r.score));
  const best = bestOf(ranked, report);
  if (composeTarget !== undefined) {
    const why = named ? "copies none of the code (only files from other stages, or none)" : `is not a stage of ${graph.settings.dockerfile}`;
    const instead = best
      ? `the tests run in ${describeStage(best.stage)}, which has the toolchain and the code`
      : "no other stage has the toolchain and the code";
    if (!best && named) {
      notes.todo.push({
        at: targetAt,
        text: `${report.composeFile} builds target '${composeTarget}', which ${why}; kept, but ${instead}: check where the tests can run`,
      });
      return { facts: facts[named.index], target: named === last ? undefined : named.name };
    }
    notes.todo.push({ at: targetAt, text: `${report.composeFile} builds target '${composeTarget}', which ${why}: ${instead}` });
  }
  if (!best) return withoutTestStage(graph, report);
  const alsoTests = noteChoice(
    graph,
    best,
    ranked.filter((r) => r.score === top && r.f !== best).map((r) => r.f),
    report,
  );
  const also = alsoTests.length ? { alsoTests } : {};
  if (best.stage !== last && !best.stage.name) {
    notes.todo.push({ at: targetAt, text: `the tests can run in ${describeStage(best.stage)}, which has no name: name it (AS test) and set target: to it` });
    return { facts: best, ...also };
  }
  return { facts: best, target: best.stage === last ? undefined : best.stage.name, ...also };
}

/**
 * A stage built on the one compose builds (`FROM release AS unittests`) and named for the tests:
 * the app's image with its tests, the tests' stage.
 */
function testsOnTarget(graph: BuildGraph, target: Stage, { notes, label, composeFile, targetAt }: StageReport): TestStage | undefined {
  const { stages, facts } = graph;
  const found = facts.filter(
    (f) =>
      f.stage !== target &&
      TEST_STAGE.test(f.stage.name ?? "") &&
      !OTHER_TESTS.test(f.stage.name ?? "") &&
      chainOf(stages, f.stage.index).some((s) => s.index === target.index),
  );
  // The nearest to the target: a later one is built on it (or another kind of test).
  const pick = found[0];
  if (!pick) return undefined;
  notes.found.push(`${label}test stage: ${describeStage(pick.stage)}, built on the target ${composeFile} builds (${target.name}) and named for the tests`);
  if (found.length > 1)
    notes.todo.push({
      at: targetAt,
      text: `stages ${found.map((f) => f.stage.name).join(", ")} are built on ${target.name} and named for the tests: ${pick.stage.name} is taken; check which runs the unit tests`,
    });
  return { facts: pick, target: pick.stage === stages.at(-1) ? undefined : pick.stage.name };
}

/**
 * No stage has both a toolchain and the code: the nearest one that could run the tests, with a
 * TODO at the target and at the command.
 */
function withoutTestStage(graph: BuildGraph, report: StageReport): TestStage {
  const { stages, facts } = graph;
  const last = stages[stages.length - 1]!;
  const { notes, targetAt } = report;
  // The code reaches no stage (a bind mount gives it to the build's RUN only): the tests can run
  // only where a toolchain is, once the code is copied there; the last stage with one is nearest.
  const tooled = stages.length > 1 ? facts.filter((f) => f.ecosystems.length > 0 && (f.stage === last || f.stage.name)).pop() : undefined;
  if (tooled)
    notes.todo.push({
      at: targetAt,
      text: `no stage has both a toolchain and the project's code: ${describeStage(tooled.stage)} has the toolchain, so the tests would run there once it copies the code (COPY . .); check where they can run`,
    });
  else if (stages.length > 1)
    notes.todo.push({
      at: targetAt,
      text: `no stage has both a toolchain and the project's code: the whole Dockerfile is built; set target: to the stage that can run the tests`,
    });
  // One stage that copies nothing in (development images get the code from a bind mount): the tests run in the image.
  else if (!facts[last.index]!.code)
    notes.todo.push({
      at: targetAt,
      text: `${graph.settings.dockerfile} copies none of the project's code (a bind mount gives it in development): the tests run in the image, so copy the code in (COPY . .)${readsContext(stages, last.index) ? "" : " and install its dependencies there"}`,
    });
  if (report.commandAt && (stages.length > 1 || !facts[last.index]!.code))
    notes.todo.push({
      at: report.commandAt,
      text: `${NO_STAGE_CAN_RUN} (see target): check this command, and the setup it needs (dependencies, a database schema), once one can`,
    });
  if (tooled) return { facts: tooled, target: tooled.stage === last ? undefined : tooled.stage.name };
  return { facts: facts[last.index] };
}

/**
 * What init says of its choice; other stages as good as it (not ones it is built from) are a TODO,
 * but for named ones of another toolchain whose chain copies tests of their own: returned, each
 * is an image of its own.
 */
function noteChoice(graph: BuildGraph, best: StageFacts, rivals: StageFacts[], { notes, label, targetAt, hasOwnTests }: StageReport): string[] {
  if (graph.stages.length > 1) {
    const tools = [...best.tools].filter((t) => ecosystemOf(t)).join(", ") || `the tools of ${best.unknownBase}`;
    notes.found.push(`${label}test stage: ${describeStage(best.stage)}, with ${tools} and the code`);
  }
  // A stage the chosen one is built on, or copies from with the same toolchain, is part of it; one it
  // only copies artifacts from with another toolchain (a frontend builder) has tests of its own.
  const chain = new Set(chainOf(graph.stages, best.stage.index).map((s) => s.index));
  const needed = new Set(dependenciesOf(graph.stages, best.stage.index).map((s) => s.index));
  const sameTools = (r: StageFacts) => r.ecosystems.every((e) => best.ecosystems.includes(e));
  const rest = rivals.filter((r) => !chain.has(r.stage.index) && !(needed.has(r.stage.index) && sameTools(r)));
  const apart = (r: StageFacts) => r.ecosystems.length > 0 && r.ecosystems.every((e) => !best.ecosystems.includes(e));
  const own = rest.filter((r) => r.stage.name !== undefined && apart(r) && hasOwnTests?.(r));
  const others = rest.filter((r) => !own.includes(r));
  if (others.length) {
    notes.todo.push({
      at: targetAt,
      text: `${others.map((o) => describeStage(o.stage)).join(" and ")} could run the tests as well as ${describeStage(best.stage)}: ${best.stage.name ?? "the last stage"} chosen; set target: to the other if its tests are the ones to run, or add an image with that target to run both`,
    });
  }
  return own.map((o) => o.stage.name!);
}
