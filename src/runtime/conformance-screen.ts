/**
 * Test support for the RuntimeDriver conformance suite (runtime-driver.case.ts) and the drivers' own tests:
 * what a trainee attached to an instance would see. Not used by the product.
 */
import type { Attachment } from './runtime-driver.ts';

/** What a trainee would see: the attachment's output, with ANSI escape sequences removed. */
export class Screen {
  #raw = '';
  #waiters = new Set<() => void>();

  constructor(att: Attachment) {
    att.output.on('data', (b: Buffer | string) => {
      this.#raw += b.toString();
      for (const w of this.#waiters) w();
    });
  }

  get text(): string {
    // Terminal escapes (CSI, charset selection, keypad modes) are not text.
    return this.#raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g, '');
  }

  /** Position to search from, so an earlier match does not satisfy a later wait. */
  mark(): number {
    return this.text.length;
  }

  /** Waits until `re` matches the text after `from`; on timeout throws with the screen's tail. */
  waitFor(re: RegExp, { from = 0, timeoutMs = 10_000 }: { from?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = re.exec(this.text.slice(from));
        if (m) {
          done();
          resolve(m);
        }
        return !!m;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; screen ends with: ${JSON.stringify(this.text.slice(-400))}`));
      }, timeoutMs);
      const waiter = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
      check();
    });
  }
}

/** A shell prompt at the end of the screen (`$ ` or `# `). */
export const PROMPT = /[$#] $/;

/** Types `line` and Enter into `att`, then waits until `re` appears on `screen` after what was there before. */
export async function typeAndWait(att: Attachment, screen: Screen, line: string, re: RegExp): Promise<void> {
  const from = screen.mark();
  att.input.write(`${line}\r`);
  await screen.waitFor(re, { from });
}
