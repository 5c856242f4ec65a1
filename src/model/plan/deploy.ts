import type { DeployRule, Matcher } from "../../spec/types.js";
import type { ConditionShape, FilterShape } from "../circleci.js";

/** CircleCI filter syntax: exact names as they are, regexes between slashes. */
export function filterValue(m: Matcher): string {
  return "exact" in m ? m.exact : `/${m.regex}/`;
}

/** Whether this build deploys by these rules: their branches or tags as a `when` condition. */
export function deployCondition(rules: DeployRule[]): ConditionShape {
  const conds: ConditionShape[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const value = r.tags.length ? "<< pipeline.git.tag >>" : "<< pipeline.git.branch >>";
    for (const m of r.tags.length ? r.tags : r.branches) {
      const c: ConditionShape = "exact" in m ? { equal: [m.exact, value] } : { matches: { pattern: `^(?:${m.regex})$`, value } };
      const key = JSON.stringify(c);
      if (!seen.has(key)) {
        seen.add(key);
        conds.push(c);
      }
    }
  }
  return conds.length === 1 ? conds[0]! : { or: conds };
}

export function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The branches and tags no rule deploys: every branch but the rules' (CircleCI runs a job for no tag unless its filters name it). */
export function nonDeployFilters(rules: readonly DeployRule[]): FilterShape | undefined {
  const branches = uniq(rules.flatMap((r) => r.branches.map(filterValue)));
  return branches.length ? { branches: { ignore: branches } } : undefined;
}

/** The branches and tags some rule deploys. */
export function deployFilters(rules: readonly DeployRule[]): FilterShape {
  const branches = uniq(rules.flatMap((r) => r.branches.map(filterValue)));
  const tags = uniq(rules.flatMap((r) => r.tags.map(filterValue)));
  return { branches: branches.length ? { only: branches } : { ignore: ["/.*/"] }, ...(tags.length ? { tags: { only: tags } } : {}) };
}
