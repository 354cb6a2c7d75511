/**
 * A server-side model of one live terminal (xterm.js headless + the serialize
 * addon), so a reattaching client can be painted the current screen — the
 * alternate screen of vim or top included, cursor in place — before it goes live.
 *
 * Contracts:
 * - Off the keystroke path: `feed` only queues (O(1)); parsing happens later on
 *   timers, one batch of at most BATCH_BYTES at a time and one batch in the whole
 *   process at a time (parse-gate.ts), so parsing never holds the event loop long,
 *   and xterm's own write buffer never holds more than one batch.
 * - Parsed in batches, not per echo: less than a batch waits up to PARSE_DELAY_MS
 *   before it is parsed, so a typing trainee's echoes are parsed a dozen at a time
 *   (each parse has a fixed cost: the gate's turn, xterm's write timer and callback);
 *   a full batch, or a snapshot someone waits for, is parsed at once. Nothing reads
 *   the screen without `snapshot`/`state`, which wait for every byte fed; only
 *   `title` may lag the output by up to PARSE_DELAY_MS.
 * - Bounded: at most `maxQueuedBytes` wait to be parsed. A flood past the bound
 *   drops the queue, replaces the model with a blank one, ignores output for
 *   `cooldownMs` and then calls `onResync` (the caller asks the program to
 *   redraw, e.g. a size nudge). Until then `snapshot` answers undefined. Overflows
 *   in a row (the queue never drained between them: a sustained flood) double the
 *   cooldown up to MAX_COOLDOWN_MS, so a flood costs the parser little CPU.
 * - Consistent: a snapshot is serialized only between parsed batches (inside
 *   xterm's write callback), after every byte fed before the request is parsed,
 *   so a full-screen program is never caught halfway through an escape sequence.
 * - Asleep when idle: `hibernate` (called by ScreenModels for a model idle a while)
 *   keeps only the serialized screen and lets the xterm instance go (issue 15.5:
 *   a room of idle shells held ~200 KiB of parser and buffers each). A snapshot
 *   of a sleeping model is that string, exactly as serialized; new output or
 *   `state` wakes it: a fresh terminal (at the size last told) parses the string
 *   first, then the new bytes, so nothing fed is lost or reordered.
 * - Born asleep, and lazy while asleep: a new model starts with a blank screen and
 *   no terminal; small output fed while asleep is kept as bytes (sleep-bytes.ts), so a
 *   shell that prints its prompt and waits costs no terminal until someone reads its
 *   screen. A snapshot or `state` wakes it and parses the bytes first: a client never
 *   gets them raw, only what the serializer writes.
 */
import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import type { TtySize } from '../core/terminal.ts';
import { sharedParseGate, type ParseGate } from './parse-gate.ts';
import { RAW_LIMIT_BYTES, SleepBytes } from './sleep-bytes.ts';

const { Terminal } = headless;
const { SerializeAddon } = serialize;
type HeadlessTerminal = InstanceType<typeof Terminal>;

/** Longest pause after overflows in a row. */
const MAX_COOLDOWN_MS = 30_000;

/** Largest piece handed to the parser at once (a few ms of parsing). */
const BATCH_BYTES = 16 * 1024;

/**
 * Longest that less than a batch waits to be parsed (perf, issue 15.4: parsing each echoed key on its own
 * cost more than the bytes). A snapshot or a full batch does not wait.
 */
export const PARSE_DELAY_MS = 500;

export interface ScreenModelOptions {
  readonly size: TtySize;
  /** Lines kept above the screen (memory is mostly scrollback: keep it small). */
  readonly scrollback?: number;
  /** Bytes allowed to wait for the parser before the model gives up and resynchronises. */
  readonly maxQueuedBytes?: number;
  /** Output ignored after an overflow before asking for a redraw. */
  readonly cooldownMs?: number;
  /** Called when the model was reset and the program should redraw its screen. */
  readonly onResync?: () => void;
  /** Serialises parsing across models; the process-wide gate by default. */
  readonly gate?: ParseGate;
  /** Longest less than a batch waits to be parsed; PARSE_DELAY_MS by default (tests lengthen it). */
  readonly parseDelayMs?: number;
  /** Output a sleeping model keeps unparsed; RAW_LIMIT_BYTES by default, 0: a model is born awake and wakes on any output. */
  readonly rawLimitBytes?: number;
}

/** A model's cursor and buffer (ScreenModel.state); rows and columns 0-based. */
export interface ScreenState {
  readonly cursorX: number;
  readonly cursorY: number;
  /** The row where the cursor's line starts (a long command line soft-wraps over several rows). */
  readonly lineTop: number;
  readonly alternate: boolean;
  readonly cols: number;
  readonly rows: number;
}

export const SCREEN_DEFAULTS = { scrollback: 100, maxQueuedBytes: 256 * 1024, cooldownMs: 1000 } as const;

export class ScreenModel {
  readonly #o: Required<Omit<ScreenModelOptions, 'onResync' | 'gate'>> & Pick<ScreenModelOptions, 'onResync'>;
  readonly #gate: ParseGate;
  /** Undefined while asleep (`#asleep` holds the screen then). */
  #term: HeadlessTerminal | undefined;
  #ser: InstanceType<typeof SerializeAddon> | undefined;
  #asleep: string | undefined;
  /** Output fed while asleep, not parsed yet (parsed after `#asleep` when the model wakes). */
  readonly #raw: SleepBytes;
  /**
   * Feeds, resizes and reads so far. The output path only counts; idleMs() (the sweep) notes when the count
   * last changed, so no clock is read per chunk.
   */
  #uses = 0;
  #usesSeen = -1;
  #quietSince = 0;
  #size: TtySize;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  /** Bytes fed (accepted) and bytes parsed, for snapshot ordering. */
  #fed = 0;
  #parsed = 0;
  /** Turns asked of the gate and not started yet; a batch handed to xterm and not parsed yet. */
  #pending = 0;
  #inFlight = false;
  #dropped = false;
  #cooldown: NodeJS.Timeout | undefined;
  #waiters: { upTo: number; resolve: (s: string | undefined) => void }[] = [];
  #disposed = false;
  /** The delayed parse of less than a batch: one timer per model, re-armed with refresh(); `#armed` says it counts. */
  #delay: NodeJS.Timeout | undefined;
  #armed = false;
  /** How many times the model overflowed and was reset. */
  resyncs = 0;
  /** Overflows since the queue last drained. */
  #streak = 0;
  /** The window title the shell last set (OSC 0/2), kept across resyncs; trainee-controlled text. */
  #title = '';

  constructor(o: ScreenModelOptions) {
    this.#o = {
      scrollback: SCREEN_DEFAULTS.scrollback,
      maxQueuedBytes: SCREEN_DEFAULTS.maxQueuedBytes,
      cooldownMs: SCREEN_DEFAULTS.cooldownMs,
      parseDelayMs: PARSE_DELAY_MS,
      rawLimitBytes: RAW_LIMIT_BYTES,
      ...o,
    };
    this.#size = o.size;
    this.#gate = o.gate ?? sharedParseGate;
    this.#raw = new SleepBytes(this.#o.rawLimitBytes);
    // A blank screen serializes to '' (so a snapshot of a model nobody fed is '' either way).
    if (this.#o.rawLimitBytes > 0) this.#asleep = '';
    else [this.#term, this.#ser] = this.#fresh();
  }

  #fresh(): [HeadlessTerminal, InstanceType<typeof SerializeAddon>] {
    // logLevel off: xterm logs each sequence it cannot parse to the console (a 60 KB binary `cat` gave ~470 lines),
    // which cost ISLET's main thread CPU whenever a trainee printed a binary, and filled its log with their bytes.
    const t = new Terminal({ cols: this.#size.cols, rows: this.#size.rows, scrollback: this.#o.scrollback, allowProposedApi: true, logLevel: 'off' });
    t.onTitleChange((title) => {
      this.#title = title.slice(0, 256);
    });
    const s = new SerializeAddon();
    t.loadAddon(s as unknown as Parameters<HeadlessTerminal['loadAddon']>[0]);
    return [t, s];
  }

  /** The terminal title the program set last (the instructor console shows it, as text). */
  get title(): string {
    return this.#title;
  }

  /** The size the model is at (the container TTY's, as last told). */
  get size(): TtySize {
    return this.#size;
  }
  /** Bytes waiting to be parsed. */
  get queuedBytes(): number {
    return this.#queued;
  }
  /** True while output is being ignored after an overflow. */
  get dropped(): boolean {
    return this.#dropped;
  }

  /** True while the model keeps only its serialized screen (hibernate). */
  get asleep(): boolean {
    return this.#asleep !== undefined;
  }

  /**
   * Milliseconds since an earlier idleMs() call first saw the model unused since the call before it: 0 when
   * it was fed, resized or read since the last call. Precise to the caller's interval (the sweep's).
   */
  idleMs(now = performance.now()): number {
    if (this.#uses !== this.#usesSeen) {
      this.#usesSeen = this.#uses;
      this.#quietSince = now;
    }
    return now - this.#quietSince;
  }

  /**
   * Keeps only the serialized screen and disposes the terminal, when nothing is queued, in flight or
   * awaited (otherwise false: try again later). Costs one serialize (about a millisecond at 120x40).
   */
  hibernate(): boolean {
    if (this.#disposed || this.#dropped || this.#asleep !== undefined || this.#queue.length || this.#inFlight || this.#pending || this.#waiters.length)
      return false;
    // Implied by the checks above (fed - parsed = queued + in flight); kept because sleeping with unparsed output loses it.
    if (this.#parsed < this.#fed) return false;
    this.#asleep = this.#serialize();
    this.#term!.dispose();
    this.#term = this.#ser = undefined;
    return true;
  }

  /** A fresh terminal at the current size that parses the saved screen, then the bytes kept asleep, before anything fed after it. */
  #wake(): void {
    if (this.#asleep === undefined) return;
    const parts = [Buffer.from(this.#asleep, 'utf8'), this.#raw.take()].filter((b): b is Buffer => !!b && b.length > 0);
    this.#asleep = undefined;
    [this.#term, this.#ser] = this.#fresh();
    if (parts.length === 0) return;
    this.#queue.unshift(...parts);
    for (const b of parts) {
      this.#queued += b.length;
      this.#fed += b.length;
    }
    this.#schedule();
  }

  /** Queues output the client was already sent. Never parses synchronously. */
  feed(b: Uint8Array): void {
    if (this.#disposed || this.#dropped || b.length === 0) return;
    this.#uses++;
    if (this.#asleep !== undefined && this.#raw.keep(b)) return;
    this.#wake();
    if (this.#queued + b.length > this.#o.maxQueuedBytes) {
      this.#overflow();
      return;
    }
    this.#queue.push(b);
    this.#queued += b.length;
    this.#fed += b.length;
    this.#schedule();
  }

  /** Follows the container TTY's size (between batches, so never mid-parse). */
  resize(size: TtySize): void {
    if (this.#disposed || (size.cols === this.#size.cols && size.rows === this.#size.rows)) return;
    this.#uses++;
    this.#size = size;
    // Asleep: the terminal it wakes to is made at this size and parses the saved screen and the kept output
    // there, as an awake one parses at the new size what was queued before the resize.
    if (this.#asleep !== undefined) return;
    this.#term!.resize(Math.max(1, size.cols), Math.max(1, size.rows));
  }

  /**
   * The screen as escape sequences that repaint it on a blank terminal (modes, alternate
   * screen and cursor included), once everything fed so far is parsed; undefined while
   * the model is resynchronising or disposed.
   */
  snapshot(): Promise<string | undefined> {
    if (this.#disposed || this.#dropped) return Promise.resolve(undefined);
    this.#uses++;
    if (this.#asleep !== undefined && this.#raw.empty) return Promise.resolve(this.#asleep); // asleep: nothing queued, the screen as it was serialized
    this.#wake(); // asleep with output kept unparsed: parse it first (never painted raw)
    if (this.#parsed >= this.#fed) return Promise.resolve(this.#serialize()); // nothing queued or in flight
    const p = new Promise<string | undefined>((resolve) => this.#waiters.push({ upTo: this.#fed, resolve }));
    // Someone waits for this model: its next batch goes before other models' turns (after a batch in flight, #pump does it).
    if (!this.#inFlight) this.#ask(true);
    return p;
  }

  /**
   * Where the cursor is, which buffer is active and the first row of the cursor's (soft-wrapped) line, read
   * like a snapshot (after every byte fed so far is parsed); undefined while resynchronising. Notices
   * (src/sessions/notice-text.ts) are placed with it. Rare (one per notice), so it reuses snapshot's wait.
   */
  async state(): Promise<ScreenState | undefined> {
    if (this.#disposed || this.#dropped) return undefined;
    this.#wake(); // the cursor and buffer are read off a live terminal
    // (A model read just now is not idle, so it cannot have gone back to sleep meanwhile.)
    if ((await this.snapshot()) === undefined || this.#disposed || this.#dropped || !this.#term) return undefined;
    const b = this.#term.buffer.active;
    let lineTop = b.cursorY;
    while (lineTop > 0 && b.getLine(b.baseY + lineTop)?.isWrapped) lineTop--;
    return { cursorX: b.cursorX, cursorY: b.cursorY, lineTop, alternate: b.type === 'alternate', cols: this.#size.cols, rows: this.#size.rows };
  }

  /** The screen now; never called while output kept asleep waits (snapshot and state wake the model first). */
  #serialize(): string {
    return this.#asleep ?? this.#ser!.serialize();
  }

  /** Parses now when a full batch waits or someone waits for the screen; otherwise within PARSE_DELAY_MS. */
  #schedule(): void {
    if (this.#queued >= BATCH_BYTES || this.#waiters.length > 0) {
      this.#pump();
      return;
    }
    if (this.#pending > 0 || this.#inFlight || this.#queue.length === 0 || this.#armed) return;
    this.#armed = true;
    if (this.#delay) this.#delay.refresh();
    else {
      this.#delay = setTimeout(() => {
        if (!this.#armed) return; // a parse went ahead meanwhile
        this.#armed = false;
        this.#pump();
      }, this.#o.parseDelayMs);
      this.#delay.unref?.();
    }
  }

  #pump(): void {
    if (this.#pending > 0 || this.#inFlight || this.#queue.length === 0) return;
    this.#armed = false; // this parse takes what the delayed one would have
    this.#ask(this.#waiters.length > 0);
  }

  #ask(urgent: boolean): void {
    this.#pending++;
    this.#gate.request((release) => {
      this.#pending--;
      this.#parseBatch(release);
    }, urgent);
  }

  /** Runs in the gate's slot: hands one batch to xterm and releases the slot once it is parsed. */
  #parseBatch(release: () => void): void {
    if (this.#disposed || this.#dropped || this.#inFlight || this.#queue.length === 0) {
      release();
      return;
    }
    // One batch in xterm at a time: an overflow can then drop everything not yet handed over.
    const parts: Uint8Array[] = [];
    let n = 0;
    while (this.#queue.length && n < BATCH_BYTES) {
      let b = this.#queue[0]!;
      if (n + b.length > BATCH_BYTES) {
        const cut = BATCH_BYTES - n;
        this.#queue[0] = b.subarray(cut);
        b = b.subarray(0, cut);
      } else this.#queue.shift();
      parts.push(b);
      n += b.length;
    }
    this.#queued -= n;
    this.#inFlight = true;
    const term = this.#term!;
    term.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts), () => {
      release();
      if (term !== this.#term) return; // a batch of a model replaced after an overflow
      this.#inFlight = false;
      this.#parsed += n;
      if (this.#queue.length === 0) this.#streak = 0; // caught up: the output was a burst, not a flood
      this.#settle();
      this.#schedule();
    });
  }

  /** Answers the snapshot requests whose bytes are all parsed (we are between two batches here). */
  #settle(): void {
    if (!this.#waiters.length) return;
    const ready = this.#waiters.filter((w) => this.#parsed >= w.upTo);
    if (!ready.length) return;
    this.#waiters = this.#waiters.filter((w) => this.#parsed < w.upTo);
    const s = this.#serialize();
    for (const w of ready) w.resolve(s);
  }

  #overflow(): void {
    this.resyncs++;
    const pause = Math.min(this.#o.cooldownMs * 2 ** this.#streak, MAX_COOLDOWN_MS);
    this.#streak++;
    this.#dropped = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#inFlight = false;
    this.#fed = this.#parsed = 0;
    for (const w of this.#waiters.splice(0)) w.resolve(undefined);
    // The old model finishes at most one batch on its own and is then garbage.
    this.#term?.dispose();
    this.#asleep = undefined;
    this.#raw.take();
    [this.#term, this.#ser] = this.#fresh();
    this.#cooldown = setTimeout(() => {
      this.#cooldown = undefined;
      this.#dropped = false;
      this.#o.onResync?.();
    }, pause);
    this.#cooldown.unref?.();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#cooldown);
    clearTimeout(this.#delay);
    this.#queue.length = 0;
    this.#queued = 0;
    for (const w of this.#waiters.splice(0)) w.resolve(undefined);
    this.#term?.dispose();
    this.#asleep = undefined;
    this.#raw.take();
  }
}
