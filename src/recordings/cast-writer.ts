/**
 * One session as an asciicast v3 file (https://docs.asciinema.org/manual/asciicast/v3/): a header line
 * `{"version":3,"term":{"cols","rows","type"},"timestamp",…}` and one `[interval, code, data]` line per
 * event, the interval in seconds since the previous event ("o" output, "i" input, "r" resize "COLSxROWS",
 * "m" marker, "x" exit status). Written through a BufferedFile, so recording never waits for the disk.
 *
 * Contract:
 * - Intervals are computed from whole milliseconds since the start, so they never drift from the clock.
 * - Bytes are decoded as UTF-8 per direction with a streaming decoder (a character split across two
 *   writes is kept whole).
 * - Past `maxBytes` (0: no cap) the output and input are no longer written: one marker event
 *   `islet: truncated …` says so (TRUNCATED_MARK), then only the exit event follows.
 * - When the disk falls behind, events are dropped rather than queued without bound; the next event
 *   written is preceded by a marker `islet: N bytes not recorded …` (GAP_MARK).
 * - `exit()` writes the "x" event and closes the file; a file without it was interrupted (or is still live).
 */
import { BufferedFile, type BufferedFileOptions } from './buffered-file.ts';

export const TRUNCATED_MARK = 'islet: truncated';

/**
 * Where a chunk stops being whole UTF-8: the index of a multi-byte sequence cut off at its end (its first
 * byte), else the length. The rest waits for the next chunk; decoding the whole part with the native
 * `toString` is far cheaper than a streaming TextDecoder per chunk (profiled: bench/recording-overhead.ts).
 */
export function wholeUtf8(b: Uint8Array): number {
  const n = b.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const c = b[n - back]!;
    if (c < 0x80) return n; // ASCII: nothing cut
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return need > back ? n - back : n;
    }
  }
  return n;
}

/** A streaming decoder: whole UTF-8 now, a cut-off sequence kept for the next chunk. */
class Utf8Stream {
  #rest: Buffer | undefined;
  decode(data: Uint8Array): string {
    let b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.#rest) {
      b = Buffer.concat([this.#rest, b]);
      this.#rest = undefined;
    }
    const cut = wholeUtf8(b);
    if (cut < b.length) this.#rest = Buffer.from(b.subarray(cut));
    return b.toString('utf8', 0, cut);
  }
}
export const GAP_MARK = 'islet: not recorded';

/** What ISLET adds to the v3 header (players ignore unknown header fields). */
export interface IsletCastMeta {
  readonly account: string;
  readonly door: string;
  readonly login: string;
  /** The writing server's pid and run token (recording-files.ts tells live from partial with them). */
  readonly pid: number;
  readonly run: string;
  readonly input: boolean;
}

export interface CastHeaderInput {
  readonly cols: number;
  readonly rows: number;
  readonly term: string;
  readonly title: string;
  readonly islet: IsletCastMeta;
}

export interface CastWriterOptions extends BufferedFileOptions {
  readonly maxBytes: number;
  /** Milliseconds, monotonic (default performance.now). */
  readonly clock?: () => number;
  /** Wall-clock start in ms since the epoch (default Date.now()). */
  readonly startedAt?: number;
}

export class CastWriter {
  readonly #file: BufferedFile;
  readonly #clock: () => number;
  readonly #t0: number;
  readonly #maxBytes: number;
  readonly #out = new Utf8Stream();
  readonly #in = new Utf8Stream();
  #lastMs = 0;
  #truncated = false;
  #ended = false;
  #droppedReported = 0;

  constructor(path: string, header: CastHeaderInput, opts: CastWriterOptions) {
    this.#file = new BufferedFile(path, opts);
    this.#clock = opts.clock ?? (() => performance.now());
    this.#t0 = this.#clock();
    this.#maxBytes = opts.maxBytes;
    const startedAt = opts.startedAt ?? Date.now();
    this.#file.append(
      JSON.stringify({
        version: 3,
        term: { cols: header.cols, rows: header.rows, type: header.term },
        timestamp: Math.floor(startedAt / 1000),
        title: header.title,
        islet: header.islet,
      }),
    );
  }

  get path(): string {
    return this.#file.path;
  }
  get truncated(): boolean {
    return this.#truncated;
  }
  /** Bytes accepted for the file so far. */
  get bytes(): number {
    return this.#file.accepted;
  }

  output(data: string | Uint8Array): void {
    const text = typeof data === 'string' ? data : this.#out.decode(data);
    if (text) this.#event('o', text, true);
  }

  input(data: Uint8Array): void {
    const text = this.#in.decode(data);
    if (text) this.#event('i', text, true);
  }

  resize(cols: number, rows: number): void {
    this.#event('r', `${cols}x${rows}`, true);
  }

  marker(label: string): void {
    this.#event('m', label, false);
  }

  /** Writes the exit event and closes the file (later events are ignored). */
  async exit(status = 0): Promise<void> {
    if (this.#ended) return;
    this.#event('x', String(status), false);
    this.#ended = true;
    await this.#file.close();
  }

  #event(code: string, data: string, capped: boolean): void {
    if (this.#ended || (capped && this.#truncated)) return;
    const dropped = this.#file.dropped;
    if (dropped > this.#droppedReported && this.#line('m', `${GAP_MARK}: ${dropped - this.#droppedReported} bytes (disk behind)`)) {
      this.#droppedReported = dropped;
    }
    if (capped && this.#maxBytes > 0 && this.#file.accepted + data.length > this.#maxBytes) {
      this.#truncated = true;
      this.#line('m', `${TRUNCATED_MARK}: size cap of ${this.#maxBytes} bytes reached`);
      return;
    }
    this.#line(code, data);
  }

  #line(code: string, data: string): boolean {
    const ms = Math.max(this.#lastMs, Math.round(this.#clock() - this.#t0));
    // Whole milliseconds over 1000 print as the shortest exact decimal (0.25, 1.5, 0.003): valid JSON, no toFixed.
    const ok = this.#file.append(`[${(ms - this.#lastMs) / 1000}, "${code}", ${JSON.stringify(data)}]`);
    if (ok) this.#lastMs = ms;
    return ok;
  }
}
