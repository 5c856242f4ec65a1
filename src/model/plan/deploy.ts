import type { DeployRule, Matcher } from "../../spec/types.js";
import type { ConditionShape } from "../circleci.js";

/** CircleCI filter syntax: exact names as they are, regexes between slashes. */
export function filterValue(m: Matcher): string {
  return "exact" in m ? m.exact : `/${m.regex}/`;
}

/** Whether this build deploys: the rules' branches or tags as a `when` condition (exports the image only then). */
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
