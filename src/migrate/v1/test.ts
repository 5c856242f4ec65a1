import type { V1Config } from "../v1.js";
import { phases } from "./commands.js";
import { type ReadCtx, str } from "./context.js";

/** test: its phases, and minitest_globs (a note: CircleCI 2 splits tests itself). */
export function readTest(ctx: ReadCtx): V1Config["test"] {
  const { rest, ...test } = phases(ctx, "test", ["minitest_globs"]);
  const mg = rest.minitest_globs;
  const minitestGlobs = (Array.isArray(mg) ? mg : mg ? [mg] : []).map(str);
  if (minitestGlobs.length)
    ctx.note(
      ["test", "minitest_globs"],
      "test.minitest_globs",
      "CircleCI 2 splits tests itself: run your tests with `circleci tests glob ... | circleci tests split` and set parallelism.",
    );
  return { ...test, minitestGlobs };
}
