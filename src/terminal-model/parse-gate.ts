/**
 * One parse at a time across every screen model of the process. xterm.js parses a
 * write on its own timer, and all due timers run before Node polls for I/O again:
 * a hundred models each parsing a batch in the same turn would hold every trainee's
 * keystrokes for the sum. Through this gate at most one batch is being parsed at
 * any moment, so a turn holds at most one batch (a millisecond or so) of parsing.
 *
 * Models take turns in arrival order; a model that a reattach is waiting for goes
 * to the front. A slot not released within SLOT_TIMEOUT_MS (a write callback that
 * never came) is taken back, so the gate cannot stall.
 */
const SLOT_TIMEOUT_MS = 1000;

type Turn = () => void;

export class ParseGate {
  readonly #waiting: Turn[] = [];
  #busy = false;
  #watchdog: NodeJS.Timeout | undefined;
  #slot = 0;

  /**
   * Runs `turn` when the slot is free (`urgent`: before the others waiting); `turn` must call the release
   * function it is given once its parse is done (later calls are ignored).
   */
  request(turn: (release: () => void) => void, urgent = false): void {
    const t: Turn = () => {
      const id = ++this.#slot;
      this.#watchdog = setTimeout(() => this.#release(id), SLOT_TIMEOUT_MS);
      this.#watchdog.unref?.();
      turn(() => this.#release(id));
    };
    if (urgent) this.#waiting.unshift(t);
    else this.#waiting.push(t);
    if (!this.#busy) this.#next();
  }

  #release(id: number): void {
    if (id !== this.#slot || !this.#busy) return;
    clearTimeout(this.#watchdog);
    this.#busy = false;
    this.#next();
  }

  #next(): void {
    const t = this.#waiting.shift();
    if (!t) return;
    this.#busy = true;
    t();
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

/** The process-wide gate every ScreenModel uses unless given its own. */
export const sharedParseGate = new ParseGate();
