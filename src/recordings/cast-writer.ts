/**
 * One session as an asciicast v3 file (https://docs.asciinema.org/manual/asciicast/v3/): a header line
 * `{"version":3,"term":{"cols","rows","type"},"timestamp",…}` and one `[interval, code, data]` line per
 * event, the interval in seconds since the previous event ("o" output, "i" input, "r" resize "COLSxROWS",
 * "m" marker, "x" exit status). Written through a BufferedFile, so recording never waits for the disk.
 *
 * Cheap per chunk on purpose (issue 13: recording all sessions ≤ 5 % of ISLET's CPU; profiled with
 * bench/recording-overhead.ts --profile and bench/recording-writer-cost.ts): a terminal chunk is only
 * timed and its bytes copied into this writer's arena (one Buffer reused from flush to flush), the event
 * noted in parallel number arrays: no object per chunk, and the caller's Buffer is not kept alive until
 * the flush (kept, the door's chunks outlived the young generation and were promoted, which the A/B
 * showed as extra GC work). Decoding, JSON and the line are made once per flush (at most `flushMs`, 1 s,
 * later), for all the chunks of that interval together, and consecutive chunks of one direction within
 * COALESCE_MS of the first become one event at the first one's time.
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
export function wholeUtf8(b: Uint8Array, start = 0, end = b.length): number {
  const n = end;
  for (let back = 1; back <= 3 && back <= n - start; back++) {
    const c = b[n - back]!;
    if (c < 0x80) return n; // ASCII: nothing cut
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return need > back ? n - back : n;
    }
  }
  return n;
}

/** A streaming decoder: whole UTF-8 now, a cut-off sequence kept (copied) for the next chunk. */
class Utf8Stream {
  #rest: Buffer | undefined;
  /** Decodes `b[start, end)`. */
  decode(b: Buffer, start: number, end: number): string {
    if (this.#rest) {
      const joined = Buffer.concat([this.#rest, b.subarray(start, end)]);
      this.#rest = undefined;
      return this.decode(joined, 0, joined.length);
    }
    const cut = wholeUtf8(b, start, end);
    if (cut < end) this.#rest = Buffer.from(b.subarray(cut, end));
    return b.toString('utf8', start, cut);
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

/**
 * Kinds of held events; CODE[kind] is the line's code. Output, input and resize are capped by the size cap
 * (kind <= K_RESIZE); K_TRUNC is the truncation marker (its text made at the flush).
 */
const K_OUT = 0;
const K_IN = 1;
const K_RESIZE = 2;
const K_MARK = 3;
const K_EXIT = 4;
const K_TRUNC = 5;
const CODE = ['o', 'i', 'r', 'm', 'x', 'm'] as const;
type Kind = 0 | 1 | 2 | 3 | 4 | 5;
/** The arena's first size, and the largest one kept after a flush (a flood's bigger arena is let go). */
const ARENA_BYTES = 4096;
const ARENA_KEEP = 64 * 1024;

export class CastWriter {
  readonly #file: BufferedFile;
  readonly #clock: () => number;
  readonly #t0: number;
  readonly #maxBytes: number;
  readonly #maxHeld: number;
  readonly #batchBytes: number;
  readonly #out = new Utf8Stream();
  readonly #in = new Utf8Stream();
  /** The bytes of the held output and input events, back to back (reused after each flush). */
  #arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
  #used = 0;
  /**
   * The held events: the first #count entries of each array (kept at their size from flush to flush), one per
   * event: time (ms since the start, not rounded), kind, bytes in the arena, text.
   */
  #count = 0;
  readonly #evMs: number[] = [];
  readonly #evKind: Kind[] = [];
  readonly #evStart: number[] = [];
  readonly #evEnd: number[] = [];
  /** The text of a resize, marker or exit event ('' for output and input). */
  readonly #evText: string[] = [];
  /** The output or input event still open to coalescing (the last held one), or -1. */
  #open = -1;
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
    this.#chunk(K_OUT, data);
  }

  input(data: Uint8Array): void {
    this.#chunk(K_IN, data);
  }

  resize(cols: number, rows: number): void {
    this.#hold(K_RESIZE, `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.#hold(K_MARK, label);
  }

  /** Writes the exit event (and everything held before it) and closes the file (later events are ignored). */
  async exit(status = 0): Promise<void> {
    if (this.#ended) return;
    this.#hold(K_EXIT, String(status));
    this.#ended = true;
    await this.#file.close();
  }

  /**
   * The per-chunk path: a clock reading, the bytes copied into the arena and the event noted in the number
   * arrays (or its end moved, when the chunk joins the open event). Allocates nothing while the arena has
   * room (a string chunk, ISLET's own prompts and notices, is encoded into it).
   */
  #chunk(kind: typeof K_OUT | typeof K_IN, data: string | Uint8Array): void {
    if (this.#ended || this.#truncated || data.length === 0) return;
    const n = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const ms = this.#clock() - this.#t0;
    const open = this.#open;
    const joins = open >= 0 && this.#evKind[open] === kind && ms - this.#evMs[open]! < COALESCE_MS && this.#dropped === 0;
    if (!this.#room(joins ? n : n + LINE_COST, ms)) return;
    const at = this.#used;
    if (at + n > this.#arena.length) this.#grow(at + n);
    if (typeof data === 'string') this.#arena.write(data, at);
    else this.#arena.set(data, at);
    this.#used = at + n;
    if (joins) {
      this.#evEnd[open] = at + n;
      this.#heldBytes += n;
    } else {
      this.#open = this.#push(ms, kind, at, at + n, '');
      this.#heldBytes += n + LINE_COST;
    }
    this.#taken();
  }

  /** Room for `need` bytes in the arena (its contents kept). */
  #grow(need: number): void {
    let size = this.#arena.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.#arena.copy(next, 0, 0, this.#used);
    this.#arena = next;
  }

  /** Notes one held event; returns its index. */
  #push(ms: number, kind: Kind, start: number, end: number, text: string): number {
    const i = this.#count++;
    this.#evMs[i] = ms;
    this.#evKind[i] = kind;
    this.#evStart[i] = start;
    this.#evEnd[i] = end;
    this.#evText[i] = text;
    return i;
  }

  /** An event that is never coalesced (resize, marker, exit: the exit is never dropped, so a file ends whole). */
  #hold(kind: typeof K_RESIZE | typeof K_MARK | typeof K_EXIT, data: string): void {
    const capped = kind === K_RESIZE;
    if (this.#ended || (capped && this.#truncated)) return;
    const ms = this.#clock() - this.#t0;
    const n = data.length + LINE_COST;
    if (kind === K_EXIT) this.#gap(ms);
    else if (!this.#room(n, ms, capped)) return;
    this.#push(ms, kind, 0, 0, data);
    this.#open = -1;
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
      this.#push(ms, K_TRUNC, 0, 0, '');
      this.#open = -1;
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
    this.#push(ms, K_MARK, 0, 0, gap);
    this.#open = -1;
    this.#heldBytes += gap.length + LINE_COST;
  }

  #taken(): void {
    if (this.#heldBytes >= this.#batchBytes) this.#file.kick();
    else this.#file.touch();
  }

  /** The held events as lines (BufferedFile calls it at each flush): decoded, escaped and capped once per batch. */
  #collect(): string {
    const count = this.#count;
    if (count === 0) return '';
    let lines = '';
    for (let i = 0; i < count; i++) {
      const kind = this.#evKind[i]!;
      const capped = kind <= K_RESIZE;
      if (capped && this.#marked) continue;
      let text: string;
      if (kind === K_TRUNC) {
        if (this.#marked) continue;
        text = this.#truncatedText();
      } else if (kind === K_OUT || kind === K_IN) {
        text = (kind === K_IN ? this.#in : this.#out).decode(this.#arena, this.#evStart[i]!, this.#evEnd[i]!);
        if (!text) continue;
      } else text = this.#evText[i]!;
      const ms = Math.max(this.#lastMs, Math.round(this.#evMs[i]!));
      // Whole milliseconds over 1000 print as the shortest exact decimal (0.25, 1.5, 0.003): valid JSON, no toFixed.
      const interval = (ms - this.#lastMs) / 1000;
      let line = `[${interval}, "${CODE[kind]}", ${JSON.stringify(text)}]\n`;
      if (kind === K_TRUNC) this.#marked = true;
      else if (capped && this.#maxBytes > 0 && this.#written + line.length > this.#maxBytes) {
        // The exact size crossed the cap before the per-chunk estimate did: the marker goes here instead.
        this.#truncated = true;
        this.#marked = true;
        line = `[${interval}, "m", ${JSON.stringify(this.#truncatedText())}]\n`;
      }
      lines += line;
      this.#written += line.length;
      this.#lastMs = ms;
    }
    this.#count = 0;
    this.#open = -1;
    this.#heldBytes = 0;
    this.#used = 0;
    if (this.#arena.length > ARENA_KEEP) this.#arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
    return lines;
  }

  #truncatedText(): string {
    return `${TRUNCATED_MARK}: size cap of ${this.#maxBytes} bytes reached`;
  }
}
