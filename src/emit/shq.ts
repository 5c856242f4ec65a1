/**
 * Quotes a value for bash so that it is always one literal word: single quotes, with each
 * embedded quote closed, escaped and reopened. Newlines stay literal inside single quotes.
 */
export function shq(value: string | number | boolean): string {
  const s = String(value);
  if (s !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}
