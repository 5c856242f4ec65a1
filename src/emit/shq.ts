/**
 * Quotes a value for bash so that it is always one literal word: single quotes, with each
 * embedded quote closed, escaped and reopened. Newlines stay literal inside single quotes.
 * Always quoted, even when plain: an unquoted `x=test` reads to shellcheck like a command.
 */
export function shq(value: string | number | boolean): string {
  return "'" + String(value).replace(/'/g, `'\\''`) + "'";
}
