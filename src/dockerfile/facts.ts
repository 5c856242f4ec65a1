import { isCodeSource } from "./code.js";
import { copySources, runCommand, splitFlags } from "./parse.js";
import { copiesRepositoryFrom } from "./code-root.js";
import { chainOf, stageNamed, type Stage } from "./stages.js";
import { baseImage, copiedTools, ecosystemOf, runTools, type Ecosystem, type Tool } from "./toolchain.js";

/** What a stage's image holds, as far as running tests goes. */
export interface Toolchain {
  /** The tools the stage has: its base image's, installed or run by its RUN lines, copied in from images. */
  tools: Set<Tool>;
  /** Their ecosystems, the base image's first. */
  ecosystems: Ecosystem[];
  /** A base image init does not know (a custom image): its tools are not known. */
  unknownBase?: string;
  /** The chain copies the project's code from the context (`COPY . .`, `COPY src ./src`). */
  code: boolean;
}

export interface StageFacts extends Toolchain {
  stage: Stage;
  /** The base is a runtime only (scratch, distroless, a JRE, a web server). */
  runtime: boolean;
  /** The stage itself adds the code or a tool (not only inherits them from the stage it is built on). */
  adds: boolean;
}

export interface FactsOptions {
  /** Whether a copied context path is code; default by its name. */
  isCode?: (src: string) => boolean;
  /** A base image this repository builds (`FROM myorg/app-base`): its toolchain, when known. */
  base?: (from: string) => Toolchain | undefined;
}

/** Each stage's toolchain and code, following the chain of stages (`FROM builder AS test` inherits both). */
export function stageFacts(stages: readonly Stage[], options: FactsOptions = {}): StageFacts[] {
  const isCode = options.isCode ?? ((src: string) => isCodeSource(src));
  const out: StageFacts[] = [];
  for (const stage of stages) {
    const inherited = stage.parent === undefined ? fromImage(stage.from, options) : out[stage.parent]!;
    const own = [...new Set([...ownTools(stage), ...prefixTools(stages, stage, out)])];
    const copiesCode =
      stage.body.some((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args) ?? []).some(isCode)) || copiesCodeFrom(stages, stage, isCode);
    const tools = new Set([...inherited.tools, ...own]);
    const ecosystems = [...inherited.ecosystems];
    for (const t of own) {
      const e = ecosystemOf(t);
      if (e && !ecosystems.includes(e)) ecosystems.push(e);
    }
    out.push({
      stage,
      tools,
      ecosystems,
      unknownBase: inherited.unknownBase,
      code: inherited.code || copiesCode,
      runtime: stage.parent === undefined ? baseImage(stage.from).kind === "runtime" : out[stage.parent]!.runtime,
      adds: copiesCode || own.some((t) => !inherited.tools.has(t)),
    });
  }
  return out;
}

/**
 * Whether a stage gets the repository from an earlier stage (`COPY --from=build /app /app`) that
 * still has what the tests need: not one that pruned its dependencies to production ones
 * (`npm prune --omit=dev`, `composer install --no-dev`), whose copy would test without them.
 */
function copiesCodeFrom(stages: readonly Stage[], stage: Stage, isCode: (src: string) => boolean): boolean {
  return stage.body.some((ins) => {
    if (!copiesRepositoryFrom(stages, stage, ins, isCode)) return false;
    const from = splitFlags(ins.args).flags.find(([n]) => n === "from")![1];
    const source = stageNamed(stages.slice(0, stage.index), from)!;
    const runs = chainOf(stages, source.index).flatMap((s) => s.body.filter((i) => i.op === "RUN").map((i) => runCommand(i.args)));
    return !runs.some((r) => PRODUCTION_ONLY.test(r));
  });
}

/** Installs that leave the development and test dependencies out, or remove them. */
const PRODUCTION_ONLY = /\b(npm|pnpm|yarn)\s+prune\b|--omit[= ]dev\b|--production\b|--prod\b|--no-dev\b|--only[= ]main\b|--without[= ](dev|test)/;

/** The toolchain of a base image: one the repository builds, else what the image is known to hold. */
function fromImage(from: string, options: FactsOptions): Toolchain {
  const built = options.base?.(from);
  if (built) return built;
  const image = baseImage(from);
  return {
    tools: new Set(image.tools),
    ecosystems: image.ecosystem ? [image.ecosystem] : [],
    unknownBase: image.kind === "unknown" ? from : undefined,
    code: false,
  };
}

/** The tools a stage's own instructions install, run or copy in from another image. */
function ownTools(stage: Stage): Tool[] {
  const tools = new Set<Tool>();
  for (const ins of stage.body) {
    if (ins.op === "RUN") runTools(runCommand(ins.args)).forEach((t) => tools.add(t));
    if (ins.op === "COPY" && /--from[= ]/.test(ins.args)) {
      const parts = splitFlags(ins.args).rest.split(/\s+/);
      copiedTools(parts.slice(0, -1)).forEach((t) => tools.add(t));
    }
  }
  return [...tools];
}

/**
 * The tools a `COPY --from=<stage>` of the install prefix brings (`COPY --from=build-ruby /usr/local
 * /usr/local`, or its bin or lib folder): what that stage built or unpacked there (a Ruby compiled
 * from source, Node from its tarball). Packages of the system's package manager live elsewhere,
 * but the source stage's toolchain is what such a copy is for.
 */
function prefixTools(stages: readonly Stage[], stage: Stage, earlier: readonly StageFacts[]): Tool[] {
  return stage.body.flatMap((ins) => {
    if (ins.op !== "COPY") return [];
    const { flags, rest } = splitFlags(ins.args);
    const from = flags.find(([n]) => n === "from")?.[1];
    const source = from === undefined ? undefined : stageNamed(stages.slice(0, stage.index), from);
    const paths = rest.split(/\s+/).slice(0, -1);
    // The prefix itself or its bin/lib folders: not an app or a virtualenv copied from under it.
    return source && paths.some((p) => /^\/usr\/local(\/(bin|lib|sbin))?\/?$/.test(p)) ? [...(earlier[source.index]?.tools ?? [])] : [];
  });
}

/** The instructions of a stage and the stages it is built on, first base first: what made its image. */
export const chainInstructions = (stages: readonly Stage[], index: number) => chainOf(stages, index).flatMap((s) => s.body);
