/**
 * A real PostgreSQL for tests, from Debian's `postgresql` package (scripts/setup.sh --test installs it): initdb
 * into a temporary directory, pg_ctl on a free loopback port with its unix socket in that directory (never
 * /var/run/postgresql), a role with a password, and one database per `database(label)` call, named after the
 * test run. `stop()` stops the server and removes the directory; a process exit stops it too (a failed test).
 *
 * Run as root (CI, this machine) the server runs as the `postgres` user, which PostgreSQL requires.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestPostgres {
  readonly port: number;
  /** A new, empty database owned by the test role; its URL carries the role's password. */
  database(label: string): Promise<string>;
  /** SQL as the superuser over the unix socket (psql -At); returns its output. */
  psql(sql: string, db?: string): string;
  stop(): void;
}

/** Debian's newest PostgreSQL binaries directory, or undefined when the package is missing. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(a) - Number(b));
  const v = versions.at(-1);
  return v ? join(root, v, 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(runId: string): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: run scripts/setup.sh --test (Debian package postgresql)');
  const root = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (root ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args });
  const run = (cmd: string, args: string[], input?: string) => {
    const a = as(cmd, args);
    return execFileSync(a.cmd, a.args, { encoding: 'utf8', timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });
  };
  const dir = mkdtempSync(join(tmpdir(), `islet-pg-${runId}-`));
  if (root) {
    const pgUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const pgGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(pgUser), Number(pgGroup));
  }
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const password = randomBytes(12).toString('hex');
  const role = 'islet_test';
  let started = false;
  const onSignal = (sig: NodeJS.Signals) => {
    stop();
    process.kill(process.pid, sig); // the default action, now that this handler is gone
  };
  const stop = () => {
    process.off('exit', stop);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (started) {
      const a = as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
      spawnSync(a.cmd, a.args, { timeout: 40_000, stdio: 'ignore' });
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
        started = true;
        break;
      } catch (err) {
        if (attempt >= 2) throw err; // the port was taken meanwhile: try another
      }
    }
    const psql = (sql: string, db = 'postgres') =>
      run(join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAt', '-f', '-'], sql).trim();
    psql(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    let n = 0;
    return {
      port,
      psql,
      async database(label: string) {
        const name = `islet_${runId}_${label}_${++n}`
          .toLowerCase()
          .replace(/[^a-z0-9_]/g, '_')
          .slice(0, 60);
        psql(`CREATE DATABASE ${name} OWNER ${role}`);
        return `postgres://${role}:${password}@127.0.0.1:${port}/${name}`;
      },
      stop,
    };
  } catch (err) {
    const tail = existsSync(log) ? spawnSync('tail', ['-n', '20', log], { encoding: 'utf8' }).stdout : '';
    stop();
    throw new Error(`could not start PostgreSQL: ${(err as Error).message}\n${tail}`);
  }
}
