/**
 * Deploy regexes are read three times: by CircleCI's filters and `when` conditions (Java regular
 * expressions, whole-name match) and by deploy.sh in bash (`[[ $v =~ ^(re)$ ]]`, POSIX ERE). A
 * rule must mean the same in both, so only the subset that does is accepted: literals, `.`,
 * bracket expressions without backslashes or nested brackets, groups `( )`, `|`, `^` `$` and the
 * greedy quantifiers `* + ? {n} {n,} {n,m}`; a backslash only before a character that is special
 * (or `/` and `-`, literal in both). Everything else is refused with the rewrite to use.
 */
/** Text as a regular expression that matches it literally. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

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

/** Where the scan is: the offset of the last character read, and whether a quantifier may follow it. */
interface Scan {
  i: number;
  atomBefore: boolean;
}

export function portableRegexProblem(body: string): RegexProblem | undefined {
  const scan: Scan = { i: 0, atomBefore: false }; // a quantifier needs something to repeat
  for (; scan.i < body.length; scan.i++) {
    const problem = readToken(body, scan);
    if (problem) return problem;
  }
  return undefined;
}

/** Reads the token at `scan.i` (moving `scan.i` to its last character), or says why it is not portable. */
function readToken(body: string, scan: Scan): RegexProblem | undefined {
  const c = body[scan.i]!;
  switch (c) {
    case "\\":
      return readEscape(body, scan);
    case "[": {
      const end = bracketEnd(body, scan.i);
      if (typeof end !== "number") return end;
      scan.i = end;
      scan.atomBefore = true;
      return undefined;
    }
    case "(":
      return readGroupOpen(body, scan);
    case "*":
    case "+":
    case "?":
    case "{":
      return readRepeat(body, scan);
    case "|":
    case "^":
    case "$":
      scan.atomBefore = false;
      return undefined;
    default: // a literal, `.` or `)`
      scan.atomBefore = true;
      return undefined;
  }
}

/** A backslash: only before a character that is special in both dialects. */
function readEscape(body: string, scan: Scan): RegexProblem | undefined {
  const at = scan.i;
  const n = body[at + 1];
  if (n === undefined) return { at, message: "ends with a lone backslash" };
  if (SPECIAL.has(n)) {
    scan.i++;
    scan.atomBefore = true;
    return undefined;
  }
  if (/[1-9]/.test(n))
    return {
      at,
      message: `uses the back-reference \\${n}, which CircleCI's Java regexes and bash's POSIX ERE do not read alike: rewrite the rule without it`,
    };
  const rewrite = CLASS_REWRITE[n];
  if (rewrite) return { at, message: `uses \\${n}, which bash's POSIX ERE (deploy.sh) does not know: write ${rewrite} instead` };
  return {
    at,
    message: `uses \\${n}, which means different things in Java (CircleCI) and POSIX ERE (deploy.sh): write the character itself, or a bracket expression such as [0-9]`,
  };
}

/** `(`: a plain group; `(?` starts syntax only Java knows. */
function readGroupOpen(body: string, scan: Scan): RegexProblem | undefined {
  const at = scan.i;
  if (body[at + 1] === "?") {
    if (body[at + 2] === ":") return { at, message: "uses the non-capturing group (?:...), which bash's POSIX ERE does not know: write (...) instead" };
    return {
      at,
      message: "uses a (?...) group (a lookaround, flag or named group), which bash's POSIX ERE (deploy.sh) does not support: rewrite the rule without it",
    };
  }
  scan.atomBefore = false;
  return undefined;
}

/** A greedy quantifier `* + ? {n} {n,} {n,m}` after something to repeat, and not followed by another. */
function readRepeat(body: string, scan: Scan): RegexProblem | undefined {
  const i = scan.i;
  const c = body[i]!;
  let end = i;
  if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(i));
    if (!m) return { at: i, message: "has a '{' that is not a repeat count such as {2} or {1,3}: write \\{ for the character" };
    end = i + m[0].length - 1;
  }
  if (!scan.atomBefore) return { at: i, message: `has '${c}' with nothing before it to repeat: write \\${c} for the character` };
  const next = body[end + 1];
  if (next === "?" || next === "+") {
    return {
      at: end + 1,
      message: `uses '${body.slice(i, end + 2)}', a lazy or possessive repeat that only Java knows: write '${body.slice(i, end + 1)}'`,
    };
  }
  if (next === "*" || next === "{")
    return { at: end + 1, message: "repeats a repeat, which Java and POSIX ERE read differently: put the inner part in a group (...)" };
  scan.i = end;
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
