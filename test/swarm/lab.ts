/**
 * A swarm lab (scripts/swarm-lab.sh) of this test run's own: a unique prefix and a free PostgreSQL port, so it
 * never meets a lab started by hand or by another test file. Call `down()` in an `after` hook: it runs
 * whatever happened before.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const run = promisify(execFile);
export const labScript = fileURLToPath(new URL('../../scripts/swarm-lab.sh', import.meta.url));

export interface Lab {
  readonly prefix: string;
  /** The lab's env file: DOCKER_HOST (manager), ISLET_LAB_NODE<i>, ISLET_STORE, … */
  readonly env: Readonly<Record<string, string>>;
  /** Node hostname → engine socket (unix://…), the shape of `runtime.nodes`. */
  readonly nodes: Readonly<Record<string, string>>;
  /** Runs the lab script with this lab's prefix (node-kill 2, node-start 2, …). */
  script(...args: string[]): Promise<string>;
  /** docker against the manager or a node's engine. */
  docker(host: string, ...args: string[]): Promise<string>;
  down(): Promise<void>;
}

async function sh(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.slice(0, 8000), { cause: err });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** `up n` under a fresh prefix (`isw-<5 hex>`); the returned lab's down() is safe to call twice. */
export async function startLab(n: number, tag = 'isw'): Promise<Lab> {
  const prefix = `${tag}-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const pgPort = await freePort();
  const penv = { ...process.env, ISLET_LAB_PREFIX: prefix, ISLET_LAB_PG_PORT: String(pgPort) };
  const script = async (...args: string[]) => {
    const r = await sh('bash', [labScript, ...args], penv, 300_000);
    process.stderr.write(r.stderr);
    return r.stdout;
  };
  const lab: Lab = {
    prefix,
    env: {},
    nodes: {},
    script,
    docker: async (host, ...args) => (await sh('docker', ['-H', host, ...args], process.env, 60_000)).stdout.trim(),
    down: async () => {
      await script('down').catch((err: unknown) => process.stderr.write(`swarm lab down failed: ${String(err)}\n`));
    },
  };
  try {
    await script('up', String(n));
  } catch (err) {
    await lab.down();
    throw err;
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(`/var/lib/${prefix}/env`, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  const nodes: Record<string, string> = {};
  for (let i = 1; i <= n; i++) nodes[`${prefix}-n${i}`] = env[`ISLET_LAB_NODE${i}`]!;
  return { ...lab, env, nodes };
}
