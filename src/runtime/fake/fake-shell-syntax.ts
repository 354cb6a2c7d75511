/**
 * The fake shell's syntax: a line split into raw words (quotes kept, expanded
 * later by fake-shell-expand.ts) and operators.
 */

export type Tok = { op: string } | { word: string };
const OPS = ['2>&1', '>&2', '&&', '||', '>>', '2>', ';', '&', '|', '>', '<', '\n'];

/** Splits a line into raw words (quotes kept, expanded later) and operators. */
export function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    const op = OPS.find((o) => s.startsWith(o, i) && ((o !== '2>' && o !== '2>&1') || i === 0 || /\s/.test(s[i - 1]!)));
    if (op) {
      toks.push({ op });
      i += op.length;
      continue;
    }
    let w = '';
    while (i < s.length && !/[\s;&|<>]/.test(s[i]!)) {
      const end = skipQuoted(s, i);
      w += s.slice(i, end);
      i = end;
    }
    toks.push({ word: w });
  }
  return toks;
}

/** End of the quoted piece, escape or `$(…)` starting at i (or i+1 for a plain character). */
export function skipQuoted(s: string, i: number): number {
  const c = s[i];
  if (c === '\\') return Math.min(s.length, i + 2);
  if (c === "'") {
    const j = s.indexOf("'", i + 1);
    return j < 0 ? s.length : j + 1;
  }
  if (c === '"') {
    let j = i + 1;
    while (j < s.length && s[j] !== '"') j = s[j] === '\\' ? j + 2 : s.startsWith('$(', j) ? closeParen(s, j + 1) : j + 1;
    return Math.min(s.length, j + 1);
  }
  if (c === '$' && s[i + 1] === '(') return closeParen(s, i + 1);
  return i + 1;
}

/** Index after the `)` matching the `(` at i. */
export function closeParen(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j = s[j] === "'" || s[j] === '"' ? skipQuoted(s, j) : j + 1) {
    if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return j + 1;
    if (s[j] === "'" || s[j] === '"') continue;
  }
  return s.length;
}
