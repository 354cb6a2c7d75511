/**
 * Splits an original ISLET `.conf` file into statements (one per logical
 * line) of shell words, the way bash would read them, without running
 * anything. Every construct that bash would *execute* (command substitution,
 * arithmetic, `;`, `|`, `&`, redirections, subshells, functions) marks its
 * statement as refused; the scanner then carries on so that later lines are
 * still read and quote state stays in step with bash.
 *
 * This file reads lines, statements and words (unquoted text, backslashes,
 * single quotes) and refuses the operators that would start another command;
 * what bash would expand (`$…`, double quotes) is read by expansion.ts, and
 * the shapes it returns are in word.ts.
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
import { type Cursor, doubleQuoted, NEVER_RUN, readDollar } from './expansion.ts';
import { type Statement, type Unterminated, type Word, WordParts } from './word.ts';

/** After this many refused statements the rest of the file is not read (the parser says so). */
export const maxRefusals = 100;

const META = new Set([';', '&', '|', '<', '>', '(', ')']);

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

/**
 * One pass over a file: statements (one per line, continued by a backslash), made of words, made of literal
 * and variable parts; quotes, `$NAME`/`${NAME}` and what must be refused, each in its own method (double quotes
 * and `$` in expansion.ts, as functions of this Lexer seen as their Cursor).
 */
class Lexer implements Cursor {
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
        const open = doubleQuoted(this, w, wLine, wCol);
        if (open) return open;
        continue;
      }
      if (c === '$') {
        readDollar(this, w, false);
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
}
