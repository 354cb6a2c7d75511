/**
 * One session as an asciicast v3 file (https://docs.asciinema.org/manual/asciicast/v3/): a header line
 * `{"version":3,"term":{"cols","rows","type"},"timestamp",…}` and one `[interval, code, data]` line per
 * event, the interval in seconds since the previous event ("o" output, "i" input, "r" resize "COLSxROWS",
 * "m" marker, "x" exit status). Written through a BufferedFile, so recording never waits for the disk.
 *
 * Cheap per chunk on purpose (issue 13: recording all sessions ≤ 5 % of ISLET's CPU; profiled with
 * bench/recording-overhead.ts --profile and bench/recording-writer-cost.ts): a terminal chunk is only
 * timed and kept (the caller's Buffer, not copied — a door's write keeps it too, so callers never reuse
 * it); decoding, JSON and the line are made once per flush (at most `flushMs`, 1 s, later), for all the
 * chunks of that interval together, and consecutive chunks of one direction within COALESCE_MS of the
 * first become one event at the first one's time.
 *
 * Contract:
 * - Intervals are computed from whole milliseconds since the start, so they never drift from the clock;
 *   a coalesced chunk is placed at most COALESCE_MS early.
 * - Bytes are decoded as UTF-8 per direction with a streaming decoder (a character split across two
 *   writes is kept whole).
 * - Past `maxBytes` (0: no cap) the output and input are no longer written: one marker event
 *   `islet: truncated …` says so (TRUNCATED_MARK), then only the exit event follows. The cap is checked
 *   per chunk on the raw size and exactly on the lines at each flush; the file stays within the cap
 *   plus the marker and the exit event.
 * - When the disk falls behind, events are dropped rather than held without bound (`maxPendingBytes`,
 *   what this writer holds plus what waits for the disk); the next event written is preceded by a marker
 *   `islet: not recorded: N bytes …` (GAP_MARK).
 * - What was recorded at time t is in the file by t + flushMs (unless the disk is behind), so a
 *   recording being written plays up to a second ago.
 * - `exit()` writes the "x" event and closes the file; a file without it was interrupted (or is still live).
 */
import { BufferedFile, type BufferedFileOptions } from './buffered-file.ts';

/** Chunks of one direction this close to the first of an event join it (timing stays within it). */
export const COALESCE_MS = 5;
/** What a line adds to its data (`[0.123, "o", ""]` and the newline), for the per-chunk estimates. */
const LINE_COST = 18;

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

export interface CastWriterOptions extends Omit<BufferedFileOptions, 'collect'> {
  readonly maxBytes: number;
  /** Milliseconds, monotonic (default performance.now). */
  readonly clock?: () => number;
  /** Wall-clock start in ms since the epoch (default Date.now()). */
  readonly startedAt?: number;
}

/** An event held until the next flush: its data as it came (decoded and escaped at the flush). */
interface Held {
  /** Milliseconds since the start (not rounded). */
  readonly ms: number;
  readonly code: string;
  /** One chunk, or the chunks coalesced into this event. */
  data: string | Uint8Array | (string | Uint8Array)[] | typeof TRUNCATED;
  /** Capped by the size cap (output and input). */
  readonly capped: boolean;
}

const TRUNCATED = Symbol('truncated marker');

export class CastWriter {
  readonly #file: BufferedFile;
  readonly #clock: () => number;
  readonly #t0: number;
  readonly #maxBytes: number;
  readonly #maxHeld: number;
  readonly #batchBytes: number;
  readonly #out = new Utf8Stream();
  readonly #in = new Utf8Stream();
  #held: Held[] = [];
  /** The output or input event still open to coalescing (the last held one), if any. */
  #open: Held | undefined;
  /** Raw size of what is held, with LINE_COST per event (memory bound and batch size). */
  #heldBytes = 0;
  /** UTF-16 code units of the lines made so far (the header included): exact. */
  #written = 0;
  #lastMs = 0;
  /** The cap was reached: output and input are no longer taken. */
  #truncated = false;
  /** The truncation marker is written (there is only one). */
  #marked = false;
  #ended = false;
  /** Raw bytes refused since the last gap marker (the disk was behind). */
  #dropped = 0;

  constructor(path: string, header: CastHeaderInput, opts: CastWriterOptions) {
    this.#file = new BufferedFile(path, { ...opts, collect: () => this.#collect() });
    this.#clock = opts.clock ?? (() => performance.now());
    this.#t0 = this.#clock();
    this.#maxBytes = opts.maxBytes;
    this.#maxHeld = opts.maxPendingBytes ?? 1024 * 1024;
    this.#batchBytes = opts.batchBytes ?? 64 * 1024;
    const startedAt = opts.startedAt ?? Date.now();
    const line = JSON.stringify({
      version: 3,
      term: { cols: header.cols, rows: header.rows, type: header.term },
      timestamp: Math.floor(startedAt / 1000),
      title: header.title,
      islet: header.islet,
    });
    this.#written = line.length + 1;
    this.#file.append(line);
  }

  get path(): string {
    return this.#file.path;
  }
  get truncated(): boolean {
    return this.#truncated;
  }
  /** Bytes accepted for the file so far (exact for what was flushed, estimated for what is held). */
  get bytes(): number {
    return this.#written + this.#heldBytes;
  }

  output(data: string | Uint8Array): void {
    this.#chunk('o', data);
  }

  input(data: Uint8Array): void {
    this.#chunk('i', data);
  }

  resize(cols: number, rows: number): void {
    this.#hold('r', `${cols}x${rows}`, true);
  }

  marker(label: string): void {
    this.#hold('m', label, false);
  }

  /** Writes the exit event (and everything held before it) and closes the file (later events are ignored). */
  async exit(status = 0): Promise<void> {
    if (this.#ended) return;
    this.#hold('x', String(status), false);
    this.#ended = true;
    await this.#file.close();
  }

  /** The per-chunk path: a clock reading and an array push (or a join to the open event). */
  #chunk(code: 'o' | 'i', data: string | Uint8Array): void {
    const n = data.length;
    if (this.#ended || this.#truncated || n === 0) return;
    const ms = this.#clock() - this.#t0;
    const open = this.#open;
    if (open !== undefined && open.code === code && ms - open.ms < COALESCE_MS && this.#dropped === 0) {
      if (!this.#room(n, ms)) return;
      if (Array.isArray(open.data)) open.data.push(data);
      else open.data = [open.data as string | Uint8Array, data];
      this.#heldBytes += n;
    } else {
      if (!this.#room(n + LINE_COST, ms)) return;
      const e: Held = { ms, code, data, capped: true };
      this.#held.push(e);
      this.#open = e;
      this.#heldBytes += n + LINE_COST;
    }
    this.#taken();
  }

  /** An event that is never coalesced (resize, marker, exit: the exit is never dropped, so a file ends whole). */
  #hold(code: string, data: string, capped: boolean): void {
    if (this.#ended || (capped && this.#truncated)) return;
    const ms = this.#clock() - this.#t0;
    const n = data.length + LINE_COST;
    if (code === 'x') this.#gap(ms);
    else if (!this.#room(n, ms, capped)) return;
    this.#held.push({ ms, code, data, capped });
    this.#open = undefined;
    this.#heldBytes += n;
    this.#taken();
  }

  /**
   * Whether `n` more bytes fit: under the cap (else the truncation marker is held, once) and under the
   * memory bound (else they are counted as dropped). A gap marker goes first when bytes were dropped.
   */
  #room(n: number, ms: number, capped = true): boolean {
    if (capped && this.#maxBytes > 0 && this.#written + this.#heldBytes + n > this.#maxBytes) {
      this.#truncated = true;
      this.#held.push({ ms, code: 'm', data: TRUNCATED, capped: false });
      this.#open = undefined;
      this.#taken();
      return false;
    }
    if (this.#heldBytes + this.#file.pendingBytes + n > this.#maxHeld) {
      this.#dropped += n;
      return false;
    }
    this.#gap(ms);
    return true;
  }

  /** The marker of what was dropped since the last one, if anything was. */
  #gap(ms: number): void {
    if (this.#dropped === 0) return;
    const gap = `${GAP_MARK}: ${this.#dropped} bytes (disk behind)`;
    this.#dropped = 0;
    this.#held.push({ ms, code: 'm', data: gap, capped: false });
    this.#open = undefined;
    this.#heldBytes += gap.length + LINE_COST;
  }

  #taken(): void {
    if (this.#heldBytes >= this.#batchBytes) this.#file.kick();
    else this.#file.touch();
  }

  /** The held events as lines (BufferedFile calls it at each flush): decoded, escaped and capped once per batch. */
  #collect(): string {
    const held = this.#held;
    if (held.length === 0) return '';
    this.#held = [];
    this.#open = undefined;
    this.#heldBytes = 0;
    let lines = '';
    for (const e of held) {
      if (e.capped && this.#marked) continue;
      const d = e.data;
      let text: string;
      if (d === TRUNCATED) {
        if (this.#marked) continue;
        text = this.#truncatedText();
      } else if (typeof d === 'string') text = d;
      else {
        const utf8 = e.code === 'i' ? this.#in : this.#out;
        if (Array.isArray(d)) {
          text = '';
          for (const p of d) text += typeof p === 'string' ? p : utf8.decode(p);
        } else text = utf8.decode(d as Uint8Array);
        if (!text) continue;
      }
      const ms = Math.max(this.#lastMs, Math.round(e.ms));
      // Whole milliseconds over 1000 print as the shortest exact decimal (0.25, 1.5, 0.003): valid JSON, no toFixed.
      const interval = (ms - this.#lastMs) / 1000;
      let line = `[${interval}, "${d === TRUNCATED ? 'm' : e.code}", ${JSON.stringify(text)}]\n`;
      if (d === TRUNCATED) this.#marked = true;
      else if (e.capped && this.#maxBytes > 0 && this.#written + line.length > this.#maxBytes) {
        // The exact size crossed the cap before the per-chunk estimate did: the marker goes here instead.
        this.#truncated = true;
        this.#marked = true;
        line = `[${interval}, "m", ${JSON.stringify(this.#truncatedText())}]\n`;
      }
      lines += line;
      this.#written += line.length;
      this.#lastMs = ms;
    }
    return lines;
  }

  #truncatedText(): string {
    return `${TRUNCATED_MARK}: size cap of ${this.#maxBytes} bytes reached`;
  }
}
