/**
 * Runs one `islet run`/`grouprun` container and reports how it ended.
 * `inherit` passes the terminal through (islet run); otherwise output is
 * collected (grouprun). The container is always removed (`--rm`, and a
 * `docker rm -f` after a timeout).
 */
import { spawn } from 'node:child_process';
import { docker } from './docker-cli.ts';
import { dockerRunArgs, type RunSpec } from './run-options.ts';

export interface RunOutcome {
  readonly exitCode: number;
  readonly ms: number;
  readonly output: string;
}

export function runContainer(spec: RunSpec, opts: { inherit: boolean; timeoutMs: number }): Promise<RunOutcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', dockerRunArgs(spec), { stdio: opts.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const add = (c: Buffer): void => {
      if (output.length < 8_000_000) output += c.toString('utf8');
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    const timer = setTimeout(() => {
      void docker(['rm', '-f', spec.name], { timeoutMs: 60_000 });
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 137, ms: Date.now() - started, output });
    });
  });
}
