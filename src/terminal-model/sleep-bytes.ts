/**
 * Output fed to a sleeping screen model, kept as bytes instead of waking it (screen-model.ts, "Born asleep").
 *
 * Contract: `keep` takes a chunk only while the total stays within `limit` and the chunk cannot set the
 * terminal's title (an OSC, also one split over two chunks); otherwise it returns false and keeps nothing
 * new, so the caller wakes the model and queues the chunk after what `take` returns. Bytes come back in
 * the order they were kept.
 */

/**
 * Output a sleeping model keeps unparsed before it wakes. Why: building a terminal costs about 3.4 ms of the
 * main thread in this machine's slow spells (the profiled 100-trainee cold storm of 2026-12-02 spent 0.34 s
 * of its 5.9 s there), and a storm's new shells print a prompt of a few dozen bytes and wait.
 */
export const RAW_LIMIT_BYTES = 4096;

const OSC_7BIT = Buffer.from([0x1b, 0x5d]);
const OSC_C1 = Buffer.from([0xc2, 0x9d]);

export class SleepBytes {
  readonly #limit: number;
  /** The kept bytes are #buf[0, #len); the buffer grows by doubling (up to the limit), so a shell typed into byte by byte is not copied whole at every key. */
  #buf: Buffer | undefined;
  #len = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True when nothing is kept. */
  get empty(): boolean {
    return this.#len === 0;
  }

  /** Keeps `b` when it fits under the limit and cannot set the title; false (nothing kept) otherwise. */
  keep(b: Uint8Array): boolean {
    if (b.length === 0) return true;
    const len = this.#len + b.length;
    if (len > this.#limit) return false;
    // OSC (ESC ] or C1 U+009D, which is C2 9D in UTF-8) may set the title, which is read without a snapshot;
    // the chunk is searched, and the pair across the last byte kept and its first, so a split sequence is found too.
    const chunk = Buffer.from(b.buffer, b.byteOffset, b.length);
    if (chunk.indexOf(OSC_7BIT) !== -1 || chunk.indexOf(OSC_C1) !== -1) return false;
    const last = this.#len > 0 ? this.#buf![this.#len - 1] : undefined;
    if ((last === 0x1b && b[0] === 0x5d) || (last === 0xc2 && b[0] === 0x9d)) return false;
    if (!this.#buf || len > this.#buf.length) {
      // A buffer of its own (not a slice of Node's shared pool, which a long-idle shell would keep alive whole).
      const next = Buffer.allocUnsafeSlow(Math.min(this.#limit, Math.max(64, len, 2 * (this.#buf?.length ?? 0))));
      this.#buf?.copy(next, 0, 0, this.#len);
      this.#buf = next;
    }
    this.#buf.set(b, this.#len);
    this.#len = len;
    return true;
  }

  /** Everything kept (undefined when nothing was), and forgets it. */
  take(): Buffer | undefined {
    const b = this.#len > 0 ? this.#buf!.subarray(0, this.#len) : undefined;
    this.#buf = undefined;
    this.#len = 0;
    return b;
  }
}
