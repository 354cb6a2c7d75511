/**
 * FileHandle over a fake container: `dd`, `cat` and the open scripts act on
 * an in-memory file table, streaming like the Docker driver does (stdout
 * ignores backpressure; only pausing the transport, which is the stdin
 * object, stops the producer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import type { Execution } from '../runtime/runtime-driver.ts';
import { OPEN_READ_SCRIPT, OPEN_WRITE_SCRIPT, type Box } from './box.ts';
import { FileHandle, newFileMode, writeOpenMode } from './file-handle.ts';
import { OPEN_FLAG, SftpStatusError, STATUS } from './sftp-status.ts';

class FakeContainer implements Box {
  readonly files = new Map<string, Buffer>();
  readonly runs: string[][] = [];
  /** Most bytes a reader's stdout held unread at once. */
  maxUnread = 0;
  /** Most bytes queued on a writer's stdin at once. */
  maxQueuedIn = 0;

  async run(applet: string, args: readonly string[]): Promise<Execution> {
    this.runs.push([applet, ...args]);
    const kv = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
    if (applet === 'dd' && kv.if !== undefined) {
      const data = this.files.get(kv.if);
      if (!data) return this.#failed(`dd: can't open '${kv.if}': No such file or directory`);
      const start = Number(kv.skip ?? 0);
      const end = kv.count !== undefined ? Math.min(data.length, start + Number(kv.count)) : data.length;
      return this.#producer(data.subarray(Math.min(start, data.length), Math.max(start, end)), false);
    }
    if (applet === 'dd' && kv.of !== undefined) return this.#writer(kv.of, args.includes('oflag=append') ? -1 : Number(kv.seek ?? 0), false);
    if (applet === 'sh' && args[1] === OPEN_READ_SCRIPT) {
      const path = args[3]!;
      const data = this.files.get(path);
      if (!data) return this.#failed(`sh: can't open ${path}: no such file`);
      return this.#producer(data, true);
    }
    if (applet === 'sh' && args[1] === OPEN_WRITE_SCRIPT) {
      const [path, how] = [args[3]!, args[4]!];
      if (path.startsWith('/ro/')) return this.#failed(`sh: can't create ${path}: Permission denied`);
      const exists = this.files.has(path);
      if (how === 'excl' && exists) return this.#failed(`sh: can't create ${path}: File exists`);
      if ((how === 'existing' || how === 'trunc-existing') && !exists) return this.#failed(`stat: can't stat '${path}': No such file or directory`);
      if (how === 'trunc' || how === 'excl' || how === 'trunc-existing' || !exists) this.files.set(path, Buffer.alloc(0));
      return this.#writer(path, args[6] === '1' ? -1 : 0, true);
    }
    throw new Error(`fake container: unexpected ${applet} ${args.join(' ')}`);
  }

  async capture(applet: string, args: readonly string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    const e = await this.run(applet, args);
    const out: Buffer[] = [];
    let err = '';
    e.stdout.on('data', (b: Buffer) => out.push(b));
    e.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    e.stdin.end();
    const code = await e.exited;
    return { code, stdout: Buffer.concat(out), stderr: err.trim() };
  }

  #exec(
    stdinWrite: (chunk: Buffer) => void,
    onEnd: () => void,
  ): { exec: Execution; stdout: PassThrough; stderr: PassThrough; exit: (code: number) => void; transport: { paused: boolean; onResume?: () => void } } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const transport: { paused: boolean; onResume?: () => void } = { paused: false };
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => {
      exit = r;
    });
    const stdin = new Duplex({
      write: (chunk: Buffer, _enc, cb) => {
        stdinWrite(chunk);
        setImmediate(cb);
      },
      final: (cb) => {
        onEnd();
        cb();
      },
      read: () => undefined,
    });
    // Like a socket: pausing its readable side stops the engine from sending.
    stdin.pause = () => {
      transport.paused = true;
      return stdin;
    };
    stdin.resume = () => {
      transport.paused = false;
      transport.onResume?.();
      return stdin;
    };
    const exec: Execution = {
      stdin,
      stdout,
      stderr,
      exited,
      transport: stdin, // as the Docker driver declares its engine connection
      resize: async () => undefined,
      signal: async () => {
        stdout.end();
        exit(137);
      },
      close: () => {
        stdout.end();
        exit(-1);
      },
    };
    return { exec, stdout, stderr, exit, transport };
  }

  #failed(message: string): Execution {
    const x = this.#exec(
      () => undefined,
      () => undefined,
    );
    x.stderr.end(`${message}\n`);
    x.stdout.end();
    setImmediate(() => x.exit(1));
    return x.exec;
  }

  /** Sends `data` in 64 KiB chunks, like the demultiplexer: ignoring stdout's backpressure, stopping only while the transport is paused. */
  #producer(data: Buffer, marker: boolean): Execution {
    const x = this.#exec(
      () => undefined,
      () => undefined,
    );
    if (marker) x.stdout.write('+\n');
    let off = 0;
    const pump = () => {
      while (!x.transport.paused && off < data.length) {
        x.stdout.write(data.subarray(off, off + 65536));
        off += 65536;
        this.maxUnread = Math.max(this.maxUnread, x.stdout.readableLength + x.stdout.writableLength);
        if (off % (256 * 1024) === 0) {
          setImmediate(pump);
          return;
        }
      }
      if (off >= data.length && !x.stdout.writableEnded) {
        x.stdout.end();
        x.stderr.end();
        setImmediate(() => x.exit(0));
      }
    };
    x.transport.onResume = () => setImmediate(pump);
    setImmediate(pump);
    return x.exec;
  }

  #writer(path: string, seek: number, marker: boolean): Execution {
    let pos = seek;
    const x = this.#exec(
      (chunk) => {
        const cur = this.files.get(path) ?? Buffer.alloc(0);
        const at = pos < 0 ? cur.length : pos;
        const next = Buffer.alloc(Math.max(cur.length, at + chunk.length));
        cur.copy(next);
        chunk.copy(next, at);
        this.files.set(path, next);
        if (pos >= 0) pos += chunk.length;
      },
      () => {
        x.stdout.end();
        x.stderr.end();
        setImmediate(() => x.exit(0));
      },
    );
    const stdin = x.exec.stdin;
    const origWrite = stdin.write.bind(stdin) as (c: Buffer) => boolean;
    (stdin as unknown as { write: (c: Buffer) => boolean }).write = (c: Buffer) => {
      const r = origWrite(c);
      this.maxQueuedIn = Math.max(this.maxQueuedIn, stdin.writableLength);
      return r;
    };
    if (marker) x.stdout.write('+\n');
    return x.exec;
  }
}

const W = OPEN_FLAG.WRITE | OPEN_FLAG.CREAT | OPEN_FLAG.TRUNC;

test('open modes and new-file modes', () => {
  assert.equal(writeOpenMode(W), 'trunc');
  assert.equal(writeOpenMode(W | OPEN_FLAG.EXCL), 'excl');
  assert.equal(writeOpenMode(OPEN_FLAG.WRITE | OPEN_FLAG.CREAT), 'creat');
  assert.equal(writeOpenMode(OPEN_FLAG.WRITE | OPEN_FLAG.TRUNC), 'trunc-existing');
  assert.equal(writeOpenMode(OPEN_FLAG.WRITE), 'existing');
  assert.equal(newFileMode(0o100755), '755');
  assert.equal(newFileMode(0o666), '644');
  assert.equal(newFileMode(undefined), '');
});

test('sequential pipelined writes go through one writer', async () => {
  const c = new FakeContainer();
  const data = randomBytes(3 * 1024 * 1024 + 123);
  const h = new FileHandle(c, '/f', W);
  await h.open(0o644);
  const writes: Promise<void>[] = [];
  for (let o = 0; o < data.length; o += 32768) writes.push(h.write(o, data.subarray(o, o + 32768)));
  await Promise.all(writes);
  await h.close();
  assert.ok(c.files.get('/f')!.equals(data));
  assert.equal(c.runs.length, 1, 'only the opening writer');
  assert.ok(c.maxQueuedIn <= 64 * 1024, `stdin queue bounded (${c.maxQueuedIn})`);
});

test('out-of-order writes within the window are reordered; far ones and rewrites fall back to seeking writers', async () => {
  const c = new FakeContainer();
  const data = randomBytes(400_000);
  const h = new FileHandle(c, '/f', W, { windowBytes: 100_000 });
  await h.open(undefined);
  const chunk = (o: number, n = 10_000) => h.write(o, data.subarray(o, o + n));
  const order = [0, 20_000, 10_000, 40_000, 30_000];
  await Promise.all(order.map((o) => chunk(o)));
  assert.equal(c.runs.length, 1, 'reordered in memory');
  await chunk(300_000, 100_000); // far ahead: flush and seek
  await Promise.all([50_000, 60_000, 70_000].map((o) => chunk(o)));
  await chunk(80_000, 220_000);
  await h.write(5, Buffer.from('XYZ')); // rewrite earlier bytes: later write wins
  await h.close();
  const want = Buffer.from(data);
  want.write('XYZ', 5);
  assert.ok(c.files.get('/f')!.equals(want));
  assert.ok(
    c.runs.some((r) => r.includes('seek=300000')),
    'a writer seeked to the far offset',
  );
});

test('overlapping writes keep the latest data', async () => {
  const c = new FakeContainer();
  const h = new FileHandle(c, '/f', W);
  await h.open(undefined);
  await h.write(0, Buffer.from('aaaa'));
  await h.write(8, Buffer.from('cccc')); // waits for the gap
  await h.write(6, Buffer.from('bbbb')); // overlaps the waiting chunk: newer wins
  await h.close();
  assert.equal(c.files.get('/f')!.toString('latin1'), 'aaaa\0\0bbbbcc');
});

test('append handles write at the end whatever the offset', async () => {
  const c = new FakeContainer();
  c.files.set('/f', Buffer.from('start-'));
  const h = new FileHandle(c, '/f', OPEN_FLAG.WRITE | OPEN_FLAG.APPEND);
  await h.open(undefined);
  await h.write(0, Buffer.from('one-'));
  await h.write(0, Buffer.from('two'));
  await h.close();
  assert.equal(c.files.get('/f')!.toString(), 'start-one-two');
});

test('open failures carry the kernel reason as status', async () => {
  const c = new FakeContainer();
  const reject = async (h: FileHandle, code: number) => assert.rejects(h.open(undefined), (e: unknown) => e instanceof SftpStatusError && e.code === code);
  await reject(new FileHandle(c, '/missing', OPEN_FLAG.READ), STATUS.NO_SUCH_FILE);
  await reject(new FileHandle(c, '/ro/x', W), STATUS.PERMISSION_DENIED);
  c.files.set('/e', Buffer.from('x'));
  await reject(new FileHandle(c, '/e', W | OPEN_FLAG.EXCL), STATUS.FAILURE);
  await reject(new FileHandle(c, '/nope', OPEN_FLAG.WRITE), STATUS.NO_SUCH_FILE);
});

test('pipelined reads stream from one reader with bounded buffering, then EOF', async () => {
  const c = new FakeContainer();
  const data = randomBytes(20 * 1024 * 1024 + 5);
  c.files.set('/big', data);
  const h = new FileHandle(c, '/big', OPEN_FLAG.READ, { readHighWater: 1024 * 1024 });
  await h.open(undefined);
  const got: Buffer[] = [];
  let off = 0;
  // Like OpenSSH: requests of 32 KiB issued in order, several outstanding; a client slower than the tool.
  const outstanding: { o: number; p: Promise<Buffer | null> }[] = [];
  let eof = false;
  while (!eof) {
    while (outstanding.length < 8) {
      outstanding.push({ o: off, p: h.read(off, 32768) });
      off += 32768;
    }
    const { p } = outstanding.shift()!;
    const b = await p;
    if (b === null) {
      eof = true;
      break;
    }
    got.push(b);
    if (got.length % 4 === 0) await new Promise((r) => setTimeout(r, 1)); // a slow client
  }
  await Promise.all(outstanding.map((x) => x.p));
  await h.close();
  assert.ok(Buffer.concat(got).equals(data));
  assert.equal(c.runs.length, 1, 'one streaming reader');
  assert.ok(c.maxUnread < 4 * 1024 * 1024, `the producer was paused (max unread ${c.maxUnread})`);
});

test('a read behind the stream while it is busy is served by a one-off read; far jumps restart the reader', async () => {
  const c = new FakeContainer();
  const data = randomBytes(12 * 1024 * 1024);
  c.files.set('/f', data);
  const h = new FileHandle(c, '/f', OPEN_FLAG.READ, { readHighWater: 256 * 1024 });
  await h.open(undefined);
  const first = await h.read(0, 1000);
  assert.ok(first!.equals(data.subarray(0, 1000)));
  const ahead = h.read(2_000_000, 1000); // waits on the stream
  const back = await h.read(10, 20); // behind what the stream dropped
  assert.ok(back!.equals(data.subarray(10, 30)));
  assert.ok((await ahead)!.equals(data.subarray(2_000_000, 2_001_000)));
  const far = await h.read(11 * 1024 * 1024, 4096);
  assert.ok(far!.equals(data.subarray(11 * 1024 * 1024, 11 * 1024 * 1024 + 4096)));
  assert.ok(
    c.runs.some((r) => r.includes('skip=11534336')),
    'restarted at the far offset',
  );
  const tail = await h.read(data.length - 10, 100);
  assert.equal(tail!.length, 10, 'short read only at end of file');
  assert.equal(await h.read(data.length, 100), null);
  assert.equal(await h.read(data.length + 5000, 100), null);
  await h.close();
});

test('reading after writing on a read-write handle sees the written data', async () => {
  const c = new FakeContainer();
  const h = new FileHandle(c, '/rw', OPEN_FLAG.READ | W);
  await h.open(undefined);
  await h.write(0, Buffer.from('hello world'));
  assert.equal((await h.read(6, 100))!.toString(), 'world');
  await h.write(0, Buffer.from('HELLO'));
  assert.equal((await h.read(0, 100))!.toString(), 'HELLO world');
  await h.close();
  await assert.rejects(h.read(0, 1), SftpStatusError);
});

test('a handle opened for reading refuses writes and vice versa', async () => {
  const c = new FakeContainer();
  c.files.set('/f', Buffer.from('x'));
  const r = new FileHandle(c, '/f', OPEN_FLAG.READ);
  await r.open(undefined);
  await assert.rejects(r.write(0, Buffer.from('y')), (e: unknown) => e instanceof SftpStatusError && e.code === STATUS.PERMISSION_DENIED);
  const w = new FileHandle(c, '/f', OPEN_FLAG.WRITE);
  await w.open(undefined);
  await assert.rejects(w.read(0, 1), (e: unknown) => e instanceof SftpStatusError && e.code === STATUS.PERMISSION_DENIED);
  await r.close();
  await w.close();
});
