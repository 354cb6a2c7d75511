/**
 * What the tokenizer (tokenize.ts) hands the parser: statements of shell words, and the problems found on the way.
 *
 * Words keep their parts (literal text, quoted or not, and `$NAME`
 * references) so that the parser can recognise `NAME=value` and expand
 * references left to right, as bash does.
 */
import type { ErrorCode } from '../../core/codes.ts';

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

/** What was read of a word whose quote never closes (kept so the statement can still be named). */
export type Unterminated = {
  readonly unterminated: true;
  readonly line: number;
  readonly col: number;
  readonly index: number;
  readonly quote: string;
  readonly word: Word;
};

/** A word being read: its parts, and the literal text not yet closed into a part (quoted and unquoted text are kept apart). */
export class WordParts {
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

/** `$NAME`-style rendering of a word, for messages. */
export function wordText(w: Word): string {
  return w.parts.map((p) => (p.kind === 'var' ? `$${p.name}` : p.text)).join('');
}
