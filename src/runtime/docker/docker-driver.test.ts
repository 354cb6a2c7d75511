/**
 * DockerDriver against the real Docker Engine: the driver-agnostic
 * conformance suite plus Docker-specific checks. Needs a running engine and
 * the demo image (built here by scripts/build-demo-image.sh, which is
 * idempotent); fails loudly, never skips, when either is missing.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { environmentSchema, type Environment, type EnvironmentInput } from '../../config/schema.ts';
import { PROMPT, Screen, typeAndWait } from '../conformance-screen.ts';
import { runtimeDriverConformance } from '../runtime-driver.case.ts';
import { sweepTestContainers, testLabels, testRunId } from '../../../test/helpers/engine.ts';
import { DockerDriver, READONLY_TMP_TMPFS } from './index.ts';
import { PTY_RELAY_BINARY } from './pty-relays.ts';

const IMAGE = 'islet/demo:latest';
const MiB = 1024 ** 2;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const runId = testRunId();
const labels = testLabels(runId);
const docker = new Docker();

function environment(input: Partial<EnvironmentInput> = {}, name = 'dtest'): Environment {
  return { ...environmentSchema.parse({ image: IMAGE, ...input }), name, source: 'docker-driver.test' };
}

before(async () => {
  try {
    execFileSync('bash', [join(repoRoot, 'scripts/build-demo-image.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    execFileSync('bash', [join(repoRoot, 'scripts/build-pty-relay.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`cannot build ${IMAGE} (is the Docker engine running?): ${e.stderr?.toString().trim() || e.message}`);
  }
  const driver = new DockerDriver({ callTimeoutMs: 5000 });
  assert.equal(await driver.hasImage(IMAGE), true, `${IMAGE} missing after build`);
});

after(async () => {
  await sweepTestContainers(runId);
  const left = await new DockerDriver().find(labels);
  assert.deepEqual(
    left.map((c) => c.name),
    [],
    'no test containers left',
  );
});

runtimeDriverConformance(() => new DockerDriver(), { image: IMAGE, labels });

// The same cases as the server runs its trainees: terminals through the pty relay (pty-relays.ts), not the engine's
// attach, and containers in ISLET's idle CPU group (trainee-cpu-group.ts), which groupCpuTime reads.
const relayDir = mkdtempSync(join(tmpdir(), 'islet-relay-'));
const relayDrivers: DockerDriver[] = [];
runtimeDriverConformance(
  () => {
    const d = new DockerDriver({ ptyRelay: { dir: relayDir, binary: PTY_RELAY_BINARY }, traineeCpuGroup: true });
    relayDrivers.push(d);
    return d;
  },
  { image: IMAGE, labels, title: 'pty relay, trainee CPU group', grouped: true },
);
after(() => {
  for (const d of relayDrivers) d.close();
  rmSync(relayDir, { recursive: true, force: true });
});

describe('DockerDriver (Docker specifics)', { timeout: 60_000 }, () => {
  const driver = new DockerDriver();
  const name = (what: string): string => `islet-dtest-${runId}-${what}`;

  test('limits and hardening are really applied by the engine', async () => {
    const info = await driver.create({
      name: name('limits'),
      env: environment({
        memory: '64m',
        swap: '32m',
        pids_limit: 50,
        cpu_shares: 512,
        cap_drop: ['ALL'],
        cap_add: ['CHOWN'],
        no_new_privileges: true,
        network: 'none',
        read_only_root: true,
        user: 'student',
        ulimits: { nofile: '100:200' },
      }),
      labels,
    });
    const j = await docker.getContainer(info.id).inspect();
    const h = j.HostConfig;
    assert.equal(h.Memory, 64 * MiB);
    assert.equal(h.MemorySwap, 96 * MiB);
    assert.equal(h.PidsLimit, 50);
    assert.equal(h.CpuShares, 512);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.CapAdd, ['CHOWN']);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.Privileged, false);
    assert.equal(h.ReadonlyRootfs, true);
    assert.deepEqual(h.Tmpfs, { '/tmp': READONLY_TMP_TMPFS });
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }]);
    assert.ok(!(h.Binds ?? []).some((b: string) => b.includes('docker.sock')));
    assert.equal(j.Config.Hostname, 'dtest');
    assert.equal(j.Config.User, 'student');
    assert.equal(j.Config.WorkingDir, '/home/student');
    assert.equal(j.Config.Labels['islet.managed'], 'true');
    const vol = j.Mounts.find((m) => m.Destination === '/home/student');
    assert.ok(vol?.Name, 'anonymous volume at the home directory');

    // Inside: read-only root, writable home and /tmp, no new privileges, ulimit, no network.
    const att = await driver.attach(info.id);
    const screen = new Screen(att);
    await driver.start(info.id);
    await screen.waitFor(PROMPT);
    assert.ok(!screen.text.includes('{}'), 'the attach request body never reaches the TTY');
    await typeAndWait(att, screen, 'touch /rootfile 2>/dev/null || echo root-$((0+1))-ro', /root-1-ro/);
    await typeAndWait(att, screen, 'touch ~/f /tmp/f && echo home-$((1+1))-rw', /home-2-rw/);
    await typeAndWait(att, screen, 'grep NoNewPrivs /proc/self/status', /NoNewPrivs:\s+1/);
    await typeAndWait(att, screen, 'echo "n=$(ulimit -n) ifs=$(ls /sys/class/net | tr "\\n" " ")"', /n=100 ifs=lo \r?\n/);
    att.detach();

    await driver.remove(info.id);
    await assert.rejects(
      docker.getVolume(vol.Name).inspect(),
      (e: { statusCode?: number }) => e.statusCode === 404,
      'anonymous volume removed with the container',
    );
  });

  test('network off with a hosts directory: no engine sandbox, loopback up, localhost and the hostname resolve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-dtest-hosts-'));
    const local = new DockerDriver({ hostsDir: dir });
    try {
      const info = await local.create({ name: name('nosandbox'), env: environment({ network: 'none', user: 'student' }, 'lab_x'), labels });
      const j = await docker.getContainer(info.id).inspect();
      assert.equal((j.Config as { NetworkDisabled?: boolean }).NetworkDisabled, true);
      assert.equal(j.HostConfig.NetworkMode, 'none');
      assert.ok(j.HostConfig.Binds?.includes(`${join(dir, 'lab-x')}:/etc/hosts:ro`), JSON.stringify(j.HostConfig.Binds));
      const att = await local.attach(info.id);
      const screen = new Screen(att);
      await local.start(info.id);
      assert.equal((await docker.getContainer(info.id).inspect()).NetworkSettings.SandboxKey, '', 'the engine made no network sandbox');
      await screen.waitFor(PROMPT);
      await typeAndWait(att, screen, 'echo "ifs=$(ls /sys/class/net | tr "\\n" " ")"', /ifs=lo \r?\n/);
      // A listener on loopback, reached by both names (as a student: the file is readable by every user).
      const listenAndSend = (port: number, host: string) =>
        `nc -l -p ${port} >/tmp/got${port} & sleep 0.3; echo via-${host} | nc -w 1 ${host} ${port}; sleep 0.3; echo "got=$(cat /tmp/got${port})"`;
      await typeAndWait(att, screen, listenAndSend(5555, 'localhost'), /got=via-localhost/);
      await typeAndWait(att, screen, listenAndSend(5556, 'lab-x'), /got=via-lab-x/);
      await typeAndWait(att, screen, 'echo hosts > /etc/hosts 2>/dev/null || echo "hosts-$((1+1))-ro"', /hosts-2-ro/);
      att.detach();
      await local.remove(info.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("network off with a hosts directory that cannot be written: the engine's own network none, still a working container", async (t) => {
    // A directory below a regular file cannot be made (ENOTDIR). (Not below /proc: there Node's recursive
    // mkdirSync loops for ever.)
    const dir = mkdtempSync(join(tmpdir(), 'islet-dtest-file-'));
    writeFileSync(join(dir, 'a-file'), '');
    const local = new DockerDriver({ hostsDir: join(dir, 'a-file', 'etc-hosts') });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const info = await local.create({ name: name('hostsfallback'), env: environment({ network: 'none' }), labels });
    const j = await docker.getContainer(info.id).inspect();
    assert.notEqual((j.Config as { NetworkDisabled?: boolean }).NetworkDisabled, true);
    assert.equal(j.HostConfig.NetworkMode, 'none');
    assert.ok(!(j.HostConfig.Binds ?? []).some((b: string) => b.endsWith(':/etc/hosts:ro')), JSON.stringify(j.HostConfig.Binds));
    await local.remove(info.id);
  });

  test('bridge network with DNS servers', async () => {
    const info = await driver.create({ name: name('bridge'), env: environment({ network: 'bridge', dns: ['192.0.2.53'] }), labels });
    const h = (await docker.getContainer(info.id).inspect()).HostConfig;
    assert.equal(h.NetworkMode, 'bridge');
    assert.deepEqual(h.Dns, ['192.0.2.53']);
    await driver.remove(info.id);
  });

  test('remove_on_exit: the engine removes the container when its shell exits', async () => {
    const info = await driver.create({ name: name('autorm'), env: environment({ remove_on_exit: true }), labels });
    const att = await driver.attach(info.id);
    const screen = new Screen(att);
    await driver.start(info.id);
    await screen.waitFor(PROMPT);
    att.input.write('exit 0\r');
    await att.ended;
    const deadline = Date.now() + 10_000;
    while ((await driver.inspect(info.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await driver.inspect(info.id), undefined);
  });

  test('an exec nobody reads stalls the container until close(); after close() and a signal the next exec ends', async (t: TestContext) => {
    const info = await driver.create({ name: name('unread'), env: environment(), labels });
    await driver.start(info.id);
    const run = async (cmd: string) => {
      const e = await driver.exec(info.id, { cmd: ['sh', '-c', cmd] });
      let out = '';
      e.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const code = await Promise.race([e.exited, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 6000))]);
      if (code === 'stuck') e.close();
      return { code, out };
    };
    assert.deepEqual(await run('echo ok'), { code: 0, out: 'ok\n' }, 'control: an exec ends');
    // A command killed while its output waits unread: the engine cannot finish it, and holds the next exec too.
    const unread = await driver.exec(info.id, { cmd: ['sh', '-c', 'trap "" HUP; yes'] });
    await new Promise<void>((r) =>
      unread.stdout.once('data', () => {
        unread.stdout.pause();
        r();
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    await unread.signal('SIGKILL');
    const held = await run('echo held');
    t.diagnostic(`with the unread stream open: ${JSON.stringify(held)}`);
    assert.equal(held.code, 'stuck', 'the probe sees the stall (an unread stream of an ended process holds the next exec)');
    unread.close();
    assert.equal(typeof (await unread.exited), 'number', 'exited settles after close()');
    const next = await run('echo next');
    assert.deepEqual(next, { code: 0, out: 'next\n' }, 'after close() the container answers again');
    // close() first, then a signal still reaches a command that ignores SIGHUP (the engine keeps its pipes open).
    const ignoring = await driver.exec(info.id, { cmd: ['sh', '-c', 'trap "" HUP; yes'] });
    await new Promise<void>((r) => ignoring.stdout.once('data', () => r()));
    ignoring.close();
    await ignoring.signal('SIGHUP');
    await ignoring.signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch((await run('ps')).out, /\{yes\}|^\s*\d+\s+\S+\s+yes\b/m, 'yes is gone');
    await driver.remove(info.id);
  });

  test('eight executions closed and killed at once: every one ends, in one or two signal execs instead of eight', async (t: TestContext) => {
    const info = await driver.create({ name: name('batch-kill'), env: environment(), labels });
    await driver.start(info.id);
    const execs = await Promise.all(Array.from({ length: 8 }, () => driver.exec(info.id, { cmd: ['sh', '-c', 'trap "" HUP; yes'] })));
    await Promise.all(execs.map((e) => new Promise<void>((r) => e.stdout.once('data', () => r()))));
    const ps = async () => {
      const e = await driver.exec(info.id, { cmd: ['ps'] });
      let out = '';
      e.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      await e.exited;
      return out.split('\n').filter((l) => /\byes\b/.test(l)).length;
    };
    assert.equal(await ps(), 8, 'the probe sees the eight commands');
    const since = Math.floor(Date.now() / 1000) - 1;
    const t0 = performance.now();
    for (const e of execs) e.close();
    await Promise.all(execs.map((e) => e.signal('SIGKILL')));
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1500)); // the engine's events are seconds-grained: let `until` pass the kills
    const events = execFileSync(
      'docker',
      [
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.floor(Date.now() / 1000)),
        '--filter',
        `container=${info.id}`,
        '--filter',
        'event=exec_create',
        '--format',
        '{{.Action}}',
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    const signalExecs = events.split('\n').filter((l) => l.includes('islet-signal')).length;
    t.diagnostic(`8 kills in ${ms.toFixed(0)} ms, ${signalExecs} signal exec(s)`);
    assert.ok(signalExecs >= 1 && signalExecs <= 2, `signal execs: ${signalExecs}`);
    assert.equal(await ps(), 0, 'every yes is gone');
    await driver.remove(info.id);
  });

  test('resize of an instance that is not running is a no-op', async () => {
    const info = await driver.create({ name: name('resize-stopped'), env: environment(), labels });
    await driver.resize(info.id, { cols: 100, rows: 30 });
    await driver.remove(info.id);
  });

  test('an idle attach stream is not cut by the per-call timeout', async () => {
    // Only the attach goes through the driver with a short call timeout: the
    // contract under test is that an open stream outlives it. Create, start and
    // remove use the normal driver so a loaded engine cannot fail the setup.
    const quick = new DockerDriver({ callTimeoutMs: 1000 });
    const info = await driver.create({ name: name('idle'), env: environment(), labels });
    const att = await quick.attach(info.id);
    const screen = new Screen(att);
    await driver.start(info.id);
    await screen.waitFor(PROMPT);
    await new Promise((r) => setTimeout(r, 2500));
    await typeAndWait(att, screen, 'echo idle-$((5*5))', /idle-25/);
    att.detach();
    await driver.remove(info.id);
  });

  test('timings: create+attach+start to the first prompt, and attach to a running container', async (t: TestContext) => {
    const fresh: number[] = [],
      reattach: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const info = await driver.create({ name: name(`timing${i}`), env: environment({ user: 'student' }), labels, tty: { cols: 80, rows: 24 }, term: 'xterm' });
      const att = await driver.attach(info.id);
      const screen = new Screen(att);
      await driver.start(info.id);
      fresh.push(performance.now() - t0);
      await screen.waitFor(PROMPT);
      att.detach();
      const t1 = performance.now();
      const again = await driver.attach(info.id);
      reattach.push(performance.now() - t1);
      again.detach();
      await driver.remove(info.id);
    }
    const med = (a: number[]): string => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
    t.diagnostic(`create+attach+start (5 runs) median ${med(fresh)} ms: ${fresh.map((n) => n.toFixed(0)).join(', ')}`);
    t.diagnostic(`attach to a running container (5 runs) median ${med(reattach)} ms: ${reattach.map((n) => n.toFixed(1)).join(', ')}`);
  });

  test('concurrent ensureImage of a missing image: all fail with IMAGE_MISSING', async () => {
    const image = `islet-dtest-missing/none-${runId}:v1`;
    const results = await Promise.allSettled([1, 2, 3].map(() => driver.ensureImage(image)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'IMAGE_MISSING');
    }
  });
});
