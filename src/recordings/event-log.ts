/**
 * Commands, file transfers and port forwards as JSON lines, one file per account per UTC day:
 * `<recordings>/<account>/events-YYYY-MM-DD.jsonl`.
 *
 * Why per account and day: these events are small and come from connections that have no terminal
 * (an `ssh alice+env cmd`, an sftp session, a forward), often many per minute; one file per session
 * would make thousands of tiny files, one file per account would grow forever and could only be
 * trimmed by rewriting it. A day file is appended cheaply and retention removes whole files.
 *
 * Written through BufferedFile (off the caller's path, bounded); a file idle for a minute is closed.
 */
import { join } from 'node:path';
import { BufferedFile } from './buffered-file.ts';

export interface SessionEvent {
  readonly type: string;
  readonly account: string;
  readonly [field: string]: unknown;
}

const IDLE_MS = 60_000;

export class EventLog {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #files = new Map<string, { file: BufferedFile; used: number }>();
  readonly #sweep: NodeJS.Timeout;
  readonly #onError: (err: unknown) => void;

  constructor(dir: string, now: () => Date, onError: (err: unknown) => void = () => undefined) {
    this.#dir = dir;
    this.#now = now;
    this.#onError = onError;
    this.#sweep = setInterval(() => this.#closeIdle(), IDLE_MS).unref();
  }

  /** Queues one event with its time (never waits, never throws). */
  record(e: SessionEvent): void {
    const at = this.#now();
    const path = join(this.#dir, e.account, `events-${at.toISOString().slice(0, 10)}.jsonl`);
    let f = this.#files.get(path);
    if (!f) {
      f = { file: new BufferedFile(path, { onError: this.#onError }), used: 0 };
      this.#files.set(path, f);
    }
    f.used = Date.now();
    f.file.append(JSON.stringify({ time: at.toISOString(), ...e }));
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    const all = [...this.#files.values()];
    this.#files.clear();
    await Promise.all(all.map((f) => f.file.close()));
  }

  /** Everything queued so far, on disk (tests, CLI). */
  async flush(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.file.flush()));
  }

  #closeIdle(): void {
    const old = Date.now() - IDLE_MS;
    for (const [path, f] of this.#files)
      if (f.used < old) {
        this.#files.delete(path);
        void f.file.close();
      }
  }
}
