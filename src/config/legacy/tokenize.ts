/**
 * Splits an original ISLET `.conf` file into statements (one per logical
 * line) of shell words, the way bash would read them, without running
 * anything. Every construct that bash would *execute* (command substitution,
 * arithmetic, `;`, `|`, `&`, redirections, subshells, functions) marks its
 * statement as refused; the scanner then carries on so that later lines are
 * still read and quote state stays in step with bash.
 *
 * Words keep their parts (literal text, quoted or not, and `$NAME`
 * references) so that the parser can recognise `NAME=value` and expand
 * references left to right, as bash does.
 */
import type { ErrorCode } from '../../core/codes.ts';
import { clip } from './values.ts';

export interface LitPart { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean }
export interface VarPart { readonly kind: 'var'; readonly name: string; readonly line: number; readonly col: number }
export type Part = LitPart | VarPart;

export interface Word { readonly parts: readonly Part[]; readonly line: number; readonly col: number }

export interface Problem {
  readonly severity: 'critical' | 'warning';
  readonly code: ErrorCode;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface Statement {
  readonly words: Word[];
  readonly line: number;
  /** The first critical problem: the whole statement is discarded. */
  refused?: Problem;
  readonly warnings: Problem[];
}

/** After this many refused statements the rest of the file is not read (the parser says so). */
export const maxRefusals = 100;

const META = new Set([';', '&', '|', '<', '>', '(', ')']);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPECIAL_PARAM = new Set(['@', '*', '#', '?', '$', '!', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Longest `${…}` looked at; names are never near this long. */
const MAX_BRACED = 256;
/** Longest `$(…)` skipped over as a whole, and how many per statement. */
const MAX_SKIP = 4096;
const MAX_SKIPS_PER_STATEMENT = 16;
const NEVER_RUN = 'ISLET reads configuration files as data and never runs them';

function metaMessage(c: string, next: string | undefined): string {
  if (c === ';') return `\`;\` would start a second command; ${NEVER_RUN}`;
  if (c === '&') return next === '&' ? `\`&&\` would run a second command; ${NEVER_RUN}` : `\`&\` would run a command in the background; ${NEVER_RUN}`;
  if (c === '|') return next === '|' ? `\`||\` would run a second command; ${NEVER_RUN}` : `\`|\` would start a pipeline; ${NEVER_RUN}`;
  if (c === '<' || c === '>') return `\`${c}\` is a redirection; ${NEVER_RUN}`;
  if (c === '(' && next === ')') return `\`()\` would define a function; ${NEVER_RUN}`;
  return `\`${c}\` (subshell or array) is not supported; ${NEVER_RUN}`;
}

export function tokenize(source: string): Statement[] {
  // CRLF files are common when configs were edited on Windows; bash would
  // keep the CR in every value, which is never what the author meant.
  const text = source.includes('\r\n') ? source.replace(/\r\n/g, '\n') : source;
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let refusals = 0;
  const out: Statement[] = [];

  const col = (at: number) => at - lineStart + 1;
  /** Moves i forward to `to`, keeping line/lineStart in step with any newline passed. */
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) { line++; lineStart = k + 1; }
    i = to;
  };

  let st: Statement = { words: [], line: 1, warnings: [] };
  /** The first quote of the current statement whose string spans a newline: the usual culprit of an unbalanced quote. */
  let firstMultiline: { line: number; col: number; index: number; quote: string } | undefined;
  let skips = 0;
  const refuse = (code: ErrorCode, l: number, c: number, message: string) => {
    if (!st.refused) st.refused = { severity: 'critical', code, line: l, col: c, message };
  };
  const warn = (code: ErrorCode, l: number, c: number, message: string) => {
    if (st.warnings.length < 20) st.warnings.push({ severity: 'warning', code, line: l, col: c, message });
  };

  /**
   * Index after the `)` that closes the `(` at `open`, honouring quotes; the end of
   * the line when unbalanced or too far away (keeps hostile input linear).
   */
  const skipParens = (open: number): number => {
    let depth = 0;
    const limit = Math.min(n, open + MAX_SKIP);
    for (let k = open; k < limit; k++) {
      const c = text[k];
      if (c === '\\') { k++; continue; }
      if (c === '(') depth++;
      else if (c === ')') { if (--depth === 0) return k + 1; }
      else if (c === "'" || c === '"') {
        const close = c === "'" ? text.indexOf("'", k + 1) : findDoubleClose(text, k + 1, limit);
        if (close === -1 || close >= limit) break;
        k = close;
      }
    }
    const eol = text.indexOf('\n', open);
    return eol === -1 ? n : eol;
  };

  /** What was read of a word whose quote never closes (kept so the statement can still be named). */
  type Unterminated = { readonly unterminated: true; readonly line: number; readonly col: number; readonly index: number; readonly quote: string; readonly word: Word };

  /** Reads one word starting at i. */
  const readWord = (): Word | Unterminated => {
    const parts: Part[] = [];
    const wLine = line;
    const wCol = col(i);
    let buf = '';
    let bufQuoted = false;
    const flush = () => { if (buf) parts.push({ kind: 'lit', text: buf, quoted: bufQuoted }); buf = ''; };
    const lit = (s: string, quoted: boolean) => { if (quoted !== bufQuoted) { flush(); bufQuoted = quoted; } buf += s; };
    const nul = () => refuse('CONFIG_SYNTAX', line, col(i), `NUL byte at column ${col(i)}: this is not a text file`);

    const readDollar = (quoted: boolean) => {
      const l = line;
      const c0 = col(i);
      const d = text[i + 1];
      if (d === '(') {
        const arith = text[i + 2] === '(';
        refuse('CONFIG_FORBIDDEN', l, c0, arith
          ? `arithmetic expansion $((…)) at column ${c0} is refused; ${NEVER_RUN}`
          : `command substitution $(…) at column ${c0} is refused; ${NEVER_RUN}`);
        // Skip the whole $(…) so its quotes do not upset ours; past a few per statement just step over `$(`.
        if (skips++ < MAX_SKIPS_PER_STATEMENT) advance(skipParens(i + 1));
        else i += 2;
        return;
      }
      if (d === '[') {
        refuse('CONFIG_FORBIDDEN', l, c0, `arithmetic expansion $[…] at column ${c0} is refused; ${NEVER_RUN}`);
        i += 2;
        return;
      }
      if (d === '{') {
        // Look for the } on this line, within a sane distance (keeps long lines linear).
        let close = -1;
        for (let k = i + 2; k < n && k < i + 2 + MAX_BRACED; k++) {
          const ch = text[k];
          if (ch === '}') { close = k; break; }
          if (ch === '\n') break;
        }
        if (close === -1) {
          refuse('CONFIG_SYNTAX', l, c0, `\${ at column ${c0} has no closing }`);
          i += 2;
          return;
        }
        const inner = text.slice(i + 2, close);
        if (NAME.test(inner)) parts.push(flushThen({ kind: 'var', name: inner, line: l, col: c0 }));
        else refuse('CONFIG_FORBIDDEN', l, c0, `\${${clip(inner, 30)}} at column ${c0} is not supported: only $NAME and \${NAME} are expanded`);
        i = close + 1;
        return;
      }
      if (d !== undefined && NAME_START.test(d)) {
        let k = i + 2;
        while (k < n && NAME_CHAR.test(text[k]!)) k++;
        parts.push(flushThen({ kind: 'var', name: text.slice(i + 1, k), line: l, col: c0 }));
        i = k;
        return;
      }
      if (d !== undefined && SPECIAL_PARAM.has(d)) {
        warn('CONFIG_INVALID', l, c0, `$${d} at column ${c0} is a shell special parameter; it is kept as the literal text "$${d}"`);
        lit('$' + d, quoted);
        i += 2;
        return;
      }
      if (!quoted && (d === "'" || d === '"')) {
        refuse('CONFIG_SYNTAX', l, c0, `$${d}…${d} quoting at column ${c0} is not supported; use plain ${d === "'" ? 'single' : 'double'} quotes`);
        lit('$', false);
        i++;
        return;
      }
      lit('$', quoted);
      i++;
    };
    const flushThen = (p: VarPart): VarPart => { flush(); return p; };

    while (i < n) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || META.has(c)) break;
      if (c === '\\') {
        const d = text[i + 1];
        if (d === undefined) { lit('\\', false); i++; continue; }
        if (d === '\n') { i += 2; line++; lineStart = i; continue; }
        if (d === '\0') { i++; nul(); i++; continue; }
        lit(d, true);
        i += 2;
        continue;
      }
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close === -1) { flush(); return { unterminated: true, line, col: col(i), index: i, quote: "'", word: { parts, line: wLine, col: wCol } }; }
        const body = text.slice(i + 1, close);
        if (body.includes('\0')) nul();
        if (!firstMultiline && body.includes('\n')) firstMultiline = { line, col: col(i), index: i, quote: "'" };
        lit(body, true);
        advance(close + 1);
        continue;
      }
      if (c === '"') {
        const qLine = line;
        const qCol = col(i);
        const qIndex = i;
        i++;
        let closed = false;
        while (i < n) {
          const q = text[i]!;
          if (q === '"') { i++; closed = true; break; }
          if (q === '\\') {
            const d = text[i + 1];
            if (d === '\\' || d === '"' || d === '$' || d === '`') { lit(d, true); i += 2; continue; }
            if (d === '\n') { i += 2; line++; lineStart = i; continue; }
            lit('\\', true);
            i++;
            continue;
          }
          if (q === '$') { readDollar(true); continue; }
          if (q === '`') {
            refuse('CONFIG_FORBIDDEN', line, col(i), `command substitution \`…\` at column ${col(i)} is refused; ${NEVER_RUN}`);
            lit('`', true);
            i++;
            continue;
          }
          if (q === '\n') { lit('\n', true); i++; line++; lineStart = i; continue; }
          if (q === '\0') nul();
          lit(q, true);
          i++;
        }
        if (!closed) { flush(); return { unterminated: true, line: qLine, col: qCol, index: qIndex, quote: '"', word: { parts, line: wLine, col: wCol } }; }
        if (!firstMultiline && line !== qLine) firstMultiline = { line: qLine, col: qCol, index: qIndex, quote: '"' };
        continue;
      }
      if (c === '$') { readDollar(false); continue; }
      if (c === '`') {
        refuse('CONFIG_FORBIDDEN', line, col(i), `command substitution \`…\` at column ${col(i)} is refused; ${NEVER_RUN}`);
        const close = text.indexOf('`', i + 1);
        i = close !== -1 && !text.slice(i + 1, close).includes('\n') ? close + 1 : i + 1;
        continue;
      }
      if (c === '\0') { nul(); i++; continue; }
      lit(c, false);
      i++;
    }
    flush();
    return { parts, line: wLine, col: wCol };
  };

  while (i < n) {
    st = { words: [], line, warnings: [] };
    firstMultiline = undefined;
    skips = 0;
    while (i < n) {
      const c = text[i]!;
      if (c === '\n') { i++; line++; lineStart = i; break; }
      if (c === ' ' || c === '\t') { i++; continue; }
      if (c === '#') {
        const eol = text.indexOf('\n', i);
        i = eol === -1 ? n : eol;
        continue;
      }
      if (c === '\\' && text[i + 1] === '\n') { i += 2; line++; lineStart = i; continue; }
      if (META.has(c)) {
        refuse('CONFIG_FORBIDDEN', line, col(i), `${metaMessage(c, text[i + 1])} (column ${col(i)})`);
        i++;
        continue;
      }
      const w = readWord();
      if ('unterminated' in w) {
        st.words.push(w.word);
        // Bash pairs quotes blindly, so a stray quote earlier in the statement shows up as
        // an unclosed one further down; blame the first quote that swallowed a newline.
        const culprit = firstMultiline ?? w;
        const q = (x: { quote: string }) => (x.quote === '"' ? 'double' : 'single');
        const also = culprit !== w ? ` (read as bash would, it closes on a later line and the ${q(w)} quote at line ${w.line} column ${w.col} is the one left open)` : '';
        st.refused = {
          severity: 'critical', code: 'CONFIG_SYNTAX', line: culprit.line, col: culprit.col,
          message: `unterminated ${q(culprit)} quote opened at line ${culprit.line} column ${culprit.col}${also}`,
        };
        // Resume at the line after that quote: bash would have swallowed the rest of
        // the file, but reading on lets the loader report (and keep) later lines.
        const eol = text.indexOf('\n', culprit.index);
        if (eol === -1) i = n;
        else { line = culprit.line + 1; i = eol + 1; lineStart = i; }
        break;
      }
      st.words.push(w);
    }
    if (st.words.length > 0 || st.refused || st.warnings.length > 0) out.push(st);
    // The parser reports the cut-off; stopping here bounds the work spent on hopeless input.
    if (st.refused && ++refusals > maxRefusals) break;
  }
  return out;
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

/** `$NAME`-style rendering of a word, for messages. */
export function wordText(w: Word): string {
  return w.parts.map((p) => (p.kind === 'var' ? `$${p.name}` : p.text)).join('');
}
