/**
 * An in-memory Terminal for unit tests of the line editor and menu. The same
 * contracts are also tested over the real SSH front door (test/e2e).
 */
import { EventEmitter } from 'node:events';
import type { Terminal, TtySize } from '../../src/core/terminal.ts';

export class MemoryTerminal implements Terminal {
  readonly term = 'xterm';
  readonly remoteAddress = '127.0.0.1';
  output = '';
  closed = false;
  #size: TtySize = { cols: 80, rows: 24 };
  readonly #ev = new EventEmitter();
  size(): TtySize {
    return this.#size;
  }
  write(data: string | Uint8Array): boolean {
    this.output += typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    this.#ev.emit('wrote');
    return true;
  }
  onceDrain(fn: () => void): void {
    setImmediate(fn);
  }
  onData(fn: (b: Buffer) => void): () => void {
    this.#ev.on('data', fn);
    return () => this.#ev.off('data', fn);
  }
  /** Whether input is paused (back-pressure); typed data is still delivered, tests look at this flag. */
  inputPaused = false;
  pauseInput(): void {
    this.inputPaused = true;
  }
  resumeInput(): void {
    this.inputPaused = false;
  }
  onResize(fn: (s: TtySize) => void): () => void {
    this.#ev.on('resize', fn);
    return () => this.#ev.off('resize', fn);
  }
  onClose(fn: () => void): () => void {
    this.#ev.on('close', fn);
    return () => this.#ev.off('close', fn);
  }
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.#ev.emit('close');
    }
  }
  /** Simulates the trainee typing raw bytes. */
  type(data: string | Buffer): void {
    this.#ev.emit('data', Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'));
  }
  resize(s: TtySize): void {
    this.#size = s;
    this.#ev.emit('resize', s);
  }
}
