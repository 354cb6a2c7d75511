/**
 * An open SFTP file: at most one streaming reader and one streaming writer
 * (exec-streams.ts) running in the container as the user.
 *
 * Writes: WRITEs at the writer's next offset go straight into its stdin
 * (the reply waits for backpressure). WRITEs a little ahead (within
 * `windowBytes`) wait in memory for the gap to fill; anything else (a gap
 * too large, rewriting earlier bytes, overlapping a waiting chunk) flushes
 * what is pending and starts a new writer at that offset (`dd seek=`).
 * Reads: served from the reader's stream; a read it cannot serve starts a
 * new reader at its offset (`dd skip=`). Reading after writing, FSTAT,
 * FSETSTAT and CLOSE first flush the writes, so they see the data.
 *
 * Operations that change the reader/writer run one after another (a queue);
 * waiting for read data is not part of the queue.
 */
import { mustRun, OPEN_READ_SCRIPT, OPEN_WRITE_SCRIPT, shArgs, type Box } from './box.ts';
import { StreamReader, StreamWriter, type ReadResult } from './exec-streams.ts';
import { OPEN_FLAG, SftpStatusError, STATUS } from './sftp-status.ts';

export interface FileHandleOptions {
  /** Bytes of out-of-order WRITEs held while waiting for a gap to fill. */
  readonly windowBytes?: number;
  /** Reader buffer before its tool is paused. */
  readonly readHighWater?: number;
}

/** How OPEN flags translate to the write script's open mode. */
export function writeOpenMode(flags: number): 'excl' | 'trunc' | 'creat' | 'trunc-existing' | 'existing' {
  if (flags & OPEN_FLAG.CREAT) {
    if (flags & OPEN_FLAG.EXCL) return 'excl';
    return flags & OPEN_FLAG.TRUNC ? 'trunc' : 'creat';
  }
  return flags & OPEN_FLAG.TRUNC ? 'trunc-existing' : 'existing';
}

/** Mode a new file gets: the requested permission bits less the usual umask 022. */
export function newFileMode(mode: number | undefined): string {
  return mode === undefined ? '' : (mode & 0o777 & ~0o022).toString(8);
}

export class FileHandle {
  readonly path: string;
  readonly flags: number;
  #reader: StreamReader | undefined;
  #writer: StreamWriter | undefined;
  #pending = new Map<number, Buffer>();
  #pendingBytes = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #box: Box;
  readonly #windowBytes: number;
  readonly #readHighWater: number | undefined;

  constructor(box: Box, path: string, flags: number, opts: FileHandleOptions = {}) {
    this.#box = box;
    this.path = path;
    this.flags = flags;
    this.#windowBytes = opts.windowBytes ?? 2 * 1024 * 1024;
    this.#readHighWater = opts.readHighWater;
  }

  get writable(): boolean {
    return (this.flags & (OPEN_FLAG.WRITE | OPEN_FLAG.APPEND)) !== 0;
  }
  get readable(): boolean {
    return (this.flags & OPEN_FLAG.READ) !== 0 || !this.writable;
  }
  get #append(): boolean {
    return (this.flags & OPEN_FLAG.APPEND) !== 0;
  }

  /** Opens the file the way OPEN asked; throws the kernel's reason as a status. */
  async open(mode: number | undefined): Promise<void> {
    if (this.writable) {
      const exec = await this.#box.run('sh', shArgs(OPEN_WRITE_SCRIPT, [this.path, writeOpenMode(this.flags), newFileMode(mode), this.#append ? '1' : '0']));
      const w = new StreamWriter(exec, 0, { marker: true });
      this.#writer = w;
      try {
        await w.ready;
      } catch (err) {
        this.#writer = undefined;
        w.kill();
        throw err;
      }
    } else {
      const exec = await this.#box.run('sh', shArgs(OPEN_READ_SCRIPT, [this.path]));
      const r = new StreamReader(exec, 0, { marker: true, ...(this.#readHighWater ? { highWater: this.#readHighWater } : {}) });
      this.#reader = r;
      try {
        await r.ready;
      } catch (err) {
        this.#reader = undefined;
        r.stop();
        throw err;
      }
    }
  }

  /** Bytes at offset (fewer only at end of file), or null at end of file. */
  async read(offset: number, len: number): Promise<Buffer | null> {
    if (!this.readable) throw new SftpStatusError(STATUS.PERMISSION_DENIED, 'The file was not opened for reading.');
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= 3;
      const { wait } = await this.#enqueue(() => this.#startRead(offset, len, last));
      const res: ReadResult = await wait;
      if (res !== 'restart') return res;
    }
  }

  write(offset: number, data: Buffer): Promise<void> {
    if (!this.writable) return Promise.reject(new SftpStatusError(STATUS.PERMISSION_DENIED, 'The file was not opened for writing.'));
    return this.#enqueue(async () => {
      this.#stopReader();
      let w = this.#writer;
      if (this.#append) {
        w ??= await this.#startWriter(0);
        await w.write(data);
        return;
      }
      const end = offset + data.length;
      const overlapsPending = this.#pending.size > 0 && [...this.#pending].some(([o, b]) => o < end && offset < o + b.length);
      if (w && !overlapsPending) {
        if (offset === w.next) {
          await w.write(data);
          await this.#drainPending(w);
          return;
        }
        if (offset > w.next && end - w.next <= this.#windowBytes && this.#pendingBytes + data.length <= this.#windowBytes) {
          this.#pending.set(offset, data);
          this.#pendingBytes += data.length;
          return;
        }
      }
      await this.#flushWrites();
      w = await this.#startWriter(offset);
      await w.write(data);
    });
  }

  /** Makes every acknowledged write reach the file (ends the writer). */
  flush(): Promise<void> {
    return this.#enqueue(() => this.#flushWrites());
  }

  /** Flushes writes and stops everything; throws when a write failed. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      this.#closed = true;
      this.#stopReader();
      await this.#flushWrites();
    });
  }

  /** The session ended: let the writer finish what it got, stop the reader. */
  abort(): void {
    this.#closed = true;
    this.#stopReader();
    const w = this.#writer;
    this.#writer = undefined;
    if (w) void w.finish().catch(() => undefined);
    this.#pending.clear();
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(() => {
      if (this.#closed) throw new SftpStatusError(STATUS.FAILURE, 'The handle is closed.');
      return fn();
    });
    this.#tail = p.catch(() => undefined);
    return p;
  }

  /** Starts serving a read; the returned promise is not waited for inside the queue. */
  async #startRead(offset: number, len: number, oneOff: boolean): Promise<{ wait: Promise<ReadResult> }> {
    if (this.#writer || this.#pending.size) await this.#flushWrites();
    const cur = this.#reader;
    if (!oneOff && cur?.accepts(offset)) return { wait: cur.read(offset, len) };
    // A stray request while the stream serves others: read just that range.
    if (oneOff || cur?.busy) return { wait: this.#readOnce(offset, len) };
    cur?.stop();
    this.#reader = undefined;
    const exec = await this.#box.run('dd', [`if=${this.path}`, 'bs=65536', `skip=${offset}`, 'iflag=skip_bytes', 'status=none']);
    const r = new StreamReader(exec, offset, this.#readHighWater ? { highWater: this.#readHighWater } : {});
    this.#reader = r;
    return { wait: r.read(offset, len) };
  }

  async #readOnce(offset: number, len: number): Promise<ReadResult> {
    const out = await mustRun(
      this.#box,
      'dd',
      [`if=${this.path}`, 'bs=65536', `skip=${offset}`, `count=${len}`, 'iflag=skip_bytes,count_bytes', 'status=none'],
      'read',
    );
    return out.length ? out : null;
  }

  #stopReader(): void {
    this.#reader?.stop();
    this.#reader = undefined;
  }

  async #spawnWriter(offset: number): Promise<StreamWriter> {
    const args = [`of=${this.path}`, 'bs=65536', 'conv=notrunc', 'status=none'];
    if (this.#append) args.push('oflag=append');
    else if (offset > 0) args.push(`seek=${offset}`, 'oflag=seek_bytes');
    return new StreamWriter(await this.#box.run('dd', args), offset);
  }

  async #startWriter(offset: number): Promise<StreamWriter> {
    const w = await this.#spawnWriter(offset);
    this.#writer = w;
    return w;
  }

  async #drainPending(w: StreamWriter): Promise<void> {
    for (let b = this.#pending.get(w.next); b; b = this.#pending.get(w.next)) {
      this.#pending.delete(w.next);
      this.#pendingBytes -= b.length;
      await w.write(b);
    }
  }

  /** Ends the writer, then writes the chunks still waiting (never overlapping), one writer per contiguous run. */
  async #flushWrites(): Promise<void> {
    const w = this.#writer;
    this.#writer = undefined;
    const runs: { start: number; end: number; chunks: Buffer[] }[] = [];
    for (const [o, b] of [...this.#pending].sort((x, y) => x[0] - y[0])) {
      const last = runs.at(-1);
      if (last && last.end === o) {
        last.chunks.push(b);
        last.end += b.length;
      } else runs.push({ start: o, end: o + b.length, chunks: [b] });
    }
    this.#pending.clear();
    this.#pendingBytes = 0;
    let failure: unknown;
    if (w)
      await w.finish().catch((e: unknown) => {
        failure ??= e;
      });
    for (const run of runs) {
      try {
        const rw = await this.#spawnWriter(run.start);
        try {
          for (const c of run.chunks) await rw.write(c);
        } catch (e) {
          failure ??= e;
        }
        await rw.finish();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) throw failure;
  }
}
