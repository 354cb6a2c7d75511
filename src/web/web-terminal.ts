/**
 * Adapts a web session — one or more WebSockets over time — to the core
 * Terminal the session engine uses (the web twin of sshd/ssh-terminal.ts).
 *
 * A dropped WebSocket does not close the terminal: the session engine keeps
 * its shell attached while the page reconnects (attach()), and output
 * written meanwhile waits in the OutputLog. The terminal closes when the
 * page says goodbye, when nobody reattached within the resume window, or
 * when the engine ends the session.
 *
 * Flow control: write() reports "full" while more than HIGH_WATER bytes are
 * unacknowledged (the engine then stops reading the shell) and calls the
 * drain listeners below LOW_WATER; a page's pause stops sending until its
 * resume; pauseInput() pauses reading the WebSocket (TCP then holds the page
 * back). Window sizes reach listeners at most RESIZE_PER_SECOND times a second.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { Terminal, TtySize, WatchAnswer, WatchStatus } from '../core/terminal.ts';
import { coalesce } from '../core/coalesce.ts';
import { HARD_LIMIT, HIGH_WATER, LOW_WATER, OutputLog } from './output-log.ts';
import { outputFrame, type ServerControl } from './protocol.ts';

export const RESIZE_PER_SECOND = 4;

export class WebTerminal implements Terminal {
  readonly term = 'xterm-256color';
  readonly remoteAddress: string;
  readonly log = new OutputLog();
  readonly #ev = new EventEmitter();
  #size: TtySize;
  #closed = false;
  #ws: WebSocket | undefined;
  #paused = false;
  #inputPaused = false;
  #full = false;
  /** Offset up to which output went out on the current socket. */
  #sent = 0;
  /** The help bar's last state, sent again to a page that (re)attaches while someone watches. */
  #watch: WatchStatus | undefined;
  readonly #resizes = coalesce((s: TtySize) => {
    this.#ev.emit('resize', s);
  }, 1000 / RESIZE_PER_SECOND);

  constructor(opts: { size: TtySize; remoteAddress: string }) {
    this.#size = opts.size;
    this.remoteAddress = opts.remoteAddress;
    this.#ev.setMaxListeners(0);
  }

  get closed(): boolean {
    return this.#closed;
  }
  get attached(): boolean {
    return this.#ws !== undefined;
  }
  size(): TtySize {
    return this.#size;
  }

  /**
   * Puts a (new) WebSocket in front of the session and sends everything from offset `from` on.
   * Returns false when that offset is no longer kept (the caller refuses the resume).
   */
  attach(ws: WebSocket, from: number): boolean {
    const backlog = this.log.since(from);
    if (!backlog || this.#closed) return false;
    // The same session opened from a new socket (a reload, a blip noticed late): the old one is told and closed.
    const old = this.#ws;
    if (old && old !== ws) {
      this.#ws = undefined;
      try {
        old.send(JSON.stringify({ t: 'replaced' } satisfies ServerControl));
        old.close(4000, 'replaced');
      } catch {
        /* gone */
      }
    }
    this.#ws = ws;
    this.#paused = false;
    if (this.#inputPaused) ws.pause();
    this.#sent = from;
    this.#flush();
    if (this.#watch) this.control({ t: 'watch', ...this.#watch });
    return true;
  }

  /** The socket went away (the session stays open for a resume). */
  detach(ws: WebSocket): void {
    if (this.#ws === ws) this.#ws = undefined;
  }

  /** A frame of input from the page. */
  input(b: Buffer): void {
    if (!this.#closed) this.#ev.emit('data', b);
  }
  resized(size: TtySize): void {
    this.#size = size;
    this.#resizes.push(size);
  }
  /** False only for an acknowledgement beyond what was written (a broken page); a stale one is ignored. */
  ack(seq: number): boolean {
    if (seq <= this.log.acked) return true;
    if (!this.log.ack(seq)) return false;
    if (this.#full && this.log.unacked < LOW_WATER) {
      this.#full = false;
      this.#ev.emit('drain');
    }
    return true;
  }
  pauseOutput(): void {
    this.#paused = true;
  }
  resumeOutput(): void {
    this.#paused = false;
    this.#flush();
  }

  watchStatus(s: WatchStatus): void {
    this.#watch = s.watchers.length || s.asking ? s : undefined;
    this.control({ t: 'watch', ...s });
  }
  /** The page's help-bar button (web-server.ts). */
  watchAnswer(a: WatchAnswer): void {
    if (!this.#closed) this.#ev.emit('watch-answer', a);
  }
  onWatchAnswer(fn: (a: WatchAnswer) => void): () => void {
    return this.#on('watch-answer', fn);
  }

  control(m: ServerControl): void {
    if (this.#ws?.readyState === 1) this.#ws.send(JSON.stringify(m));
  }

  #flush(): void {
    const ws = this.#ws;
    if (!ws || this.#paused || ws.readyState !== 1) return;
    for (const c of this.log.since(this.#sent) ?? []) ws.send(outputFrame(c.seq, c.data));
    this.#sent = this.log.end;
  }

  write(data: string | Uint8Array): boolean {
    if (this.#closed) return true;
    // The engine's chunks are fresh buffers, kept as they are (no copy) until the page acknowledges them.
    this.log.append(typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.#flush();
    // A page that never acknowledges cannot make ISLET keep its output forever.
    if (this.log.unacked > HARD_LIMIT) {
      this.close(1);
      return true;
    }
    if (this.log.unacked > HIGH_WATER) this.#full = true;
    return !this.#full;
  }

  onceDrain(fn: () => void): void {
    this.#ev.once('drain', fn);
  }
  pauseInput(): void {
    this.#inputPaused = true;
    this.#ws?.pause();
  }
  resumeInput(): void {
    this.#inputPaused = false;
    if (!this.#closed) this.#ws?.resume();
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

  /** Ends the session: tells the page (which then does not reconnect) and closes its socket. */
  close(exitCode = 0): void {
    if (this.#closed) return;
    this.#flush();
    this.control({ t: 'exit', code: exitCode });
    this.#closed = true;
    this.#resizes.cancel();
    const ws = this.#ws;
    this.#ws = undefined;
    try {
      ws?.close(1000, 'session ended');
    } catch {
      /* already gone */
    }
    this.#ev.emit('close');
  }
}
