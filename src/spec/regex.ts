/**
 * Deploy regexes are read three times: by CircleCI's filters and `when` conditions (Java regular
 * expressions, whole-name match) and by deploy.sh in bash (`[[ $v =~ ^(re)$ ]]`, POSIX ERE). A
 * rule must mean the same in both, so only the subset that does is accepted: literals, `.`,
 * bracket expressions without backslashes or nested brackets, groups `( )`, `|`, `^` `$` and the
 * greedy quantifiers `* + ? {n} {n,} {n,m}`; a backslash only before a character that is special
 * (or `/` and `-`, literal in both). Everything else is refused with the rewrite to use.
 */
export interface RegexProblem {
  /** offset in the regex body */
  at: number;
  message: string;
}

const SPECIAL = new Set([..."\\.[]{}()*+?^$|/-"]);
const CLASS_REWRITE: Record<string, string> = {
  d: "[0-9]",
  D: "[^0-9]",
  w: "[A-Za-z0-9_]",
  W: "[^A-Za-z0-9_]",
  s: "[ ] (or list the blanks you mean)",
};

export function portableRegexProblem(body: string): RegexProblem | undefined {
  let atomBefore = false; // a quantifier needs something to repeat
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    switch (c) {
      case "\\": {
        const n = body[i + 1];
        if (n === undefined) return { at: i, message: "ends with a lone backslash" };
        if (SPECIAL.has(n)) {
          i++;
          atomBefore = true;
          break;
        }
        if (/[1-9]/.test(n))
          return {
            at: i,
            message: `uses the back-reference \\${n}, which CircleCI's Java regexes and bash's POSIX ERE do not read alike: rewrite the rule without it`,
          };
        const rewrite = CLASS_REWRITE[n];
        if (rewrite) return { at: i, message: `uses \\${n}, which bash's POSIX ERE (deploy.sh) does not know: write ${rewrite} instead` };
        return {
          at: i,
          message: `uses \\${n}, which means different things in Java (CircleCI) and POSIX ERE (deploy.sh): write the character itself, or a bracket expression such as [0-9]`,
        };
      }
      case "[": {
        const end = bracketEnd(body, i);
        if (typeof end !== "number") return end;
        i = end;
        atomBefore = true;
        break;
      }
      case "(": {
        if (body[i + 1] === "?") {
          if (body[i + 2] === ":") return { at: i, message: "uses the non-capturing group (?:...), which bash's POSIX ERE does not know: write (...) instead" };
          return {
            at: i,
            message:
              "uses a (?...) group (a lookaround, flag or named group), which bash's POSIX ERE (deploy.sh) does not support: rewrite the rule without it",
          };
        }
        atomBefore = false;
        break;
      }
      case "|":
        atomBefore = false;
        break;
      case "*":
      case "+":
      case "?":
      case "{": {
        let end = i;
        if (c === "{") {
          const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(i));
          if (!m) return { at: i, message: "has a '{' that is not a repeat count such as {2} or {1,3}: write \\{ for the character" };
          end = i + m[0].length - 1;
        }
        if (!atomBefore) return { at: i, message: `has '${c}' with nothing before it to repeat: write \\${c} for the character` };
        const next = body[end + 1];
        if (next === "?" || next === "+") {
          return {
            at: end + 1,
            message: `uses '${body.slice(i, end + 2)}', a lazy or possessive repeat that only Java knows: write '${body.slice(i, end + 1)}'`,
          };
        }
        if (next === "*" || next === "{")
          return { at: end + 1, message: "repeats a repeat, which Java and POSIX ERE read differently: put the inner part in a group (...)" };
        i = end;
        break;
      }
      case ")":
      case "^":
      case "$":
        atomBefore = c === ")";
        break;
      default:
        atomBefore = true;
    }
  }
  return undefined;
}

/** Offset of the `]` closing the bracket expression opened at `start`, or why it is not portable. */
function bracketEnd(body: string, start: number): number | RegexProblem {
  let i = start + 1;
  if (body[i] === "^") i++;
  if (body[i] === "]") i++; // a leading ] is a member in both
  for (; i < body.length; i++) {
    const c = body[i]!;
    if (c === "]") return i;
    if (c === "\\")
      return {
        at: i,
        message:
          "has a backslash inside [...]: POSIX ERE reads it as a backslash, Java as an escape. Put '-' first or last and ']' first instead of escaping them, and leave '\\' out",
      };
    if (c === "[") return { at: i, message: "has '[' inside [...] (a POSIX class such as [:digit:], or a Java union): write the characters out, e.g. [0-9]" };
    if (c === "&" && body[i + 1] === "&") return { at: i, message: "has '&&' inside [...], a Java-only intersection: write the characters out" };
  }
  return { at: start, message: "has a '[' that is never closed" };
}
