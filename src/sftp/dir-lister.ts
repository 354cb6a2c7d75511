/**
 * A directory listing streamed from the LIST_SCRIPT tool in pages, so a
 * directory of any size costs ISLET a bounded buffer, not its whole listing:
 * the tool's output is paused while more than `highWater` bytes of parsed
 * entries or text wait to be read (READDIR takes a page at a time).
 *
 * Contract: `ready` settles once the first page is there or the tool ended
 * (it rejects with the mapped status when the directory cannot be listed);
 * next() gives up to `max` entries, or null at the end; close() stops the
 * tool and drops its engine stream (idempotent).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Execution } from '../runtime/runtime-driver.ts';
import { killExecution, outputValve } from './exec-streams.ts';
import { SftpStatusError, STATUS, statusFromStderr } from './sftp-status.ts';
import { parseStatRecords, splitCompleteRecords, type StatRecord } from './stat-format.ts';

export class DirLister {
  readonly ready: Promise<void>;
  readonly #exec: Execution;
  readonly #valve: (full: boolean) => void;
  readonly #highWater: number;
  readonly #decoder = new StringDecoder('utf8');
  #text = '';
  #records: StatRecord[] = [];
  /** Bytes of listing text behind the records waiting to be read (an estimate of what they hold). */
  #recordBytes = 0;
  #ended = false;
  #closed = false;
  #failure: SftpStatusError | undefined;
  #stderr = '';
  #listed = 0;
  #wakers: (() => void)[] = [];

  constructor(exec: Execution, opts: { highWater?: number } = {}) {
    this.#exec = exec;
    this.#highWater = opts.highWater ?? 64 * 1024;
    this.#valve = outputValve(exec);
    exec.stdin.on('error', () => undefined);
    exec.stdout.on('error', () => undefined);
    exec.stderr.on('error', () => undefined);
    exec.stderr.on('data', (b: Buffer) => {
      if (this.#stderr.length < 4096) this.#stderr += b.toString('utf8');
    });
    exec.stdout.on('data', (b: Buffer) => this.#onData(b));
    exec.stdout.once('end', () => {
      void this.#onEnd();
    });
    exec.stdin.end();
    this.ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#failure) reject(this.#failure);
        else if (this.#records.length > 0 || this.#ended || this.#closed) resolve();
        else this.#wakers.push(check);
      };
      check();
    });
    this.ready.catch(() => undefined);
  }

  /** Up to `max` entries, waiting for the tool when none is there yet; null once everything was given. */
  async next(max: number): Promise<StatRecord[] | null> {
    for (;;) {
      if (this.#closed) return null;
      // A short page when the buffer is full (the tool waits for us) or the listing ended.
      if (this.#records.length > 0 && (this.#records.length >= max || this.#ended || this.#full())) return this.#take(max);
      if (this.#ended) {
        if (this.#failure && this.#listed === 0) throw this.#failure;
        return null;
      }
      await new Promise<void>((resolve) => {
        this.#wakers.push(resolve);
        this.#flow();
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#records = [];
    this.#text = '';
    if (!this.#ended) killExecution(this.#exec);
    this.#notify();
  }

  #take(max: number): StatRecord[] {
    const page = this.#records.splice(0, max);
    this.#listed += page.length;
    this.#recordBytes = this.#records.length === 0 ? 0 : Math.round(this.#recordBytes * (this.#records.length / (this.#records.length + page.length)));
    this.#flow();
    return page;
  }

  #onData(b: Buffer): void {
    if (this.#closed) return;
    this.#text += this.#decoder.write(b);
    const { complete, rest } = splitCompleteRecords(this.#text);
    if (complete.length) {
      this.#recordBytes += this.#text.length - rest.length;
      this.#records.push(...complete);
      this.#text = rest;
    }
    // A single name cannot be this long: output that never forms records is not a listing.
    if (this.#text.length > 4 * this.#highWater) {
      this.#failure = new SftpStatusError(STATUS.FAILURE, 'unexpected output from the directory lister');
      this.#ended = true;
      killExecution(this.#exec);
    }
    this.#flow();
    this.#notify();
  }

  async #onEnd(): Promise<void> {
    if (this.#closed) return;
    const code = await this.#exec.exited;
    await new Promise((r) => setImmediate(r));
    this.#text += this.#decoder.end();
    if (this.#text) this.#records.push(...parseStatRecords(this.#text));
    this.#text = '';
    if (code !== 0 && this.#records.length === 0 && this.#listed === 0) {
      this.#failure ??= this.#stderr.trim() ? statusFromStderr(this.#stderr.trim()) : new SftpStatusError(STATUS.FAILURE, 'The directory could not be listed.');
    }
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    for (const w of this.#wakers.splice(0)) w();
  }

  /** Pauses the tool while enough is buffered; lets it run again once READDIR took some. */
  #flow(): void {
    if (this.#ended || this.#closed) return;
    this.#valve(this.#full());
  }

  #full(): boolean {
    return this.#recordBytes + this.#text.length >= this.#highWater;
  }
}
