/**
 * A scripted trainee over node's ssh2 client: one connection with a PTY,
 * output collected, and waits on patterns. Used by the benchmarks.
 */
import { Client, type ClientChannel } from 'ssh2';

export class SshTrainee {
  readonly #client = new Client();
  #ch: ClientChannel | undefined;
  #out = '';
  #cursor = 0;
  #waiters: (() => void)[] = [];

  /** Connects as the gate login and opens a shell with a PTY; resolves once the channel is open. */
  async connect(port: number, user = 'demo', password = 'demo', host = '127.0.0.1', localAddress?: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#client
        .once('ready', () => {
          this.readyAt = performance.now();
          resolve();
        })
        .once('error', reject)
        .connect({ host, port, username: user, password, readyTimeout: 30_000, hostVerifier: () => true, ...(localAddress ? { localAddress } : {}) });
      this.#client.setNoDelay(true); // as OpenSSH does for interactive sessions
    });
    this.#ch = await new Promise<ClientChannel>((resolve, reject) => {
      this.#client.shell({ term: 'xterm', cols: 120, rows: 40 }, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
    this.#ch.on('data', (b: Buffer) => {
      this.bytes += b.length;
      if (this.#sink) {
        this.#sink(b);
        return;
      }
      this.#out += b.toString('utf8');
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** performance.now() when the SSH login completed (key exchange and authentication), for phase timings. */
  readyAt = 0;

  /** Bytes received on the channel so far. */
  bytes = 0;
  #sink: ((b: Buffer) => void) | undefined;

  /** Routes incoming data to `fn` instead of the transcript (bulk output); undefined restores the transcript. */
  divert(fn: ((b: Buffer) => void) | undefined): void {
    this.#sink = fn;
  }

  /** Resolves with the time (ms) until the next data arrives after `text` is sent: one keystroke's echo. */
  async echo(text: string, timeoutMs = 10_000): Promise<number> {
    const t0 = performance.now();
    const got = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no echo within ' + timeoutMs + ' ms')), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.send(text);
    await got;
    return performance.now() - t0;
  }

  send(text: string): void {
    this.#ch!.write(text);
  }

  /** Resolves when `re` matches output after the previous match. */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.#out.slice(this.#cursor));
      if (m) {
        this.#cursor += m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; tail: ${JSON.stringify(this.#out.slice(-300))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Skips everything received so far. */
  skip(): void {
    this.#cursor = this.#out.length;
  }

  /**
   * Skips and drops everything received so far, so a long-running trainee's
   * transcript does not grow without end (matching flattens it each time).
   */
  forget(): void {
    this.#out = '';
    this.#cursor = 0;
  }

  /**
   * Resolves once the connection is closed, whatever the cause (the server
   * went away, end() was called). Connection errors after connect (such as
   * ECONNRESET when the server is killed) are then expected, not thrown.
   */
  whenClosed(): Promise<void> {
    return new Promise((resolve) => {
      this.#client.on('error', () => undefined).once('close', () => resolve());
    });
  }

  /** Everything received so far (for assertions on the whole transcript). */
  get output(): string {
    return this.#out;
  }

  /** Drops the connection abruptly. */
  end(): void {
    this.#client.end();
    this.#client.destroy();
  }
}
