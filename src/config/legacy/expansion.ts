/**
 * Where bash would expand: a `$` anywhere in a word, and the body of a double-quoted string (the one quote
 * inside which `$` still expands). `$NAME` and `${NAME}` become variable parts; what bash would *run*
 * there (`$(…)`, `$((…))`, `$[…]`, backquotes) refuses the statement, and is skipped over so that quote
 * state stays in step with bash. In a flag string (LexOptions.dollar `text`) `$` is text except `$(…)`/`$[…]`.
 *
 * Contract: these read the text through a Cursor (the Lexer of tokenize.ts), starting at its index `i`
 * and leaving `i` after what they read, with `line`/`lineStart` kept in step with every newline passed.
 */
import type { ErrorCode } from '../../core/codes.ts';
import { clip } from './values.ts';
import type { Unterminated, WordParts } from './word.ts';

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPECIAL_PARAM = new Set(['@', '*', '#', '?', '$', '!', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Longest `${…}` looked at; names are never near this long. */
const MAX_BRACED = 256;
/** Longest `$(…)` skipped over as a whole, and how many per statement. */
const MAX_SKIP = 4096;
const MAX_SKIPS_PER_STATEMENT = 16;
export const NEVER_RUN = 'ISLET reads configuration files as data and never runs them';

/** What the `$` and double-quote rules need of the Lexer (tokenize.ts), which implements it. */
export interface Cursor {
  /** LexOptions.dollar (tokenize.ts). */
  readonly o: { readonly dollar: 'expand' | 'text' };
  readonly text: string;
  readonly n: number;
  i: number;
  line: number;
  lineStart: number;
  /** `$(…)` skipped over as a whole in the current statement (at most MAX_SKIPS_PER_STATEMENT). */
  skips: number;
  /** The first quote of the current statement whose string spans a newline. */
  firstMultiline: { line: number; col: number; index: number; quote: string } | undefined;
  col(at: number): number;
  advance(to: number): void;
  refuse(code: ErrorCode, l: number, c: number, message: string): void;
  warn(code: ErrorCode, l: number, c: number, message: string): void;
  nul(): void;
}

/** A double-quoted string starting at i (`$` expands, backslash escapes only \\ " $ `), or what was read of it when it never closes. */
export function doubleQuoted(lx: Cursor, w: WordParts, wLine: number, wCol: number): Unterminated | undefined {
  const qLine = lx.line;
  const qCol = lx.col(lx.i);
  const qIndex = lx.i;
  lx.i++;
  let closed = false;
  while (lx.i < lx.n) {
    const q = lx.text[lx.i]!;
    if (q === '"') {
      lx.i++;
      closed = true;
      break;
    }
    if (q === '\\') {
      const d = lx.text[lx.i + 1];
      if (d === '\\' || d === '"' || d === '$' || d === '`') {
        w.lit(d, true);
        lx.i += 2;
        continue;
      }
      if (d === '\n') {
        lx.i += 2;
        lx.line++;
        lx.lineStart = lx.i;
        continue;
      }
      w.lit('\\', true);
      lx.i++;
      continue;
    }
    if (q === '$') {
      readDollar(lx, w, true);
      continue;
    }
    if (q === '`') {
      lx.refuse('CONFIG_FORBIDDEN', lx.line, lx.col(lx.i), `command substitution \`…\` at column ${lx.col(lx.i)} is refused; ${NEVER_RUN}`);
      w.lit('`', true);
      lx.i++;
      continue;
    }
    if (q === '\n') {
      w.lit('\n', true);
      lx.i++;
      lx.line++;
      lx.lineStart = lx.i;
      continue;
    }
    if (q === '\0') lx.nul();
    w.lit(q, true);
    lx.i++;
  }
  if (!closed) {
    w.flush();
    return { unterminated: true, line: qLine, col: qCol, index: qIndex, quote: '"', word: { parts: w.parts, line: wLine, col: wCol } };
  }
  if (!lx.firstMultiline && lx.line !== qLine) lx.firstMultiline = { line: qLine, col: qCol, index: qIndex, quote: '"' };
  return undefined;
}

/** `$` at i: a variable, or a refusal of command substitution, arithmetic, ${…} forms and $'…' quoting. */
export function readDollar(lx: Cursor, w: WordParts, quoted: boolean): void {
  const l = lx.line;
  const c0 = lx.col(lx.i);
  const d = lx.text[lx.i + 1];
  if (lx.o.dollar === 'text' && d !== '(' && d !== '[') {
    w.lit('$', quoted);
    lx.i++;
    return;
  }
  if (d === '(') {
    const arith = lx.text[lx.i + 2] === '(';
    lx.refuse(
      'CONFIG_FORBIDDEN',
      l,
      c0,
      arith ? `arithmetic expansion $((…)) at column ${c0} is refused; ${NEVER_RUN}` : `command substitution $(…) at column ${c0} is refused; ${NEVER_RUN}`,
    );
    // Skip the whole $(…) so its quotes do not upset ours; past a few per statement just step over `$(`.
    if (lx.skips++ < MAX_SKIPS_PER_STATEMENT) lx.advance(skipParens(lx, lx.i + 1));
    else lx.i += 2;
    return;
  }
  if (d === '[') {
    lx.refuse('CONFIG_FORBIDDEN', l, c0, `arithmetic expansion $[…] at column ${c0} is refused; ${NEVER_RUN}`);
    lx.i += 2;
    return;
  }
  if (d === '{') {
    // Look for the } on this line, within a sane distance (keeps long lines linear).
    let close = -1;
    for (let k = lx.i + 2; k < lx.n && k < lx.i + 2 + MAX_BRACED; k++) {
      const ch = lx.text[k];
      if (ch === '}') {
        close = k;
        break;
      }
      if (ch === '\n') break;
    }
    if (close === -1) {
      lx.refuse('CONFIG_SYNTAX', l, c0, `\${ at column ${c0} has no closing }`);
      lx.i += 2;
      return;
    }
    const inner = lx.text.slice(lx.i + 2, close);
    if (NAME.test(inner)) w.variable({ kind: 'var', name: inner, line: l, col: c0 });
    else lx.refuse('CONFIG_FORBIDDEN', l, c0, `\${${clip(inner, 30)}} at column ${c0} is not supported: only $NAME and \${NAME} are expanded`);
    lx.i = close + 1;
    return;
  }
  if (d !== undefined && NAME_START.test(d)) {
    let k = lx.i + 2;
    while (k < lx.n && NAME_CHAR.test(lx.text[k]!)) k++;
    w.variable({ kind: 'var', name: lx.text.slice(lx.i + 1, k), line: l, col: c0 });
    lx.i = k;
    return;
  }
  if (d !== undefined && SPECIAL_PARAM.has(d)) {
    lx.warn('CONFIG_INVALID', l, c0, `$${d} at column ${c0} is a shell special parameter; it is kept as the literal text "$${d}"`);
    w.lit('$' + d, quoted);
    lx.i += 2;
    return;
  }
  if (!quoted && (d === "'" || d === '"')) {
    lx.refuse('CONFIG_SYNTAX', l, c0, `$${d}…${d} quoting at column ${c0} is not supported; use plain ${d === "'" ? 'single' : 'double'} quotes`);
    w.lit('$', false);
    lx.i++;
    return;
  }
  w.lit('$', quoted);
  lx.i++;
}

/**
 * Index after the `)` that closes the `(` at `open`, honouring quotes; the end of
 * the line when unbalanced or too far away (keeps hostile input linear).
 */
function skipParens(lx: Cursor, open: number): number {
  let depth = 0;
  const limit = Math.min(lx.n, open + MAX_SKIP);
  for (let k = open; k < limit; k++) {
    const c = lx.text[k];
    if (c === '\\') {
      k++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      if (--depth === 0) return k + 1;
    } else if (c === "'" || c === '"') {
      const close = c === "'" ? lx.text.indexOf("'", k + 1) : findDoubleClose(lx.text, k + 1, limit);
      if (close === -1 || close >= limit) break;
      k = close;
    }
  }
  const eol = lx.text.indexOf('\n', open);
  return eol === -1 ? lx.n : eol;
}

/** Index of the `"` closing a double-quoted string whose body starts at `from`; -1 if none. */
function findDoubleClose(text: string, from: number, limit: number): number {
  for (let k = from; k < limit; k++) {
    const c = text[k];
    if (c === '\\') k++;
    else if (c === '"') return k;
  }
  return -1;
}
