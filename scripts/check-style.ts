/**
 * House style a type checker does not see (`npm run lint`):
 * - lines at most 160 characters (code points, so an em dash counts once);
 * - no `eslint-disable` comments: ISLET has no ESLint, such a comment only pretends a rule is checked.
 * Lines wider than 160 that predate the rule are counted per file in scripts/long-lines-baseline.json:
 * a file may only go down from its count (and leaves the list at zero), never up.
 */
import { readFileSync } from 'node:fs';
import type { Violation } from './check-imports.ts';

export const MAX_LINE = 160;

/** Style violations of one file; `allowedLong` is its baseline count of wide lines. */
export function checkStyle(file: string, text: string, allowedLong = 0): Violation[] {
  const out: Violation[] = [];
  const wide: number[] = [];
  text.split('\n').forEach((l, i) => {
    if ([...l].length > MAX_LINE) wide.push(i + 1);
    if (/\/[/*]\s*eslint-disable/.test(l)) out.push({ file, line: i + 1, rule: 'no-eslint-disable', message: 'eslint-disable without ESLint: remove it' });
  });
  if (wide.length > allowedLong) {
    const message = `${wide.length} lines wider than ${MAX_LINE} characters (baseline ${allowedLong}): wrap them`;
    out.push({ file, line: wide[0]!, rule: 'max-line-length', message });
  }
  return out;
}

export function loadBaseline(path: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
