/**
 * The swarm lab (scripts/swarm-lab.sh, issue 14.4) against the real machine: three Docker engines in network
 * namespaces form a swarm, a service runs on one of them and is reachable through that node's engine,
 * PostgreSQL answers over the ISLET_STORE URL, and `down` leaves nothing behind.
 *
 * The lab gets a prefix of its own per run (ISLET_LAB_PREFIX), so it never meets a lab someone started by hand,
 * and `down` runs in an `after` hook whatever happened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { testRunId } from '../helpers/engine.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/swarm-lab.sh', import.meta.url));
const runId = testRunId();
const prefix = `islt-${runId.slice(-5)}`;
const labdir = `/var/lib/${prefix}`;
const rundir = `/run/${prefix}`;

interface Out {
  stdout: string;
  stderr: string;
}

/** Runs a program; a failure's error carries its stderr, so a broken `up` says why. */
async function sh(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Out> {
  try {
    return await run(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.slice(0, 8000), { cause: err });
  }
}

/** A loopback TCP port nobody listens on now (the lab's PostgreSQL takes it). */
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

/** Parses the lab's env file (`export K=V` lines). */
function labEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`${labdir}/env`, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

async function docker(host: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return (await sh('docker', ['-H', host, ...args], process.env, timeoutMs)).stdout.trim();
}

/** Everything of this lab still on the machine: namespaces, processes, links, directories, cgroups. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const netns = (await sh('ip', ['netns', 'list'])).stdout;
  for (const line of netns.split('\n')) if (line.startsWith(prefix)) found.push(`netns ${line.split(' ')[0]}`);
  const links = (await sh('ip', ['-o', 'link', 'show'])).stdout;
  for (const line of links.split('\n')) if (line.includes(prefix)) found.push(`link ${line.split(':')[1]?.trim()}`);
  const ps = (await sh('ps', ['-eo', 'pid=,args='])).stdout;
  for (const line of ps.split('\n')) if (line.includes(`${labdir}/`) || line.includes(`${rundir}/`)) found.push(`process ${line.trim()}`);
  for (const dir of [labdir, rundir]) if (existsSync(dir)) found.push(`dir ${dir}`);
  // The nodes' containers were placed under cgroup parent <prefix>-n<i> in every hierarchy.
  const cgroups = (await sh('find', ['/sys/fs/cgroup', '-maxdepth', '2', '-name', `${prefix}-*`])).stdout.trim();
  if (cgroups) found.push(...cgroups.split('\n').map((c) => `cgroup ${c}`));
  return found;
}

describe('swarm lab: up 3, a service on a node, PostgreSQL, down', { timeout: 600_000 }, () => {
  let env: Record<string, string> = {};
  let pgPort = 0;
  const labProcessEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ISLET_LAB_PREFIX: prefix, ISLET_LAB_PG_PORT: String(pgPort) });

  before(async () => {
    pgPort = await freePort();
    const up = await sh('bash', [script, 'up', '3'], labProcessEnv(), 300_000);
    process.stderr.write(up.stderr);
    env = labEnv();
    // The printed exports and the env file say the same.
    assert.match(up.stdout, new RegExp(`^export DOCKER_HOST=${env.DOCKER_HOST!.replace(/[/.]/g, '\\$&')}$`, 'm'));
  });

  after(async () => {
    // Always, even when a test failed: the lab must not outlive the run.
    const down = await sh('bash', [script, 'down'], labProcessEnv(), 300_000).catch((err: Error) => ({ stdout: '', stderr: String(err) }));
    process.stderr.write(down.stderr);
  });

  test('three nodes are Ready in docker node ls on the manager, each with its own hostname', async () => {
    assert.equal(env.ISLET_LAB_NODES, '3');
    const lines = (await docker(env.DOCKER_HOST!, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}}'])).split('\n').sort();
    assert.deepEqual(
      lines,
      [1, 2, 3].map((i) => `${prefix}-n${i} Ready Active`),
    );
  });

  test("a one-replica islet/demo service runs on a node, and exec works through that node's engine only", async () => {
    const svc = `${prefix}-svc`;
    await docker(
      env.DOCKER_HOST!,
      [
        'service',
        'create',
        '-q',
        '--detach=false',
        '--name',
        svc,
        '--label',
        `islet.test=${runId}`,
        '--restart-condition',
        'none',
        'islet/demo:latest',
        'sleep',
        '600',
      ],
      120_000,
    );
    const node = await docker(env.DOCKER_HOST!, ['service', 'ps', svc, '--filter', 'desired-state=running', '--format', '{{.Node}}']);
    const m = new RegExp(`^${prefix}-n([123])$`).exec(node);
    assert.ok(m, `task placed on a lab node, got ${JSON.stringify(node)}`);
    const host = env[`ISLET_LAB_NODE${m[1]}`]!;
    const filter = `label=com.docker.swarm.service.name=${svc}`;
    const id = await docker(host, ['ps', '-q', '--filter', filter]);
    assert.match(id, /^[0-9a-f]{12}$/);
    assert.equal(await docker(host, ['exec', id, 'echo', `hello-${runId}`]), `hello-${runId}`);
    // Control: the other nodes' engines do not have that container, so the lab really is several engines.
    for (const other of ['1', '2', '3'].filter((i) => i !== m[1])) {
      assert.equal(await docker(env[`ISLET_LAB_NODE${other}`]!, ['ps', '-aq', '--filter', filter]), '');
      await assert.rejects(docker(env[`ISLET_LAB_NODE${other}`]!, ['exec', id, 'true']), /No such container/);
    }
    await docker(env.DOCKER_HOST!, ['service', 'rm', svc]);
  });

  test('node-kill: the node goes Down, its task is placed on another node, its processes are gone; node-start: Ready again', async () => {
    const svc = `${prefix}-lost`;
    await docker(
      env.DOCKER_HOST!,
      [
        'service',
        'create',
        '-q',
        '--detach=false',
        '--name',
        svc,
        '--label',
        `islet.test=${runId}`,
        '--constraint',
        'node.role==worker',
        'islet/demo:latest',
        'sleep',
        '601',
      ],
      120_000,
    );
    const placed = async (): Promise<string[]> =>
      (await docker(env.DOCKER_HOST!, ['service', 'ps', svc, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']))
        .split('\n')
        .filter((l) => / Running /.test(l))
        .map((l) => l.split(' ')[0]!);
    const [node] = await placed();
    const i = /-n([23])$/.exec(node ?? '')?.[1];
    assert.ok(i, `task on a worker, got ${JSON.stringify(node)}`);
    const sleepers = async (): Promise<number> => (await sh('ps', ['-eo', 'args='])).stdout.split('\n').filter((l) => l === 'sleep 601').length;
    assert.equal(await sleepers(), 1, "control: the task's process is seen on the machine");
    await sh('bash', [script, 'node-kill', i], labProcessEnv());
    assert.equal(await sleepers(), 0, "the lost node's container processes are gone with it");
    const status = async (): Promise<string> =>
      (await docker(env.DOCKER_HOST!, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']))
        .split('\n')
        .find((l) => l.startsWith(`${node} `))
        ?.split(' ')[1] ?? '';
    const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
      for (let t = 0; t < 120; t++) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.fail(`timed out waiting for: ${what}`);
    };
    await until(`${node} Down`, async () => (await status()) === 'Down');
    const other = `${prefix}-n${i === '2' ? '3' : '2'}`;
    await until(`task running on ${other}`, async () => (await placed()).includes(other));
    await sh('bash', [script, 'node-start', i], labProcessEnv(), 120_000);
    await until(`${node} Ready`, async () => (await status()) === 'Ready');
    await docker(env.DOCKER_HOST!, ['service', 'rm', svc]);
  });

  test('PostgreSQL answers select 1 over ISLET_STORE; a wrong password is refused', async () => {
    const url = env.ISLET_STORE!;
    assert.match(url, new RegExp(`^postgres://islet:[^@]+@127\\.0\\.0\\.1:${pgPort}/islet$`));
    assert.equal((await sh('psql', [url, '-qAt', '-c', 'select 1'])).stdout.trim(), '1');
    const wrong = url.replace(/^(postgres:\/\/islet:)[^@]+@/, '$1wrong@');
    await assert.rejects(
      sh('psql', [wrong, '-qAt', '-c', 'select 1'], { ...process.env, PGCONNECT_TIMEOUT: '10' }),
      /password authentication failed for user "islet"/,
    );
  });

  test('down removes every namespace, engine, link and directory of the lab, and a second down is a no-op', async () => {
    // Control: before down, the probe sees the lab (so an empty result below means it is gone, not a blind probe).
    const before = await leftovers();
    assert.ok(before.some((l) => l.startsWith('netns ')) && before.some((l) => l.startsWith('process ')), before.join('\n'));
    await sh('bash', [script, 'down'], labProcessEnv(), 300_000);
    assert.deepEqual(await leftovers(), []);
    const again = await sh('bash', [script, 'down'], labProcessEnv(), 60_000);
    assert.match(again.stderr, /down in \d+ s/);
    assert.deepEqual(await leftovers(), []);
  });
});
