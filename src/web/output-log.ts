/**
 * The output of one web session, numbered by byte offset (the protocol's
 * sequence number: the offset of a chunk's first byte in everything the
 * session ever wrote). Output is kept until the page acknowledges it, so a
 * page that lost its WebSocket resumes from its last offset without a gap.
 *
 * Contract: memory is bounded by the caller's flow control — write() on the
 * terminal reports "full" above HIGH_WATER unacknowledged bytes and the
 * session engine then stops reading the shell; HARD_LIMIT is the last
 * resort against a page that never acknowledges (the session is ended).
 *
 * A session's first KEEP_WHOLE bytes are kept whole, acknowledged or not, until keepWhole(false) or more is
 * written: a reloaded page (its terminal empty, asking from offset 0) gets them all again and is back where it
 * was, mid-dialogue at the gate or in the account menu (web-server.ts ends this once a shell is reached directly).
 */
export const HIGH_WATER = 256 * 1024;
export const LOW_WATER = 64 * 1024;
export const HARD_LIMIT = 8 * 1024 * 1024;
export const KEEP_WHOLE = 64 * 1024;

export interface Chunk {
  readonly seq: number;
  readonly data: Buffer;
}

export class OutputLog {
  #chunks: Chunk[] = [];
  /** Offset just past the last byte written. */
  #end = 0;
  /** Offset up to which the page confirmed it has the output. */
  #acked = 0;
  /** Everything from offset 0 is still kept (see above). */
  #whole = true;

  get end(): number {
    return this.#end;
  }
  get acked(): number {
    return this.#acked;
  }
  /** Bytes written but not yet acknowledged. */
  get unacked(): number {
    return this.#end - this.#acked;
  }

  append(data: Buffer): Chunk {
    const c = { seq: this.#end, data };
    this.#chunks.push(c);
    this.#end += data.length;
    if (this.#whole && this.#end > KEEP_WHOLE) this.keepWhole(false);
    return c;
  }

  /** Whether the output is kept from offset 0 (true only until it is turned off or outgrown). */
  get whole(): boolean {
    return this.#whole;
  }

  /** Stops keeping acknowledged output (it cannot be turned on again: what was dropped is gone). */
  keepWhole(on: false): void {
    this.#whole = on;
    this.#trim();
  }

  #trim(): void {
    if (this.#whole) return;
    while (this.#chunks.length && this.#chunks[0]!.seq + this.#chunks[0]!.data.length <= this.#acked) this.#chunks.shift();
  }

  /** Drops what the page has; an ack beyond the end or behind the last one is ignored (false). */
  ack(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < this.#acked || seq > this.#end) return false;
    this.#acked = seq;
    this.#trim();
    return true;
  }

  /** Everything from offset `seq` on (the first chunk cut to start there), or undefined when `seq` is no longer (or not yet) kept. */
  since(seq: number): Chunk[] | undefined {
    if (!Number.isSafeInteger(seq) || seq < (this.#whole ? 0 : this.#acked) || seq > this.#end) return undefined;
    // Binary search for the first chunk ending after seq: the log may hold thousands of small chunks (kept
    // whole, or unacknowledged), and every write asks for the newest ones.
    const cs = this.#chunks;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cs[mid]!.seq + cs[mid]!.data.length <= seq) lo = mid + 1;
      else hi = mid;
    }
    const out: Chunk[] = [];
    for (let i = lo; i < cs.length; i++) {
      const c = cs[i]!;
      out.push(c.seq >= seq ? c : { seq, data: c.data.subarray(seq - c.seq) });
    }
    return out;
  }
}
