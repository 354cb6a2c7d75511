/**
 * Checkpoints a SQLite write-ahead log from a worker thread, so that ISLET's event loop never waits for it.
 *
 * Why: with SQLite's automatic checkpoint, the commit that takes the WAL past 1000 pages copies the log into the
 * database file and syncs both, on the committing thread. node:sqlite is synchronous, so the one event loop that
 * serves every trainee stood still meanwhile: in a profiled warm login storm (2026-12-03,
 * bench/results/2026-12-03-warm-profile/) two such writes took 28 and 30 ms, and 3000 upserts on an idle machine
 * had 4 over 5 ms with it and none without.
 *
 * Contract: start() turns the connection's automatic checkpoint off and starts a worker thread with a connection
 * of its own to the same file, which runs a PASSIVE checkpoint (it never waits for readers or writers, and never
 * makes them wait) every `everyMs`. If the worker cannot start, fails or exits before close(), the connection's
 * automatic checkpoint is turned back on and `onWarning` is told: nothing is lost either way, since the log is part
 * of the database until it is checkpointed. close() stops the worker and waits for it; after it the connection
 * checkpoints automatically again (so the last connection to close still folds the log in).
 */
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

/** SQLite's default automatic checkpoint (pages), restored when the worker is gone. */
const AUTO_PAGES = 1000;

/** The worker (CommonJS, run with `eval`: no file to resolve). Posts each checkpoint's result. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    const r = checkpoint.get();
    parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointResult {
  /** Frames in the log, and how many of them are now in the database file (equal: the log restarts). */
  readonly log: number;
  readonly checkpointed: number;
}

export class SqliteCheckpointer {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #everyMs: number;
  readonly #onWarning: (msg: string, err?: unknown) => void;
  readonly #source: string;
  #worker: Worker | undefined;
  #closing = false;
  #last: CheckpointResult | undefined;
  #count = 0;

  constructor(
    db: DatabaseSync,
    path: string,
    o: { everyMs?: number; onWarning?: (msg: string, err?: unknown) => void /** tests: the worker's code */; source?: string } = {},
  ) {
    this.#db = db;
    this.#path = path;
    this.#everyMs = o.everyMs ?? 1000;
    this.#onWarning = o.onWarning ?? (() => undefined);
    this.#source = o.source ?? WORKER;
  }

  /** Checkpoints the worker has reported, and the last one's result (tests, metrics). */
  get checkpoints(): number {
    return this.#count;
  }
  get last(): CheckpointResult | undefined {
    return this.#last;
  }
  /** Whether the worker is checkpointing (else the connection does, automatically). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  start(): void {
    if (this.#worker || this.#closing) return;
    let worker: Worker;
    try {
      worker = new Worker(this.#source, { eval: true, workerData: { path: this.#path, everyMs: this.#everyMs } });
    } catch (err) {
      this.#onWarning('the background checkpoint could not start; SQLite checkpoints on its own', err);
      return;
    }
    this.#db.exec('PRAGMA wal_autocheckpoint = 0');
    this.#worker = worker;
    worker.unref(); // a server that is done must not be kept alive by its checkpoints
    worker.on('message', (m: { error?: string } & Partial<CheckpointResult>) => {
      if (m.error !== undefined) this.#onWarning('a background checkpoint failed', new Error(m.error));
      else if (m.log !== undefined && m.checkpointed !== undefined) {
        this.#last = { log: m.log, checkpointed: m.checkpointed };
        this.#count++;
      }
    });
    worker.once('error', (err) => this.#fallBack(worker, err));
    worker.once('exit', (code) => this.#fallBack(worker, code === 0 ? undefined : new Error(`exit code ${code}`)));
  }

  /** The worker is gone before close(): the connection checkpoints on its own again. */
  #fallBack(worker: Worker, err: unknown): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (this.#closing) return;
    this.#restoreAuto();
    this.#onWarning('the background checkpoint stopped; SQLite checkpoints on its own', err);
  }

  #restoreAuto(): void {
    try {
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${AUTO_PAGES}`);
    } catch {
      // the connection is closed already
    }
  }

  /** Stops the worker (its connection closed) and gives the connection its automatic checkpoint back. */
  async close(): Promise<void> {
    this.#closing = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) {
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('close');
      // A worker that does not end on its own within a second is ended.
      const timer = setTimeout(() => void worker.terminate(), 1000);
      await gone;
      clearTimeout(timer);
    }
    this.#restoreAuto();
  }
}
