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
 */
export const HIGH_WATER = 256 * 1024;
export const LOW_WATER = 64 * 1024;
export const HARD_LIMIT = 8 * 1024 * 1024;

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
    return c;
  }

  /** Drops what the page has; an ack beyond the end or behind the last one is ignored (false). */
  ack(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < this.#acked || seq > this.#end) return false;
    this.#acked = seq;
    while (this.#chunks.length && this.#chunks[0]!.seq + this.#chunks[0]!.data.length <= seq) this.#chunks.shift();
    return true;
  }

  /** Everything from offset `seq` on (the first chunk cut to start there), or undefined when `seq` is no longer (or not yet) kept. */
  since(seq: number): Chunk[] | undefined {
    if (!Number.isSafeInteger(seq) || seq < this.#acked || seq > this.#end) return undefined;
    const out: Chunk[] = [];
    for (const c of this.#chunks) {
      const stop = c.seq + c.data.length;
      if (stop <= seq) continue;
      out.push(c.seq >= seq ? c : { seq, data: c.data.subarray(seq - c.seq) });
    }
    return out;
  }
}
