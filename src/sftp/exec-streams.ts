/**
 * One long-running tool per open file, its output served to SFTP READs and
 * its input fed from SFTP WRITEs, so big files stream through ISLET with
 * bounded memory.
 *
 * StreamReader: a process printing the file from offset `start` (cat/dd).
 * READ requests (OpenSSH keeps many outstanding, at increasing offsets) wait
 * until their byte range has arrived; data nobody can ask for any more is
 * dropped; when more than `highWater` bytes are buffered the process's output
 * is paused. A request the stream cannot serve (behind what was dropped, far
 * ahead, or after the process was stopped) is answered 'restart': the caller
 * starts a new reader at that offset.
 *
 * StreamWriter: a process writing its stdin to the file from offset `start`
 * (dd seek=…). write() resolves once the data is accepted without exceeding
 * the transport's buffer (backpressure), finish() ends the input and reports
 * how the process ended.
 *
 * Both may wait for a marker line `+\n` on stdout that the opening script
 * prints once the file is open: failing to open is reported by `ready`.
 */
import type { Execution } from '../runtime/runtime-driver.ts';
import { SftpStatusError, STATUS, statusFromStderr } from './sftp-status.ts';

const MARKER = Buffer.from('+\n');

export type ReadResult = Buffer | null | 'restart';

interface Waiter {
  readonly offset: number;
  readonly len: number;
  resolve(r: ReadResult): void;
  reject(e: Error): void;
}

/**
 * A driver whose stdout does not pass backpressure on (the Docker driver's demultiplexer over the engine
 * connection) names the connection as `transport`: pausing it as well keeps the engine (and so the tool in
 * the container) from sending more than we buffer. No guess about what stdin is: the engine need not be a
 * local socket (Swarm nodes, Kubernetes).
 */
function transportOf(exec: Execution): Execution['transport'] {
  return exec.transport;
}

/** Pauses a tool's output, and the engine connection under it, while `full` is true; resumes when it is not. */
export function outputValve(exec: Execution): (full: boolean) => void {
  const transport = transportOf(exec);
  let paused = false;
  return (full) => {
    if (full && !paused) {
      paused = true;
      exec.stdout.pause();
      transport?.pause();
    } else if (!full && paused) {
      paused = false;
      transport?.resume();
      exec.stdout.resume();
    }
  };
}

function collectStderr(exec: Execution): () => string {
  let err = '';
  exec.stderr.on('data', (b: Buffer) => {
    if (err.length < 4096) err += b.toString('utf8');
  });
  exec.stderr.on('error', () => undefined);
  return () => err;
}

/**
 * Stops a tool: drops the engine connection first (an unread stream would keep the engine from finishing
 * this and the container's other executions), then kills the process group (best effort).
 */
export function killExecution(exec: Execution): void {
  try {
    exec.close();
  } catch {
    /* gone */
  }
  void exec.signal('SIGKILL').catch(() => undefined);
}

export class StreamReader {
  /** File offset of the first buffered byte. */
  #pos: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** End of the highest range served so far: data below it is no longer kept. */
  #servedEnd: number;
  #ended = false;
  #stopped = false;
  #error: SftpStatusError | undefined;
  #waiters: Waiter[] = [];
  #markerPending: boolean;
  #head: Buffer = Buffer.alloc(0);
  readonly #exec: Execution;
  readonly #valve: (full: boolean) => void;
  readonly #stderr: () => string;
  readonly #highWater: number;
  readonly #hardCap: number;
  readonly #forwardGap: number;
  readonly ready: Promise<void>;
  #readyResolve!: () => void;
  #readyReject!: (e: Error) => void;

  constructor(exec: Execution, start: number, opts: { marker?: boolean; highWater?: number; forwardGap?: number } = {}) {
    this.#exec = exec;
    this.#pos = start;
    this.#servedEnd = start;
    this.#highWater = opts.highWater ?? 1024 * 1024;
    this.#hardCap = this.#highWater * 4;
    this.#forwardGap = opts.forwardGap ?? 4 * 1024 * 1024;
    this.#markerPending = opts.marker ?? false;
    this.ready = new Promise((res, rej) => {
      this.#readyResolve = res;
      this.#readyReject = rej;
    });
    this.ready.catch(() => undefined);
    if (!this.#markerPending) this.#readyResolve();
    this.#valve = outputValve(exec);
    this.#stderr = collectStderr(exec);
    exec.stdin.on('error', () => undefined);
    exec.stdout.on('error', () => undefined);
    exec.stdout.on('data', (b: Buffer) => this.#onData(b));
    exec.stdout.once('end', () => {
      void this.#onEnd();
    });
    exec.stdin.end();
  }

  /** File offset the next unread byte of the stream is at. */
  get position(): number {
    return this.#pos;
  }

  /** Whether requests are waiting on this stream. */
  get busy(): boolean {
    return this.#waiters.length > 0;
  }

  /** Whether a READ at `offset` is best served by this stream. */
  accepts(offset: number): boolean {
    if (this.#stopped || offset < this.#pos) return false;
    if (this.#ended) return true;
    return offset <= this.#pos + this.#buffered + this.#forwardGap;
  }

  /** Bytes [offset, offset+len) (fewer only at end of file), null at end of file, or 'restart'. */
  read(offset: number, len: number): Promise<ReadResult> {
    if (!this.accepts(offset)) return Promise.resolve('restart');
    return new Promise<ReadResult>((resolve, reject) => {
      const w = { offset, len, resolve, reject };
      let i = this.#waiters.length;
      while (i > 0 && this.#waiters[i - 1]!.offset > offset) i--;
      this.#waiters.splice(i, 0, w);
      this.#serve();
    });
  }

  /** Stops the tool; pending reads are answered 'restart'. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#chunks = [];
    this.#buffered = 0;
    if (!this.#ended) killExecution(this.#exec);
    for (const w of this.#waiters.splice(0)) w.resolve('restart');
    this.#readyReject(new SftpStatusError(STATUS.FAILURE, 'closed'));
  }

  #onData(b: Buffer): void {
    if (this.#stopped) return;
    if (this.#markerPending) {
      this.#head = Buffer.concat([this.#head, b]);
      if (this.#head.length < MARKER.length) return;
      if (!this.#head.subarray(0, MARKER.length).equals(MARKER)) {
        this.#readyReject(new SftpStatusError(STATUS.FAILURE, 'unexpected output from the file reader'));
        this.stop();
        return;
      }
      this.#markerPending = false;
      this.#readyResolve();
      b = this.#head.subarray(MARKER.length);
      this.#head = Buffer.alloc(0);
      if (b.length === 0) return;
    }
    this.#chunks.push(b);
    this.#buffered += b.length;
    this.#serve();
    if (this.#buffered > this.#hardCap) {
      // Pausing had no effect (a transport without backpressure): give up this
      // stream rather than the memory; later reads restart at their offset.
      this.#stopped = true;
      killExecution(this.#exec);
      for (const w of this.#waiters.splice(0)) w.resolve('restart');
    }
  }

  async #onEnd(): Promise<void> {
    if (this.#stopped) return;
    const code = await this.#exec.exited;
    await new Promise((r) => setImmediate(r));
    const stderr = this.#stderr();
    if (this.#markerPending) {
      this.#readyReject(stderr ? statusFromStderr(stderr) : new SftpStatusError(STATUS.FAILURE, 'The file could not be opened.'));
      this.#stopped = true;
      for (const w of this.#waiters.splice(0)) w.resolve('restart');
      return;
    }
    if (code !== 0 && stderr) this.#error = statusFromStderr(stderr);
    else if (code > 0) this.#error = new SftpStatusError(STATUS.FAILURE, `read failed (status ${code})`);
    this.#ended = true;
    this.#serve();
  }

  #serve(): void {
    const end = this.#pos + this.#buffered;
    for (let i = 0; i < this.#waiters.length; ) {
      const w = this.#waiters[i]!;
      if (w.offset < this.#pos) {
        this.#waiters.splice(i, 1);
        w.resolve('restart');
        continue;
      }
      if (end >= w.offset + w.len) {
        this.#waiters.splice(i, 1);
        w.resolve(this.#slice(w.offset, w.len));
        this.#servedEnd = Math.max(this.#servedEnd, w.offset + w.len);
        continue;
      }
      if (this.#ended) {
        this.#waiters.splice(i, 1);
        if (w.offset < end) {
          w.resolve(this.#slice(w.offset, end - w.offset));
          this.#servedEnd = Math.max(this.#servedEnd, end);
        } else if (this.#error) w.reject(this.#error);
        else w.resolve(null);
        continue;
      }
      i++;
    }
    // Keep what a request may still ask for: from the lowest waiting request,
    // or from the end of what was served; when that would exceed the buffer
    // limit, drop up to the lowest waiting request.
    const lowest = this.#waiters[0]?.offset;
    let keepFrom = lowest === undefined ? this.#servedEnd : Math.min(lowest, this.#servedEnd);
    if (lowest !== undefined && end - keepFrom > this.#highWater) keepFrom = lowest;
    this.#drop(Math.min(keepFrom, end) - this.#pos);
    this.#flow();
  }

  #slice(offset: number, len: number): Buffer {
    let skip = offset - this.#pos;
    const parts: Buffer[] = [];
    let need = len;
    for (const c of this.#chunks) {
      if (need === 0) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const part = c.subarray(skip, Math.min(c.length, skip + need));
      skip = 0;
      parts.push(part);
      need -= part.length;
    }
    // A view, not a copy: the reply is copied into its packet at once.
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  #drop(n: number): void {
    if (n <= 0) return;
    this.#pos += n;
    this.#buffered -= n;
    while (n > 0 && this.#chunks.length) {
      const c = this.#chunks[0]!;
      if (c.length <= n) {
        this.#chunks.shift();
        n -= c.length;
      } else {
        this.#chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  #flow(): void {
    if (this.#ended || this.#stopped) return;
    this.#valve(this.#buffered >= this.#highWater);
  }
}

export class StreamWriter {
  /** File offset the next byte written goes to. */
  next: number;
  #exited: number | undefined;
  #ending = false;
  #markerPending: boolean;
  #head: Buffer = Buffer.alloc(0);
  readonly #exec: Execution;
  readonly #stderr: () => string;
  readonly #maxQueued: number;
  readonly ready: Promise<void>;
  #readyResolve!: () => void;
  #readyReject!: (e: Error) => void;

  constructor(exec: Execution, start: number, opts: { marker?: boolean; maxQueued?: number } = {}) {
    this.#exec = exec;
    this.next = start;
    this.#maxQueued = opts.maxQueued ?? 32 * 1024 * 1024;
    this.#markerPending = opts.marker ?? false;
    this.ready = new Promise((res, rej) => {
      this.#readyResolve = res;
      this.#readyReject = rej;
    });
    this.ready.catch(() => undefined);
    if (!this.#markerPending) this.#readyResolve();
    this.#stderr = collectStderr(exec);
    exec.stdin.on('error', () => undefined);
    exec.stdout.on('error', () => undefined);
    exec.stdout.on('data', (b: Buffer) => {
      if (!this.#markerPending) return;
      this.#head = Buffer.concat([this.#head, b]);
      if (this.#head.length < MARKER.length) return;
      this.#markerPending = false;
      if (this.#head.subarray(0, MARKER.length).equals(MARKER)) this.#readyResolve();
      else {
        this.#readyReject(new SftpStatusError(STATUS.FAILURE, 'unexpected output from the file writer'));
        killExecution(exec);
      }
    });
    void exec.exited.then(async (code) => {
      this.#exited = code;
      await new Promise((r) => setImmediate(r));
      if (this.#markerPending) {
        const stderr = this.#stderr();
        this.#readyReject(stderr ? statusFromStderr(stderr) : new SftpStatusError(STATUS.FAILURE, 'The file could not be opened for writing.'));
      }
    });
  }

  /** Queues `data` at `next`; resolves when the transport can take more. */
  async write(data: Buffer): Promise<void> {
    if (this.#exited !== undefined || this.#ending) throw this.#failure('The file writer stopped early.');
    const stdin = this.#exec.stdin;
    if (stdin.writableLength > this.#maxQueued) throw new SftpStatusError(STATUS.FAILURE, 'Too much data queued for writing.');
    this.next += data.length;
    if (stdin.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        stdin.off('close', done);
        resolve();
      };
      stdin.on('drain', done);
      stdin.on('close', done);
      void this.#exec.exited.then(done);
    });
    if (this.#exited !== undefined) throw this.#failure('The file writer stopped early.');
  }

  /** Ends the input and waits for the tool; throws the mapped error when it failed. */
  async finish(): Promise<void> {
    if (!this.#ending) {
      this.#ending = true;
      this.#exec.stdin.end();
    }
    const code = await this.#exec.exited;
    await new Promise((r) => setImmediate(r));
    if (code === 0 || (code === -1 && !this.#stderr())) return;
    throw this.#failure(`write failed (status ${code})`);
  }

  kill(): void {
    this.#ending = true;
    killExecution(this.#exec);
  }

  #failure(fallback: string): SftpStatusError {
    const s = this.#stderr();
    return s ? statusFromStderr(s) : new SftpStatusError(STATUS.FAILURE, fallback);
  }
}
