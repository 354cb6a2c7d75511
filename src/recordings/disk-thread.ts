/**
 * One worker thread does the disk work of every BufferedFile (recordings and event files): open, append,
 * close. Why: each fs callback write costs the main thread a request, a string copy and a wake-up of a
 * libuv pool thread, and the pool thread a wake-up of the main loop; at 100 trainees with a flush a
 * second that was the recorder's largest cost (bench/recording-overhead.ts --profile: `writeString`).
 * Here the operations of one tick of the event loop (the shared flush timer kicks every file in one tick)
 * go to the thread as one message, it does them with plain blocking calls in order, and answers with one
 * message. The main thread never waits for the disk.
 *
 * Contract: operations on one file are done in the order they were asked; every operation's callback is
 * called exactly once (with the error, if any). If the thread dies, every waiting operation fails and the
 * next one starts a new thread (files opened before are then gone: their writes fail, and their owners
 * report it). The thread keeps the process alive only while operations are outstanding.
 */
import { Worker } from 'node:worker_threads';

type Done = (err?: Error) => void;
/** [kind, seq, file, data]: 0 open (data: path), 1 append (data: text), 2 close. */
type Op = [0 | 1 | 2, number, number, string];

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const fds = new Map();
parentPort.on('message', (ops) => {
  const failed = [];
  for (const [kind, seq, file, data] of ops) {
    try {
      if (kind === 0) {
        fs.mkdirSync(path.dirname(data), { recursive: true, mode: 0o700 });
        fds.set(file, fs.openSync(data, 'a', 0o600));
      } else {
        const fd = fds.get(file);
        if (fd === undefined) throw Object.assign(new Error('file not open'), { code: 'EBADF' });
        if (kind === 1) {
          const b = Buffer.from(data, 'utf8');
          for (let off = 0; off < b.length; ) off += fs.writeSync(fd, b, off, b.length - off);
        } else {
          fds.delete(file);
          fs.closeSync(fd);
        }
      }
    } catch (err) {
      failed.push([seq, String(err && err.code || ''), String(err && err.message || err)]);
    }
  }
  parentPort.postMessage({ last: ops[ops.length - 1][1], failed });
});
`;

let worker: Worker | undefined;
let outbox: Op[] = [];
let sendScheduled = false;
let seq = 0;
let nextFile = 1;
/** Callbacks of the operations sent and not answered yet, in order (seq ascending). */
const waiting = new Map<number, Done>();

function start(): Worker {
  const w = new Worker(SOURCE, { eval: true, name: 'islet-recordings-disk' });
  w.on('message', (m: { last: number; failed: [number, string, string][] }) => {
    const errors = new Map(m.failed.map(([s, code, msg]) => [s, Object.assign(new Error(msg), { code })]));
    for (const [s, done] of waiting) {
      if (s > m.last) break;
      waiting.delete(s);
      done(errors.get(s));
    }
    if (waiting.size === 0) w.unref();
  });
  const die = (err: unknown) => {
    if (worker !== w) return;
    worker = undefined;
    const e = err instanceof Error ? err : new Error(`recordings disk thread ended (${String(err)})`);
    for (const [s, done] of waiting) {
      waiting.delete(s);
      done(e);
    }
  };
  w.on('error', die);
  w.on('exit', (code) => die(code));
  return w;
}

function send(): void {
  sendScheduled = false;
  if (outbox.length === 0) return;
  const ops = outbox;
  outbox = [];
  worker ??= start();
  worker.ref();
  worker.postMessage(ops);
}

function ask(kind: 0 | 1 | 2, file: number, data: string, done: Done): void {
  const s = ++seq;
  waiting.set(s, done);
  outbox.push([kind, s, file, data]);
  if (!sendScheduled) {
    sendScheduled = true;
    setImmediate(send);
  }
}

/** Opens `path` for appending (its folder made, mode 0700; the file 0600); returns the file's handle. */
export function diskOpen(path: string, done: Done): number {
  const file = nextFile++;
  ask(0, file, path, done);
  return file;
}

export function diskAppend(file: number, text: string, done: Done): void {
  ask(1, file, text, done);
}

export function diskClose(file: number, done: Done): void {
  ask(2, file, '', done);
}
