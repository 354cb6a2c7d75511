/**
 * The OpenSSH client `ssh` driven through pipes, as a trainee's terminal would
 * drive it: a chosen cipher (-c), password answered by SSH_ASKPASS, and either
 * a remote PTY (-tt: shell sessions) or a plain exec. Counts bytes received and
 * waits on patterns in the recent output (only a tail is kept, so a 100 MB
 * stream costs no memory here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TAIL = 16_384;

/** CLOCK_MONOTONIC in µs, the clock V8 stamps CPU profile samples with. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface OpenSshOptions {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly cipher?: string;
  /** A command to exec instead of a shell; without it, a shell with a PTY (-tt). */
  readonly command?: string;
}

export class OpenSshClient {
  readonly child: ChildProcess;
  bytes = 0;
  /** When the first output arrived (CLOCK_MONOTONIC, µs: the clock of V8's CPU profiles). */
  firstDataUs: number | undefined;
  #tail = '';
  #waiters: (() => void)[] = [];
  readonly #dir: string;
  readonly exited: Promise<number | null>;
  #stderr = '';

  constructor(o: OpenSshOptions) {
    this.#dir = mkdtempSync(join(tmpdir(), 'islet-bench-ssh-'));
    const askpass = join(this.#dir, 'askpass');
    writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$ISLET_BENCH_PASSWORD"\n');
    chmodSync(askpass, 0o700);
    const args = [
      '-p',
      String(o.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      '-o',
      'NumberOfPasswordPrompts=1',
      ...(o.cipher ? ['-c', o.cipher] : []),
      ...(o.command === undefined ? ['-tt'] : ['-T']),
      `${o.user}@127.0.0.1`,
      ...(o.command === undefined ? [] : [o.command]),
    ];
    this.child = spawn('ssh', args, {
      env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: process.env.DISPLAY ?? ':0', ISLET_BENCH_PASSWORD: o.password },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (b: Buffer) => {
      this.firstDataUs ??= nowUs();
      this.bytes += b.length;
      this.#tail = (this.#tail + b.toString('latin1')).slice(-TAIL);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.child.stderr!.on('data', (b: Buffer) => {
      this.#stderr = (this.#stderr + b.toString()).slice(-2000);
    });
    this.exited = new Promise((res) =>
      this.child.once('exit', (code) => {
        rmSync(this.#dir, { recursive: true, force: true });
        for (const w of this.#waiters.splice(0)) w();
        res(code);
      }),
    );
  }

  send(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Resolves when `re` matches the output since the previous match (within the kept tail). */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.#tail);
      if (m) {
        this.#tail = this.#tail.slice(m.index + m[0].length);
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null)
        throw new Error(
          `ssh: no ${re} within ${timeoutMs} ms (exit ${this.child.exitCode}); tail ${JSON.stringify(this.#tail.slice(-300))}; stderr ${this.#stderr}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends `text` and resolves when the next output arrives (a keystroke's echo). */
  async echo(text: string, timeoutMs = 10_000): Promise<void> {
    const got = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ssh: no echo within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.send(text);
    await got;
  }

  get stderr(): string {
    return this.#stderr;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
