/**
 * A second `bin/islet serve` for an existing IsletProcess, listening on an
 * address other than loopback (the security suite binds it to the gateway of
 * ISLET's own trainee bridge network, which only the host and that network's
 * containers can reach). It shares the first process's config dir, data dir
 * (same store, same host keys), instance name and test label, so it behaves
 * as the same ISLET deployment reachable from the trainee network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, type IsletProcess, type LogLine } from './islet-process.ts';

export class IsletListener {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  port = 0;
  #child: ChildProcess | undefined;

  /** Starts the listener on `host` (port chosen by the kernel); resolves once it listens. */
  static async start(base: IsletProcess, host: string): Promise<IsletListener> {
    const l = new IsletListener();
    const child = spawn(
      join(repoRoot, 'bin/islet'),
      ['serve', '--config', base.configDir, '--data', base.dataDir, '--listen', `${host}:0`, '--log-level', 'debug'],
      {
        env: { ...process.env, ISLET_INSTANCE: base.instance, ISLET_TEST_RUN: base.runId },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    l.#child = child;
    createInterface({ input: child.stderr! }).on('line', (line) => l.stderr.push(line));
    l.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`second islet did not listen within 30 s:\n${l.stderr.join('\n')}`)), 30_000);
      timer.unref();
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let o: LogLine;
        try {
          o = JSON.parse(line) as LogLine;
        } catch {
          l.stderr.push(line);
          return;
        }
        l.logs.push(o);
        if (o.event === 'listening') {
          clearTimeout(timer);
          resolve(Number(o.port));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`second islet exited with ${code} before listening:\n${l.stderr.join('\n')}`));
      });
    });
    return l;
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
            .map((x) => JSON.stringify(x))
            .join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the listener (SIGKILL: the containers belong to the first process). */
  async stop(): Promise<void> {
    const c = this.#child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  }
}
