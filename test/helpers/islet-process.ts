/**
 * Starts the real `bin/islet serve` as a child process on a loopback port
 * with its own config and data dirs, and reads its JSON log lines. Every
 * container it makes carries islet.test=<runId> (ISLET_TEST_RUN) and the
 * instance prefix is unique to the run, so runs never touch each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface LogLine {
  readonly event?: string;
  readonly msg?: string;
  readonly [k: string]: unknown;
}

export class IsletProcess {
  readonly configDir: string;
  readonly dataDir: string;
  readonly runId: string;
  readonly instance: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  port = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  /** Set by stop(): an exit after it is expected, any other is reported (see start). */
  #stopping = false;
  readonly #base: string;
  /** Benchmarks run at 'info' so logging does not weigh on what they measure. */
  readonly #logLevel: string;

  constructor(runId: string, opts: { configFrom?: string; configDir?: string; dataDir?: string; logLevel?: string } = {}) {
    this.runId = runId;
    this.#logLevel = opts.logLevel ?? 'debug';
    this.instance = `t${runId}`;
    const base = mkdtempSync(join(tmpdir(), 'islet-test-'));
    this.#base = base;
    this.configDir = opts.configDir ?? join(base, 'config');
    this.dataDir = opts.dataDir ?? join(base, 'data');
    if (!opts.configDir) cpSync(opts.configFrom ?? join(repoRoot, 'examples'), this.configDir, { recursive: true });
  }

  /** The server's process id (bin/islet execs node, so this is the node process), once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the server and resolves once it listens. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null)
      throw new Error('IsletProcess.start: the server is still running; stop() it first');
    const child = spawn(
      join(repoRoot, 'bin/islet'),
      ['serve', '--config', this.configDir, '--data', this.dataDir, '--listen', '127.0.0.1:0', '--log-level', this.#logLevel],
      {
        env: { ...process.env, ISLET_INSTANCE: this.instance, ISLET_TEST_RUN: this.runId, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own session, as a daemon runs: with Linux autogroups a session is scheduled as one group, and the
        // server's priority (src/server-priority.ts) sets its group's nice, which must not be the test runner's
        // (or a load generator's, bench/lib/targets.ts).
        detached: true,
      },
    );
    this.#child = child;
    this.#stopping = false;
    this.#exited = new Promise((res) => child.once('exit', (code) => res(code)));
    // A server that exits without stop() has its last words printed in the test's output (as '#' diagnostics): a
    // crash mid-test shows up in the test only as refused connections, and CI's log should say why without a
    // second run. Some tests expect such an exit (a refusal to start); then the lines are only noise.
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      setTimeout(() => {
        const tail = [
          `islet (pid ${child.pid}) exited without stop(): code ${code}, signal ${signal}`,
          'stderr (last 40 lines):',
          ...this.stderr.slice(-40),
          'log (last 15 lines):',
          ...this.logs.slice(-15).map((l) => JSON.stringify(l)),
        ];
        console.log(tail.map((l) => `# ${l}`).join('\n'));
      }, 500).unref();
    });
    createInterface({ input: child.stderr! }).on('line', (l) => this.stderr.push(l));
    const listening = new Promise<number>((res, rej) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        let o: LogLine;
        try {
          o = JSON.parse(l) as LogLine;
        } catch {
          this.stderr.push(l);
          return;
        }
        this.logs.push(o);
        if (o.event === 'listening') res(Number(o.port));
      });
      // Wait for stderr to drain so the reason is in the message.
      void this.#exited.then(async (code) => {
        await new Promise((r) => {
          if (child.stderr!.readableEnded) r(undefined);
          else child.stderr!.once('close', r);
          setTimeout(r, 1000);
        });
        rej(new Error(`islet exited with ${code} before listening:\n${this.stderr.join('\n')}`));
      });
      setTimeout(() => rej(new Error(`islet did not listen within 30 s:\n${this.stderr.join('\n')}`)), 30_000).unref();
    });
    this.port = await listening;
  }

  /** Waits for a log line matching `pred` (looking at lines already logged, too). */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(
          `no matching log line within ${timeoutMs} ms; last lines:\n${this.logs
            .slice(-10)
            .map((l) => JSON.stringify(l))
            .join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.#child || this.#child.exitCode !== null) return this.#child?.exitCode ?? null;
    this.#stopping = true;
    this.#child.kill(signal);
    return this.#exited;
  }

  /** Stops the server and removes the directories it made (containers are swept by the caller's engine helper). */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.#base, { recursive: true, force: true });
  }
}
