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
 *
 * The one shell-word splitter: the `docker run` flags in a value
 * (docker-flags.ts: splitWords) are read by this same Lexer with
 * FLAG_STRING, which differs from a file (CONF_FILE) on purpose in three ways,
 * each an option (LexOptions): `$` is text except `$(…)`/`$[…]` (a flag
 * string's `${SERVER}` placeholders are filled per session, not here);
 * a newline is a blank and a `#` word ends the whole string (one command
 * line, as the original pasted it); and the first refusal ends the reading
 * (the whole string is refused, so nothing after it is worth reading).
 */
import type { ErrorCode } from '../../core/codes.ts';
import { clip } from './values.ts';

export interface LitPart {
  readonly kind: 'lit';
  readonly text: string;
  readonly quoted: boolean;
}
export interface VarPart {
  readonly kind: 'var';
  readonly name: string;
  readonly line: number;
  readonly col: number;
}
export type Part = LitPart | VarPart;

export interface Word {
  readonly parts: readonly Part[];
  readonly line: number;
  readonly col: number;
}

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

/** How a text is split: a whole `.conf` file, or one `docker run` flag string (see the header). */
export interface LexOptions {
  /** `expand`: `$NAME` and `${NAME}` are variable parts, other `$` forms refused or warned about; `text`: only `$(…)` and `$[…]` are refused. */
  readonly dollar: 'expand' | 'text';
  /** `statement`: a newline ends a statement and a `#` comment its line; `blank`: one statement, newlines separate words, `#` ends it. */
  readonly newline: 'statement' | 'blank';
  /** `read-on`: a refused statement is kept and reading goes on; `stop`: the first refusal ends the reading. */
  readonly afterRefusal: 'read-on' | 'stop';
}

export const CONF_FILE: LexOptions = { dollar: 'expand', newline: 'statement', afterRefusal: 'read-on' };
export const FLAG_STRING: LexOptions = { dollar: 'text', newline: 'blank', afterRefusal: 'stop' };

export function tokenize(source: string, options: LexOptions = CONF_FILE): Statement[] {
  return new Lexer(source, options).statements();
}

/** Thrown by a refusal under `afterRefusal: 'stop'`, caught by statements(). */
class Stop extends Error {}

/** What was read of a word whose quote never closes (kept so the statement can still be named). */
type Unterminated = {
  readonly unterminated: true;
  readonly line: number;
  readonly col: number;
  readonly index: number;
  readonly quote: string;
  readonly word: Word;
};

/** A word being read: its parts, and the literal text not yet closed into a part (quoted and unquoted text are kept apart). */
class WordParts {
  readonly parts: Part[] = [];
  #buf = '';
  #quoted = false;
  flush(): void {
    if (this.#buf) this.parts.push({ kind: 'lit', text: this.#buf, quoted: this.#quoted });
    this.#buf = '';
  }
  lit(s: string, quoted: boolean): void {
    if (quoted !== this.#quoted) {
      this.flush();
      this.#quoted = quoted;
    }
    this.#buf += s;
  }
  variable(p: VarPart): void {
    this.flush();
    this.parts.push(p);
  }
}

/**
 * One pass over a file: statements (one per line, continued by a backslash), made of words, made of literal
 * and variable parts; quotes, `$NAME`/`${NAME}` and what must be refused, each in its own method.
 */
class Lexer {
  readonly o: LexOptions;
  readonly text: string;
  readonly n: number;
  i = 0;
  line = 1;
  lineStart = 0;
  refusals = 0;
  readonly out: Statement[] = [];
  st: Statement = { words: [], line: 1, warnings: [] };
  /** The first quote of the current statement whose string spans a newline: the usual culprit of an unbalanced quote. */
  firstMultiline: { line: number; col: number; index: number; quote: string } | undefined;
  skips = 0;

  constructor(source: string, options: LexOptions) {
    this.o = options;
    // CRLF files are common when configs were edited on Windows; bash would
    // keep the CR in every value, which is never what the author meant.
    this.text = source.includes('\r\n') ? source.replace(/\r\n/g, '\n') : source;
    this.n = this.text.length;
  }

  col(at: number): number {
    return at - this.lineStart + 1;
  }

  /** Moves i forward to `to`, keeping line/lineStart in step with any newline passed. */
  advance(to: number): void {
    for (let k = this.i; k < to; k++)
      if (this.text.charCodeAt(k) === 10) {
        this.line++;
        this.lineStart = k + 1;
      }
    this.i = to;
  }

  refuse(code: ErrorCode, l: number, c: number, message: string): void {
    if (!this.st.refused) this.st.refused = { severity: 'critical', code, line: l, col: c, message };
    if (this.o.afterRefusal === 'stop') throw new Stop();
  }

  warn(code: ErrorCode, l: number, c: number, message: string): void {
    if (this.st.warnings.length < 20) this.st.warnings.push({ severity: 'warning', code, line: l, col: c, message });
  }

  nul(): void {
    this.refuse('CONFIG_SYNTAX', this.line, this.col(this.i), `NUL byte at column ${this.col(this.i)}: this is not a text file`);
  }

  /**
   * Index after the `)` that closes the `(` at `open`, honouring quotes; the end of
   * the line when unbalanced or too far away (keeps hostile input linear).
   */
  skipParens(open: number): number {
    let depth = 0;
    const limit = Math.min(this.n, open + MAX_SKIP);
    for (let k = open; k < limit; k++) {
      const c = this.text[k];
      if (c === '\\') {
        k++;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') {
        if (--depth === 0) return k + 1;
      } else if (c === "'" || c === '"') {
        const close = c === "'" ? this.text.indexOf("'", k + 1) : findDoubleClose(this.text, k + 1, limit);
        if (close === -1 || close >= limit) break;
        k = close;
      }
    }
    const eol = this.text.indexOf('\n', open);
    return eol === -1 ? this.n : eol;
  }

  /** Every statement of the file, up to maxRefusals refused ones. */
  statements(): Statement[] {
    while (this.i < this.n) {
      this.st = { words: [], line: this.line, warnings: [] };
      this.firstMultiline = undefined;
      this.skips = 0;
      try {
        this.readStatement();
      } catch (err) {
        if (!(err instanceof Stop)) throw err;
        this.out.push(this.st);
        break;
      }
      if (this.st.words.length > 0 || this.st.refused || this.st.warnings.length > 0) this.out.push(this.st);
      // The parser reports the cut-off; stopping here bounds the work spent on hopeless input.
      if (this.st.refused && ++this.refusals > maxRefusals) break;
    }
    return this.out;
  }

  /** The words of one statement, to the end of its line (or past an unterminated quote's line). */
  readStatement(): void {
    while (this.i < this.n) {
      const c = this.text[this.i]!;
      if (c === '\n') {
        this.i++;
        this.line++;
        this.lineStart = this.i;
        if (this.o.newline === 'statement') return;
        continue;
      }
      if (c === ' ' || c === '\t') {
        this.i++;
        continue;
      }
      if (c === '#') {
        const eol = this.o.newline === 'statement' ? this.text.indexOf('\n', this.i) : -1;
        this.i = eol === -1 ? this.n : eol;
        continue;
      }
      if (c === '\\' && this.text[this.i + 1] === '\n') {
        this.i += 2;
        this.line++;
        this.lineStart = this.i;
        continue;
      }
      if (META.has(c)) {
        this.refuse('CONFIG_FORBIDDEN', this.line, this.col(this.i), `${metaMessage(c, this.text[this.i + 1])} (column ${this.col(this.i)})`);
        this.i++;
        continue;
      }
      const w = this.readWord();
      if ('unterminated' in w) {
        this.unterminated(w);
        return;
      }
      this.st.words.push(w);
    }
  }

  /** A quote that never closes refuses the statement, blaming the likeliest quote, and reading resumes after it. */
  unterminated(w: Unterminated): void {
    const q = (x: { quote: string }) => (x.quote === '"' ? 'double' : 'single');
    if (this.o.afterRefusal === 'stop') this.refuse('CONFIG_SYNTAX', w.line, w.col, `unterminated ${q(w)} quote opened at line ${w.line} column ${w.col}`);
    this.st.words.push(w.word);
    // Bash pairs quotes blindly, so a stray quote earlier in the statement shows up as
    // an unclosed one further down; blame the first quote that swallowed a newline.
    const culprit = this.firstMultiline ?? w;
    const also =
      culprit !== w ? ` (read as bash would, it closes on a later line and the ${q(w)} quote at line ${w.line} column ${w.col} is the one left open)` : '';
    this.st.refused = {
      severity: 'critical',
      code: 'CONFIG_SYNTAX',
      line: culprit.line,
      col: culprit.col,
      message: `unterminated ${q(culprit)} quote opened at line ${culprit.line} column ${culprit.col}${also}`,
    };
    // Resume at the line after that quote: bash would have swallowed the rest of
    // the file, but reading on lets the loader report (and keep) later lines.
    const eol = this.text.indexOf('\n', culprit.index);
    if (eol === -1) this.i = this.n;
    else {
      this.line = culprit.line + 1;
      this.i = eol + 1;
      this.lineStart = this.i;
    }
  }

  /** Reads one word starting at i. */
  readWord(): Word | Unterminated {
    const w = new WordParts();
    const wLine = this.line;
    const wCol = this.col(this.i);
    while (this.i < this.n) {
      const c = this.text[this.i]!;
      if (c === ' ' || c === '\t' || c === '\n' || META.has(c)) break;
      if (c === '\\') {
        const d = this.text[this.i + 1];
        if (d === undefined) {
          w.lit('\\', false);
          this.i++;
          continue;
        }
        if (d === '\n') {
          this.i += 2;
          this.line++;
          this.lineStart = this.i;
          continue;
        }
        if (d === '\0') {
          this.i++;
          this.nul();
          this.i++;
          continue;
        }
        w.lit(d, true);
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const close = this.text.indexOf("'", this.i + 1);
        if (close === -1) {
          w.flush();
          return { unterminated: true, line: this.line, col: this.col(this.i), index: this.i, quote: "'", word: { parts: w.parts, line: wLine, col: wCol } };
        }
        const body = this.text.slice(this.i + 1, close);
        if (body.includes('\0')) this.nul();
        if (!this.firstMultiline && body.includes('\n')) this.firstMultiline = { line: this.line, col: this.col(this.i), index: this.i, quote: "'" };
        w.lit(body, true);
        this.advance(close + 1);
        continue;
      }
      if (c === '"') {
        const open = this.doubleQuoted(w, wLine, wCol);
        if (open) return open;
        continue;
      }
      if (c === '$') {
        this.readDollar(w, false);
        continue;
      }
      if (c === '`') {
        this.refuse('CONFIG_FORBIDDEN', this.line, this.col(this.i), `command substitution \`…\` at column ${this.col(this.i)} is refused; ${NEVER_RUN}`);
        const close = this.text.indexOf('`', this.i + 1);
        this.i = close !== -1 && !this.text.slice(this.i + 1, close).includes('\n') ? close + 1 : this.i + 1;
        continue;
      }
      if (c === '\0') {
        this.nul();
        this.i++;
        continue;
      }
      w.lit(c, false);
      this.i++;
    }
    w.flush();
    return { parts: w.parts, line: wLine, col: wCol };
  }

  /** A double-quoted string starting at i (`$` expands, backslash escapes only \\ " $ `), or what was read of it when it never closes. */
  doubleQuoted(w: WordParts, wLine: number, wCol: number): Unterminated | undefined {
    const qLine = this.line;
    const qCol = this.col(this.i);
    const qIndex = this.i;
    this.i++;
    let closed = false;
    while (this.i < this.n) {
      const q = this.text[this.i]!;
      if (q === '"') {
        this.i++;
        closed = true;
        break;
      }
      if (q === '\\') {
        const d = this.text[this.i + 1];
        if (d === '\\' || d === '"' || d === '$' || d === '`') {
          w.lit(d, true);
          this.i += 2;
          continue;
        }
        if (d === '\n') {
          this.i += 2;
          this.line++;
          this.lineStart = this.i;
          continue;
        }
        w.lit('\\', true);
        this.i++;
        continue;
      }
      if (q === '$') {
        this.readDollar(w, true);
        continue;
      }
      if (q === '`') {
        this.refuse('CONFIG_FORBIDDEN', this.line, this.col(this.i), `command substitution \`…\` at column ${this.col(this.i)} is refused; ${NEVER_RUN}`);
        w.lit('`', true);
        this.i++;
        continue;
      }
      if (q === '\n') {
        w.lit('\n', true);
        this.i++;
        this.line++;
        this.lineStart = this.i;
        continue;
      }
      if (q === '\0') this.nul();
      w.lit(q, true);
      this.i++;
    }
    if (!closed) {
      w.flush();
      return { unterminated: true, line: qLine, col: qCol, index: qIndex, quote: '"', word: { parts: w.parts, line: wLine, col: wCol } };
    }
    if (!this.firstMultiline && this.line !== qLine) this.firstMultiline = { line: qLine, col: qCol, index: qIndex, quote: '"' };
    return undefined;
  }

  /** `$` at i: a variable, or a refusal of command substitution, arithmetic, ${…} forms and $'…' quoting. */
  readDollar(w: WordParts, quoted: boolean): void {
    const l = this.line;
    const c0 = this.col(this.i);
    const d = this.text[this.i + 1];
    if (this.o.dollar === 'text' && d !== '(' && d !== '[') {
      w.lit('$', quoted);
      this.i++;
      return;
    }
    if (d === '(') {
      const arith = this.text[this.i + 2] === '(';
      this.refuse(
        'CONFIG_FORBIDDEN',
        l,
        c0,
        arith ? `arithmetic expansion $((…)) at column ${c0} is refused; ${NEVER_RUN}` : `command substitution $(…) at column ${c0} is refused; ${NEVER_RUN}`,
      );
      // Skip the whole $(…) so its quotes do not upset ours; past a few per statement just step over `$(`.
      if (this.skips++ < MAX_SKIPS_PER_STATEMENT) this.advance(this.skipParens(this.i + 1));
      else this.i += 2;
      return;
    }
    if (d === '[') {
      this.refuse('CONFIG_FORBIDDEN', l, c0, `arithmetic expansion $[…] at column ${c0} is refused; ${NEVER_RUN}`);
      this.i += 2;
      return;
    }
    if (d === '{') {
      // Look for the } on this line, within a sane distance (keeps long lines linear).
      let close = -1;
      for (let k = this.i + 2; k < this.n && k < this.i + 2 + MAX_BRACED; k++) {
        const ch = this.text[k];
        if (ch === '}') {
          close = k;
          break;
        }
        if (ch === '\n') break;
      }
      if (close === -1) {
        this.refuse('CONFIG_SYNTAX', l, c0, `\${ at column ${c0} has no closing }`);
        this.i += 2;
        return;
      }
      const inner = this.text.slice(this.i + 2, close);
      if (NAME.test(inner)) w.variable({ kind: 'var', name: inner, line: l, col: c0 });
      else this.refuse('CONFIG_FORBIDDEN', l, c0, `\${${clip(inner, 30)}} at column ${c0} is not supported: only $NAME and \${NAME} are expanded`);
      this.i = close + 1;
      return;
    }
    if (d !== undefined && NAME_START.test(d)) {
      let k = this.i + 2;
      while (k < this.n && NAME_CHAR.test(this.text[k]!)) k++;
      w.variable({ kind: 'var', name: this.text.slice(this.i + 1, k), line: l, col: c0 });
      this.i = k;
      return;
    }
    if (d !== undefined && SPECIAL_PARAM.has(d)) {
      this.warn('CONFIG_INVALID', l, c0, `$${d} at column ${c0} is a shell special parameter; it is kept as the literal text "$${d}"`);
      w.lit('$' + d, quoted);
      this.i += 2;
      return;
    }
    if (!quoted && (d === "'" || d === '"')) {
      this.refuse('CONFIG_SYNTAX', l, c0, `$${d}…${d} quoting at column ${c0} is not supported; use plain ${d === "'" ? 'single' : 'double'} quotes`);
      w.lit('$', false);
      this.i++;
      return;
    }
    w.lit('$', quoted);
    this.i++;
  }
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
