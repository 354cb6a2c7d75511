/**
 * An append-only file written off the caller's path: `append()` only queues a
 * line in memory and returns at once; the lines go to disk in batches (one
 * write in flight at a time, at the next tick of one shared timer — `flushMs`,
 * 1 s by default, after the first line of a batch, for all files together — or
 * as soon as `batchBytes` are waiting). Memory is bounded: while the disk is
 * behind and `maxPendingBytes` are waiting, further lines are refused (append
 * returns false) and counted in `dropped`, so a flood can neither stall the
 * caller nor grow ISLET's memory.
 *
 * An owner may also hold its data itself and serialize it once per batch (CastWriter does: no string per
 * terminal chunk): it calls `touch()` when it has something, and `collect` is called at every flush to take
 * it (already newline-terminated lines); the owner then bounds its own memory (`pendingBytes` tells what
 * still waits here).
 *
 * Cheap on purpose (profiled under 100 trainees, bench/recording-overhead.ts --profile): sizes are counted
 * in UTF-16 code units (string length: no byteLength per line), one timer serves every file, one write per
 * batch, and the writes of one tick go to one disk thread as one message (disk-thread.ts).
 *
 * Contract: lines are written whole and in order; what was queued (or touched) at time t is handed to the
 * kernel by t + flushMs unless the previous write is still in flight (the disk is behind); a crash loses at
 * most what was still queued (and possibly leaves the last line cut, which readers skip).
 */
import { diskAppend, diskClose, diskOpen } from './disk-thread.ts';

export interface BufferedFileOptions {
  readonly flushMs?: number;
  readonly batchBytes?: number;
  readonly maxPendingBytes?: number;
  /** Lines the owner held back (each ending in a newline; '' for none), taken at every flush. */
  readonly collect?: () => string;
  /** Called once if the file cannot be opened or written (the file then drops everything). */
  readonly onError?: (err: unknown) => void;
}

/** The files with lines waiting, flushed together by one timer per flush interval. */
const waiting = new Map<number, Set<BufferedFile>>();
function schedule(f: BufferedFile, ms: number): void {
  let set = waiting.get(ms);
  if (!set) {
    const s = new Set<BufferedFile>();
    waiting.set(ms, s);
    set = s;
    setTimeout(() => {
      waiting.delete(ms);
      for (const x of s) x.kick();
    }, ms).unref();
  }
  set.add(f);
}

export class BufferedFile {
  readonly path: string;
  readonly #flushMs: number;
  readonly #batchBytes: number;
  readonly #maxPending: number;
  readonly #onError: (err: unknown) => void;
  readonly #collect: (() => string) | undefined;
  /** The disk thread's handle of the open file. */
  readonly #file: number;
  /** Newline-terminated lines waiting for the next write. */
  #pending: string[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  /** A write is in flight (one at a time). */
  #writing = false;
  /** flush() callers waiting for the write in flight (a promise only for them: none per flush tick). */
  #waiters: (() => void)[] = [];
  #failed = false;
  #closed = false;
  /** Bytes (UTF-16 code units) refused because the disk was behind (or the file failed). */
  dropped = 0;
  /** Bytes (UTF-16 code units) handed to the file (written or queued). */
  accepted = 0;

  constructor(path: string, opts: BufferedFileOptions = {}) {
    this.path = path;
    this.#flushMs = opts.flushMs ?? 1000;
    this.#batchBytes = opts.batchBytes ?? 64 * 1024;
    this.#maxPending = opts.maxPendingBytes ?? 1024 * 1024;
    this.#onError = opts.onError ?? (() => undefined);
    this.#collect = opts.collect;
    this.#file = diskOpen(path, (err) => {
      if (err) this.#fail(err);
    });
  }

  /** Queues one line (without its newline); false when it was dropped. */
  append(line: string): boolean {
    const bytes = line.length + 1;
    if (this.#failed || this.#closed || this.#pendingBytes + bytes > this.#maxPending) {
      this.dropped += bytes;
      return false;
    }
    this.#pending.push(`${line}\n`);
    this.#pendingBytes += bytes;
    this.accepted += bytes;
    if (this.#pendingBytes >= this.#batchBytes) this.kick();
    else this.touch();
    return true;
  }

  /** Bytes (UTF-16 code units) taken for writing and not yet written. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Makes sure the shared timer flushes this file within `flushMs` (the owner holds data for `collect`). */
  touch(): void {
    if (this.#scheduled || this.#failed) return;
    this.#scheduled = true;
    schedule(this, this.#flushMs);
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    await new Promise<void>((r) => diskClose(this.#file, () => r()));
  }

  /** Resolves when everything queued (or held by the owner) so far is on disk (or dropped by a failure). */
  async flush(): Promise<void> {
    this.kick();
    while (this.#writing) {
      await new Promise<void>((r) => this.#waiters.push(r));
      this.kick();
    }
  }

  /** Takes the owner's lines and starts writing what is queued, unless a write is in flight (it starts the next one when done). */
  kick(): void {
    this.#scheduled = false;
    const held = this.#collect?.();
    if (held) {
      if (this.#failed) this.dropped += held.length;
      else {
        this.#pending.push(held);
        this.#pendingBytes += held.length;
        this.accepted += held.length;
      }
    }
    if (this.#writing || !this.#pending.length) return;
    const batch = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    this.#pending = [];
    this.#writing = true;
    const done = () => {
      this.#pendingBytes -= batch.length;
      this.#writing = false;
      const waiters = this.#waiters;
      if (waiters.length) {
        this.#waiters = [];
        for (const w of waiters) w();
      }
      if (this.#pending.length) this.kick();
    };
    if (this.#failed) queueMicrotask(done);
    else
      diskAppend(this.#file, batch, (err) => {
        if (err) this.#fail(err);
        done();
      });
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(err);
  }
}
