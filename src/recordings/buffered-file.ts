/**
 * An append-only file written off the caller's path: `append()` only queues a
 * line in memory and returns at once; the lines go to disk in batches (one
 * write in flight at a time, every `flushMs` (1 s by default: one write a second per
 * session, whatever the output rate) or as soon as `batchBytes` are waiting). Memory is bounded: while the disk is behind and `maxPendingBytes`
 * are waiting, further lines are refused (append returns false) and counted in
 * `dropped`, so a flood can neither stall the caller nor grow ISLET's memory.
 *
 * Contract: lines are written whole and in order; a crash loses at most what
 * was still queued (and possibly leaves the last line cut, which readers skip).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface BufferedFileOptions {
  readonly flushMs?: number;
  readonly batchBytes?: number;
  readonly maxPendingBytes?: number;
  /** Called once if the file cannot be opened or written (the file then drops everything). */
  readonly onError?: (err: unknown) => void;
}

export class BufferedFile {
  readonly path: string;
  readonly #flushMs: number;
  readonly #batchBytes: number;
  readonly #maxPending: number;
  readonly #onError: (err: unknown) => void;
  #fh: Promise<FileHandle | undefined>;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #failed = false;
  #closed = false;
  /** Bytes refused because the disk was behind (or the file failed). */
  dropped = 0;
  /** Bytes handed to the file (written or queued). */
  accepted = 0;

  constructor(path: string, opts: BufferedFileOptions = {}) {
    this.path = path;
    this.#flushMs = opts.flushMs ?? 1000;
    this.#batchBytes = opts.batchBytes ?? 64 * 1024;
    this.#maxPending = opts.maxPendingBytes ?? 1024 * 1024;
    this.#onError = opts.onError ?? (() => undefined);
    this.#fh = mkdir(dirname(path), { recursive: true, mode: 0o700 })
      .then(() => open(path, 'a', 0o600))
      .catch((err: unknown) => {
        this.#fail(err);
        return undefined;
      });
  }

  /** Queues one line (without its newline); false when it was dropped. */
  append(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#failed || this.#closed || this.#pendingBytes + bytes > this.#maxPending) {
      this.dropped += bytes;
      return false;
    }
    this.#pending.push(line);
    this.#pendingBytes += bytes;
    this.accepted += bytes;
    if (this.#pendingBytes >= this.#batchBytes) this.#kick();
    else this.#timer ??= setTimeout(() => this.#kick(), this.#flushMs).unref();
    return true;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    const fh = await this.#fh;
    await fh?.close().catch(() => undefined);
  }

  /** Resolves when everything queued so far is on disk (or dropped by a failure). */
  async flush(): Promise<void> {
    while (this.#writing || this.#pending.length) {
      this.#kick();
      await this.#writing;
    }
  }

  #kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing || !this.#pending.length) return;
    const batch = `${this.#pending.join('\n')}\n`;
    this.#pending = [];
    this.#writing = this.#write(batch).finally(() => {
      this.#pendingBytes -= Buffer.byteLength(batch);
      this.#writing = undefined;
      if (this.#pending.length) this.#kick();
    });
  }

  async #write(batch: string): Promise<void> {
    const fh = await this.#fh;
    if (!fh) return;
    try {
      await fh.write(batch);
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(err);
  }
}
