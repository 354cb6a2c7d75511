/**
 * Reads lines from a Terminal the way a trainee expects of a prompt:
 * echo (or not, for passwords), backspace, Ctrl-U, Ctrl-C, Ctrl-D, a length
 * cap and an idle timeout. Escape sequences (arrow keys…), control
 * characters, NUL bytes and invalid UTF-8 are dropped, never echoed.
 *
 * Contract: input typed ahead of a prompt is kept for the next prompt;
 * release() stops consuming so the bytes can go to a container instead.
 */
import type { Terminal } from '../core/terminal.ts';

export type LineResult =
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'eof' } // Ctrl-D on an empty line
  | { readonly kind: 'interrupt' } // Ctrl-C
  | { readonly kind: 'timeout' }
  | { readonly kind: 'closed' };

export interface ReadOptions {
  readonly echo?: boolean;
  readonly maxLength?: number;
  readonly timeoutMs: number;
}

/** Hard cap on characters waiting to be read; the oldest part of a flood beyond it is dropped. */
const MAX_PENDING = 64 * 1024;

export class Keyboard {
  readonly #term: Terminal;
  #pending = '';
  #wake: (() => void) | undefined;
  #unsub: (() => void) | undefined;
  #decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(term: Terminal) {
    this.#term = term;
    this.#unsub = term.onData((b) => this.#push(b));
    term.onClose(() => this.#wake?.());
  }

  #push(b: Buffer): void {
    this.#pending += this.#decoder.decode(b, { stream: true });
    // A flood keeps only its newest part, so the Enter that ends it still counts.
    if (this.#pending.length > MAX_PENDING) this.#pending = this.#pending.slice(-MAX_PENDING);
    this.#wake?.();
  }

  /** Stops listening (the container gets the keys now) and returns what was typed ahead, for the container. */
  release(): Buffer {
    this.#unsub?.();
    this.#unsub = undefined;
    const rest = Buffer.from(this.#pending, 'utf8');
    this.#pending = '';
    return rest;
  }
  /** Listens again after release(). */
  resume(): void {
    if (!this.#unsub) this.#unsub = this.#term.onData((b) => this.#push(b));
  }

  async readLine(opts: ReadOptions): Promise<LineResult> {
    const echo = opts.echo ?? true;
    const max = opts.maxLength ?? 256;
    const t = this.#term;
    const chars: string[] = [];
    let deadline = Date.now() + opts.timeoutMs;
    let belled = false;
    // Echo is gathered per batch of input and written once: one write per character would turn a
    // pasted megabyte into a million SSH packets and stall every other session.
    let echoed = '';
    const flush = () => {
      if (echoed) {
        t.write(echoed);
        echoed = '';
      }
    };
    for (;;) {
      if (t.closed) return { kind: 'closed' };
      while (this.#pending.length > 0) {
        deadline = Date.now() + opts.timeoutMs;
        const cp = this.#pending.codePointAt(0)!;
        const ch = String.fromCodePoint(cp);
        // Plain characters are taken in one run, so a long paste costs linear time, not quadratic.
        if (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp !== 0xfffd) {
          const run = /^[^\x00-\x1f\x7f\x80-\x9f\ufffd]+/u.exec(this.#pending)![0];
          this.#pending = this.#pending.slice(run.length);
          const room = Math.max(0, max - chars.length);
          const taken = [...run].slice(0, room);
          chars.push(...taken);
          if (echo) echoed += taken.join('');
          if (taken.length < [...run].length && !belled && echo) {
            echoed += '\x07';
            belled = true;
          }
          continue;
        }
        this.#pending = this.#pending.slice(ch.length);
        if (ch === '\r' || ch === '\n') {
          if (ch === '\r' && this.#pending.startsWith('\n')) this.#pending = this.#pending.slice(1);
          echoed += '\r\n';
          flush();
          return { kind: 'line', text: chars.join('') };
        }
        if (cp === 0x03) {
          echoed += '^C\r\n';
          flush();
          return { kind: 'interrupt' };
        }
        if (cp === 0x04) {
          if (chars.length === 0) {
            echoed += '\r\n';
            flush();
            return { kind: 'eof' };
          }
          continue;
        }
        if (cp === 0x7f || cp === 0x08) {
          if (chars.pop() !== undefined && echo) echoed += '\b \b';
          continue;
        }
        if (cp === 0x15) {
          if (echo) echoed += '\b \b'.repeat(chars.length);
          chars.length = 0;
          continue;
        }
        if (cp === 0x1b) {
          this.#skipEscape();
          continue;
        }
        if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0) || cp === 0xfffd) continue;
        // Past the cap, input is dropped with one bell per line (never at a password prompt).
        if (chars.length >= max) {
          if (!belled && echo) {
            echoed += '\x07';
            belled = true;
          }
          continue;
        }
        chars.push(ch);
        if (echo) echoed += ch;
      }
      flush();
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Drops one escape sequence (CSI, SS3 or a lone ESC plus one char) from the pending input. */
  #skipEscape(): void {
    const m = /^(\[[0-?]*[ -/]*[@-~]|O.|\[?)/.exec(this.#pending);
    this.#pending = this.#pending.slice(m ? m[0].length : 0);
  }
}
