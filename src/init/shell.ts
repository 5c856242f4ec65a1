/**
 * Reading shell text as the shell splits it: words (quotes and `$(...)` keep their spaces) and
 * simple commands (split at `&&`, `||`, `;`, `|` and line ends outside quotes and `$(...)`).
 */

/** A line's words as the shell splits them: quotes and `$(...)` keep their spaces. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  scan(line, (c, top) => {
    if (top && /\s/.test(c)) {
      if (word) words.push(word);
      word = "";
    } else word += c;
  });
  if (word) words.push(word);
  return words;
}

/** A command's words after its leading assignments (`A=1 B=2 pytest -q` → `pytest -q`). */
export function afterAssignments(words: readonly string[]): string[] {
  const i = words.findIndex((w) => !/^[A-Za-z_]\w*=/.test(w));
  return i === -1 ? [] : words.slice(i);
}

/** A script's simple commands as written (continued lines joined): `a && b || c; d | e` → a, b, c, d, e. */
export function shellCommands(script: string): string[] {
  const out: string[] = [];
  let command = "";
  let last = "";
  const end = () => {
    if (command.trim()) out.push(command.trim());
    command = "";
  };
  scan(script.replace(/\\\r?\n/g, " "), (c, top) => {
    const operator = top && (c === ";" || c === "\n" || c === "|" || (c === "&" && last === "&"));
    if (operator) {
      // The first `&` of `&&` was taken as text: it goes with the operator.
      if (c === "&") command = command.slice(0, -1);
      end();
    } else command += c;
    last = operator ? "" : c;
  });
  end();
  return out;
}

/** Each character, with whether it is outside quotes and `$(...)`. */
function scan(text: string, each: (c: string, top: boolean) => void): void {
  let depth = 0;
  let quote: string | undefined;
  let prev = "";
  for (const c of text) {
    let top = false;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" && prev === "$") depth++;
    else if (c === ")" && depth > 0) depth--;
    else top = depth === 0;
    each(c, top);
    prev = c;
  }
}
