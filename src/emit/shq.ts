/**
 * Quotes a value for bash so that it is always one literal word: single quotes, with each
 * embedded quote closed, escaped and reopened. Newlines stay literal inside single quotes.
 * Always quoted, even when plain: an unquoted `x=test` reads to shellcheck like a command.
 */
/** A word as a shell reads it back: as it is when it holds nothing special (`pytest`, `a/b.py`), else single-quoted. */
export const shellWord = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : shq(word));

export function shq(value: string | number | boolean): string {
  return "'" + String(value).replace(/'/g, `'\\''`) + "'";
}
