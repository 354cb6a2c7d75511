/**
 * Adapts an ssh2 session channel (with its pty and window-change requests)
 * to the core Terminal the session engine uses.
 *
 * Bounds: window changes reach listeners at most RESIZE_PER_SECOND times a
 * second (the last size always arrives); pauseInput() pauses the channel,
 * and ssh2 then stops opening the client's window, so a client can never
 * have more than one SSH window (2 MiB) of input waiting in ISLET.
 */
import { EventEmitter } from 'node:events';
import type { ServerChannel } from 'ssh2';
import type { Terminal, TtySize } from '../core/terminal.ts';
import { coalesce } from '../core/coalesce.ts';

/** Window changes passed on per second at most (a flood of them is one engine call per period). */
export const RESIZE_PER_SECOND = 4;

export class SshTerminal implements Terminal {
  readonly term: string;
  readonly remoteAddress: string;
  readonly #ch: ServerChannel;
  readonly #ev = new EventEmitter();
  #size: TtySize;
  #closed = false;
  readonly #resizes = coalesce((s: TtySize) => {
    this.#ev.emit('resize', s);
  }, 1000 / RESIZE_PER_SECOND);

  constructor(channel: ServerChannel, opts: { term: string; size: TtySize; remoteAddress: string }) {
    this.#ch = channel;
    this.term = opts.term;
    this.#size = opts.size;
    this.remoteAddress = opts.remoteAddress;
    this.#ev.setMaxListeners(0);
    channel.on('data', (b: Buffer) => this.#ev.emit('data', b));
    channel.on('drain', () => this.#ev.emit('drain'));
    const closed = () => {
      if (!this.#closed) {
        this.#closed = true;
        this.#resizes.cancel();
        this.#ev.emit('close');
      }
    };
    channel.on('close', closed);
    channel.on('end', closed);
    channel.on('error', closed);
  }

  /** Called by the server on a window-change request. */
  resized(size: TtySize): void {
    this.#size = size;
    this.#resizes.push(size);
  }
  /** Called by the server when the connection itself drops. */
  lost(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#resizes.cancel();
      this.#ev.emit('close');
    }
  }
  pauseInput(): void {
    this.#ch.pause();
  }
  resumeInput(): void {
    if (!this.#closed) this.#ch.resume();
  }

  get closed(): boolean {
    return this.#closed;
  }
  size(): TtySize {
    return this.#size;
  }
  write(data: string | Uint8Array): boolean {
    return this.#closed ? true : this.#ch.write(data);
  }
  onceDrain(fn: () => void): void {
    this.#ev.once('drain', fn);
  }
  #on(ev: string, fn: (...a: any[]) => void): () => void {
    this.#ev.on(ev, fn);
    return () => this.#ev.off(ev, fn);
  }
  onData(fn: (chunk: Buffer) => void): () => void {
    return this.#on('data', fn);
  }
  onResize(fn: (size: TtySize) => void): () => void {
    return this.#on('resize', fn);
  }
  onClose(fn: () => void): () => void {
    return this.#on('close', fn);
  }
  close(exitCode = 0): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#resizes.cancel();
    try {
      this.#ch.exit(exitCode);
      this.#ch.end();
    } catch {
      /* client already gone */
    }
    this.#ev.emit('close');
  }
}
