/**
 * Runs one `islet run`/`grouprun` container and reports how it ended.
 * `inherit` passes the terminal through (islet run); otherwise stdout and
 * stderr are collected apart (grouprun): merged, their chunks interleave at
 * random, so two identical runs could compare unequal. The container is
 * always removed (`--rm`, and a `docker rm -f` after a timeout).
 */
import { spawn } from 'node:child_process';
import { docker } from './docker-cli.ts';
import { dockerRunArgs, type RunSpec } from './run-options.ts';

export interface RunOutcome {
  readonly exitCode: number;
  readonly ms: number;
  /** The container's stdout (at most 8 MB). */
  readonly output: string;
  /** Its stderr (at most 8 MB). */
  readonly stderr: string;
}

export function runContainer(spec: RunSpec, opts: { inherit: boolean; timeoutMs: number }): Promise<RunOutcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', dockerRunArgs(spec), { stdio: opts.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      if (output.length < 8_000_000) output += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < 8_000_000) stderr += c;
    });
    const timer = setTimeout(() => {
      void docker(['rm', '-f', spec.name], { timeoutMs: 60_000 });
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 137, ms: Date.now() - started, output, stderr });
    });
  });
}
