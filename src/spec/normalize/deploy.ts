import { Codes } from "../../diagnostics.js";
import { isDockerTag } from "../docker-ref.js";
import { placeholderList, TAG_PLACEHOLDERS } from "../placeholders.js";
import { portableRegexProblem } from "../regex.js";
import type { DeployRule, Matcher, ProjectSpec } from "../types.js";
import type { Reporter } from "./context.js";
import type { ResolveRegistry } from "./registries.js";

const PLACEHOLDERS = TAG_PLACEHOLDERS.map((p) => p.name);

/** `deploy:`: each rule's branches or tags (names or portable regexes), image tags and registry. */
export function normalizeDeploy(raw: ProjectSpec, r: Reporter, resolveRegistry: ResolveRegistry): DeployRule[] {
  const { report } = r;
  const deployRules: DeployRule[] = [];
  const deploy = raw.deploy;
  if (deploy) {
    const defaultRegistry = resolveRegistry(deploy.registry, ["deploy", "registry"], deploy.login);
    (deploy.rules ?? []).forEach((rule, i) => {
      const path = ["deploy", "rules", i];
      if ((rule.branch === undefined) === (rule.tag === undefined)) {
        report(Codes.ruleBranchOrTag, path, "A deploy rule needs exactly one of 'branch:' (a name or /regex/) or 'tag:' (a git tag or /regex/).");
      }
      const branches = matchers(rule.branch, [...path, "branch"]);
      const tags = matchers(rule.tag, [...path, "tag"]);
      // (tags is missing only when it had the wrong shape: reported already by the schema.)
      const imageTags = rule.tags ?? [];
      imageTags.forEach((t, j) => checkTagTemplate(t, [...path, "tags", j], rule.tag !== undefined));
      const registry = rule.registry !== undefined ? resolveRegistry(rule.registry, [...path, "registry"], deploy.login) : defaultRegistry;
      if (registry) deployRules.push({ index: i + 1, branches, tags, imageTags, registry });
    });
  }

  return deployRules;

  function matchers(v: string | string[] | undefined, path: (string | number)[]): Matcher[] {
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((m, i) => {
      const p = Array.isArray(v) ? [...path, i] : path;
      if (m.length >= 2 && m.startsWith("/") && m.endsWith("/")) {
        const body = m.slice(1, -1);
        try {
          new RegExp(body, "u");
        } catch (e) {
          report(
            Codes.invalidRegex,
            p,
            `Invalid regular expression ${m}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, "")}. Fix it, or write the name without slashes for an exact match.`,
          );
          return { regex: body };
        }
        const problem = portableRegexProblem(body);
        if (problem) {
          // Pointed at the construct itself: the column of the character inside the regex.
          report(
            Codes.unsupportedRegex,
            p,
            `${m} ${problem.message}. A deploy regex must mean the same to CircleCI (Java) and to deploy.sh (bash, POSIX ERE).`,
            "value",
            { text: m, offset: 1 + problem.at },
          );
        }
        return { regex: body };
      }
      return { exact: m };
    });
  }

  function checkTagTemplate(t: string, path: (string | number)[], tagRule: boolean) {
    const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !PLACEHOLDERS.includes(p));
    if (unknown.length) {
      report(Codes.invalidTagTemplate, path, `Unknown placeholder {${unknown[0]}} in tag ${JSON.stringify(t)}. Use ${placeholderList()}.`);
      return;
    }
    if (tagRule && t.includes("{branch}")) {
      report(Codes.invalidTagTemplate, path, `{branch} is empty when a git tag is built; use {tag} in a tag rule.`);
    }
    if (!tagRule && t.includes("{tag}")) {
      report(Codes.invalidTagTemplate, path, `{tag} is empty when a branch is built; use it in a rule with 'tag:'.`);
    }
    const sample = t.replace(/\{[^}]*\}/g, "x0");
    if (!isDockerTag(sample)) {
      report(
        Codes.invalidTagTemplate,
        path,
        `Tag ${JSON.stringify(t)} is not a valid docker tag: use letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-').`,
      );
    }
  }
}
