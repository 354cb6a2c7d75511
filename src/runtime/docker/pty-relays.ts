/**
 * ISLET's end of the pty relay (native/pty-relay.c): a trainee's terminal over a unix socket of its own, with no
 * engine process in the data path.
 *
 * Why: through the engine's attach every keystroke and every echo crosses dockerd and the container's shim, two
 * more processes to wake in each direction on a machine whose cores the room keeps busy; per keystroke they cost
 * more CPU than ISLET itself (docs/performance.md, "The data path's CPU cost").
 *
 * How: at create the container gets the relay as its main process (`/.islet-relay SOCKET PROGRAM...`), the relay
 * binary bound read-only, and a directory of its own bound read-only at /.islet-io holding SOCKET, on which ISLET
 * listens. Only that container sees that directory; ISLET never follows a path a trainee can write (ISLET listens,
 * the relay connects).
 *
 * Contract:
 * - One live relay connection per container: a connection made while one is live is closed at once, so a trainee's
 *   program cannot take over a terminal the relay holds (at worst, after ISLET restarted, it races the relay for
 *   its own terminal: nobody else's).
 * - attach() works before the container starts and while no relay is connected: input waits (bounded by the
 *   writer's backpressure), output starts when the relay connects. Several attachments share the terminal;
 *   output pauses while any of them is not read (as the engine's attach stream does).
 * - Another process listening for the same container (a second server, or a restarted one) takes the terminal over:
 *   this process watches each socket's directory (one inotify watch each) and, when its socket file was replaced,
 *   closes the relay's connection and stops listening, so the relay connects to the newest listener at once; the
 *   attachments here then end, as below, and a later attach here listens anew (taking the terminal back). Should
 *   a server not let go (stuck, an older ISLET, no inotify watch to be had), the relay moves over by itself within
 *   its own check interval (native/pty-relay.c's CHECK_MS, a minute: it no longer wakes every second for it, which
 *   a room of idle terminals paid for in CPU). A server listens for a container only when it is attached to or
 *   started through it.
 * - An attachment ends on detach() or when the relay's connection ends (the relay exits with the shell; a lost
 *   connection looks the same, and the caller then inspects the container, as for the engine's attach).
 * - Everything ISLET reads from the relay is the trainee's terminal output, as untrusted as it was through the engine.
 */
import { type FSWatcher, chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, watch } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Attachment, TtySize } from '../runtime-driver.ts';

/** The relay binary scripts/build-pty-relay.sh builds. */
export const PTY_RELAY_BINARY = fileURLToPath(new URL('../../../native/build/pty-relay', import.meta.url));
/** Where the relay binary is bound in the container. */
export const RELAY_PATH = '/.islet-relay';
/** Where the container's own socket directory is bound. */
export const RELAY_IO_DIR = '/.islet-io';
/** The label holding a container's relay token (the name of its socket directory). */
export const LABEL_RELAY = 'islet.relay';
/** Largest input frame (the relay's FRAME_MAX). */
const FRAME_MAX = 64 * 1024;
const TOKEN = /^[0-9a-f]{24}$/;
/** A socket directory younger than this is never swept (its container may not be listed yet). */
export const SWEEP_MIN_AGE_MS = 10 * 60_000;

export interface RelayMounts {
  readonly token: string;
  readonly binds: readonly (readonly [source: string, target: string])[];
  readonly entrypoint: readonly string[];
  /** The relay's arguments, before the program's own argv. */
  readonly args: readonly string[];
}

/** What a PtyRelays may be given besides its directory and binary. */
export interface PtyRelaysOptions {
  /** The relay's and its program's scheduler slice (native/pty-relay.c's `-s`), µs; 0 (default): the kernel's. */
  readonly sliceUs?: number;
  /**
   * Told once (the first time) that a socket's directory could not be watched (inotify limits, an inotify error):
   * without the watch a second server takes that terminal over only at the relay's own check, up to a minute later.
   */
  readonly onWatchUnavailable?: (detail: string) => void;
  /** node:fs watch, or a stand-in for tests. */
  readonly watchDir?: typeof watch;
}

export class PtyRelays {
  readonly dir: string;
  readonly binary: string;
  readonly #relays = new Map<string, Relay>();
  readonly #watchDir: typeof watch;
  readonly #onWatchUnavailable: ((detail: string) => void) | undefined;
  #watchWarned = false;

  /** The scheduler slice the relay and its program ask for (native/pty-relay.c's `-s`), µs; 0: the kernel's default. */
  readonly sliceUs: number;

  constructor(dir: string, binary: string, opts: PtyRelaysOptions = {}) {
    const sliceUs = opts.sliceUs ?? 0;
    this.dir = resolve(dir);
    this.binary = resolve(binary);
    if (!Number.isInteger(sliceUs) || sliceUs < 0 || sliceUs > 100_000) throw new RangeError(`sliceUs: an integer from 0 to 100000, not ${sliceUs}`);
    this.sliceUs = sliceUs;
    this.#watchDir = opts.watchDir ?? watch;
    this.#onWatchUnavailable = opts.onWatchUnavailable;
  }

  /** The first watch that could not be had is reported; later ones are the same condition. */
  #watchUnavailable(err: unknown): void {
    if (this.#watchWarned) return;
    this.#watchWarned = true;
    this.#onWatchUnavailable?.(err instanceof Error ? err.message : String(err));
  }

  /** A new token, its directory and listener ready before the container is created. */
  prepare(): RelayMounts {
    const token = randomBytes(12).toString('hex');
    this.#relay(token);
    return {
      token,
      binds: [
        [this.binary, RELAY_PATH],
        [join(this.dir, token), RELAY_IO_DIR],
      ],
      entrypoint: [RELAY_PATH],
      args: [...(this.sliceUs > 0 ? ['-s', String(this.sliceUs)] : []), `${RELAY_IO_DIR}/sock`],
    };
  }

  /** The attachment of the relay `token` (listening again after a restart of ISLET). */
  attach(token: string): Attachment {
    return this.#relay(token).attach();
  }

  /** Listens for the relay `token` (creating its directory) unless this process already does. */
  listen(token: string): void {
    this.#relay(token);
  }

  resize(token: string, size: TtySize): void {
    this.#relay(token).resize(size);
  }

  /** Stops listening for `token` and removes its directory (the container is gone). */
  forget(token: string): void {
    if (!TOKEN.test(token)) return;
    this.#relays.get(token)?.close();
    this.#relays.delete(token);
    rmSync(join(this.dir, token), { recursive: true, force: true });
  }

  /**
   * Removes the directories of tokens not in `live` (containers removed while ISLET was not running). A token this
   * process prepared or attached to is never removed here, nor one made in the last SWEEP_MIN_AGE_MS: its
   * container may be in creation (here or in another server on the same directory), not listed yet.
   */
  sweep(live: ReadonlySet<string>, now: number = Date.now()): number {
    let removed = 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (TOKEN.test(name) && !live.has(name) && !this.#relays.has(name) && now - mtimeMs(join(this.dir, name)) >= SWEEP_MIN_AGE_MS) {
        this.forget(name);
        removed++;
      }
    }
    return removed;
  }

  /** Closes every listener (ISLET stopping); the directories stay for the relays to connect to again. */
  close(): void {
    for (const r of this.#relays.values()) r.close();
    this.#relays.clear();
  }

  #relay(token: string): Relay {
    if (!TOKEN.test(token)) throw new Error(`not a relay token: ${JSON.stringify(token)}`);
    let r = this.#relays.get(token);
    if (!r) {
      const dir = join(this.dir, token);
      // undefined: the directory was there already (a relay listened here before, in this process or another).
      const made = mkdirSync(dir, { recursive: true, mode: 0o755 }) !== undefined;
      chmodSync(dir, 0o755);
      const relay = new Relay(
        join(dir, 'sock'),
        made,
        () => {
          if (this.#relays.get(token) === relay) this.#relays.delete(token);
        },
        this.#watchDir,
        (err) => this.#watchUnavailable(err),
      );
      r = relay;
      this.#relays.set(token, r);
    }
    return r;
  }
}

interface Tap {
  readonly output: PassThrough;
  end(): void;
}

/** One container's socket: its live relay connection and the attachments sharing it. */
class Relay {
  readonly #server: Server;
  #sock: Socket | undefined;
  readonly #taps = new Set<Tap>();
  /** Input written while no relay is connected: sent when one connects. */
  #waiting: Array<{ frame: Buffer; done: (err?: Error | null) => void }> = [];
  #size: TtySize | undefined;

  readonly #path: string;
  /** The inode of this listener's socket file, once bound: another inode at the path is another listener. */
  #ino: number | undefined;
  #watcher: FSWatcher | undefined;
  #closed = false;

  /**
   * `newDir`: the socket's directory was made just now, so no file of an earlier listener is in it.
   * `takenOver`: called once when another listener replaced this one's socket file (this one has closed).
   * `unwatched`: the socket's directory could not be watched, or its watch failed (then only the relay's own check
   * moves it to another listener).
   */
  constructor(path: string, newDir: boolean, takenOver: () => void, watchDir: typeof watch, unwatched: (err: unknown) => void) {
    this.#path = path;
    // Bound under a name of this process's own and renamed into place: the rename replaces another listener's file
    // at once (the relay never finds none), and closing this server later unlinks only that name (libuv unlinks
    // the path a pipe was bound to when it closes, which must never be the socket another server now holds).
    const bound = `${path}.${process.pid.toString(36)}`;
    // A crashed process of the same pid, before a reboot (skipped in a new directory: a failed lstat costs a
    // thrown error, a tenth of a millisecond per new container).
    if (!newDir) rmSync(bound, { force: true });
    this.#server = createServer((s) => this.#connected(s));
    this.#server.on('error', () => undefined);
    try {
      // Only names in the directory matter, and only 'sock'; the directory is the container's alone.
      this.#watcher = watchDir(dirname(path), { persistent: false }, (_event, name) => {
        if (name === basename(path)) this.#checkTakenOver(takenOver);
      });
      this.#watcher.on('error', (err) => {
        this.#watcher?.close();
        if (!this.#closed) unwatched(err);
      });
    } catch (err) {
      unwatched(err); // no watch to be had (inotify limits): the relay's own check moves it over, later
    }
    this.#server.listen(bound, () => {
      try {
        chmodSync(bound, 0o666); // any user the container runs as may connect
        renameSync(bound, path);
        this.#ino = lstatSync(path).ino;
      } catch {
        /* the directory went away: forget() is closing this */
      }
    });
  }

  /** Another socket file at the path: let go of the relay so it connects there. A missing file is not (yet) one. */
  #checkTakenOver(takenOver: () => void): void {
    if (this.#closed || this.#ino === undefined) return;
    let ino: number;
    try {
      ino = lstatSync(this.#path).ino;
    } catch {
      return;
    }
    if (ino === this.#ino) return;
    this.close();
    takenOver();
  }

  #connected(s: Socket): void {
    s.on('error', () => undefined);
    if (this.#sock) {
      s.destroy();
      return;
    }
    this.#sock = s;
    s.on('data', (chunk: Buffer) => {
      let full = false;
      for (const t of this.#taps) full = !t.output.write(chunk) || full;
      if (full) s.pause();
    });
    s.once('close', () => {
      if (this.#sock === s) this.#sock = undefined;
      for (const t of [...this.#taps]) t.end();
    });
    if (this.#size) s.write(resizeFrame(this.#size));
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) s.write(w.frame, w.done);
  }

  attach(): Attachment {
    const output = new PassThrough();
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => {
      resolveEnded = r;
    });
    const tap: Tap = {
      output,
      end: () => {
        if (!this.#taps.delete(tap)) return;
        output.end();
        input.destroy();
        this.#sock?.resume();
        resolveEnded();
      },
    };
    output.on('drain', () => {
      if ([...this.#taps].every((t) => !t.output.writableNeedDrain)) this.#sock?.resume();
    });
    const input = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const frames: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += FRAME_MAX) frames.push(dataFrame(chunk.subarray(i, i + FRAME_MAX)));
        const frame = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
        if (this.#sock) this.#sock.write(frame, done);
        else this.#waiting.push({ frame, done });
      },
    });
    input.on('error', () => undefined);
    this.#taps.add(tap);
    return { input, output, ended, detach: () => tap.end() };
  }

  resize(size: TtySize): void {
    this.#size = size;
    this.#sock?.write(resizeFrame(size));
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#server.close();
    this.#sock?.destroy();
    for (const t of [...this.#taps]) t.end();
    for (const w of this.#waiting) w.done(new Error('relay closed'));
    this.#waiting = [];
  }
}

/** A directory's modification time, or 0 when it cannot be read (then it is old enough to sweep). */
function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function dataFrame(bytes: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x44; // 'D'
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

function resizeFrame(size: TtySize): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0x52; // 'R'
  b.writeUInt32BE(4, 1);
  b.writeUInt16BE(Math.min(0xffff, Math.max(1, size.rows)), 5);
  b.writeUInt16BE(Math.min(0xffff, Math.max(1, size.cols)), 7);
  return b;
}
