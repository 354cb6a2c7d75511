import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfigDir } from '../../src/config/config-source.ts';
import { createOptions } from '../../src/runtime/docker/create-options.ts';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { LABEL_TEST, sweepTestContainers, testRunId } from '../../test/helpers/engine.ts';
import { TRAINEE_CPU_PARENT } from '../../src/runtime/docker/trainee-cpu-group.ts';
import { peerRunArgs } from './peer-flags.ts';

const demo = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
const body = (env = demo) => createOptions({ name: 'x', env, labels: {}, tty: { cols: 80, rows: 24 }, term: 'xterm' }, { cgroupParent: TRAINEE_CPU_PARENT });

test('peerRunArgs: logging off, ulimits, capabilities, pids, memory as ISLET; image and command last', () => {
  const a = peerRunArgs(body(), { 'islet.peer': 'true' });
  const pairs = (flag: string) => a.flatMap((x, i) => (x === flag ? [a[i + 1]] : []));
  assert.deepEqual(pairs('--log-driver'), ['none']);
  assert.deepEqual(pairs('--ulimit'), ['nofile=1024:2048', `fsize=${1024 ** 3}:${1024 ** 3}`]);
  assert.deepEqual(pairs('--cap-drop'), ['ALL']);
  assert.deepEqual(pairs('--pids-limit'), ['256']);
  assert.deepEqual(pairs('--memory'), [String(128 * 1024 ** 2)]);
  assert.deepEqual(pairs('--network'), ['none']);
  assert.deepEqual(pairs('--label'), ['islet.peer=true']);
  assert.deepEqual(pairs('--cgroup-parent'), ['/islet-trainees']);
  assert.equal(
    pairs('--env').some((e) => e!.startsWith('TERM=')),
    false,
    'TERM comes from the client through the CLI',
  );
  assert.deepEqual(a.slice(-3), ['islet/demo:latest', '/bin/sh', '-l']);
});

// The engine is the judge: a container created by the docker CLI with these arguments has the host
// config ISLET's create body asks for (control: the original peer flags differ in logging and ulimits).
test('peerRunArgs: docker create with them gives the HostConfig of ISLET create body', { timeout: 120_000 }, async () => {
  const run = testRunId();
  const inspect = (args: string[]) => {
    const name = `peerflags-${run}-${Math.random().toString(36).slice(2, 8)}`;
    execFileSync('docker', ['create', '--label', `${LABEL_TEST}=${run}`, '--name', name, ...args], { timeout: 60_000 });
    return JSON.parse(execFileSync('docker', ['inspect', name], { timeout: 30_000 }).toString())[0].HostConfig;
  };
  try {
    const want = body().HostConfig!;
    const fields = (h: any) => ({
      log: h.LogConfig.Type,
      ulimits: (h.Ulimits ?? []).map((u: any) => `${u.Name}=${u.Soft}:${u.Hard}`).sort(),
      capDrop: h.CapDrop,
      capAdd: h.CapAdd ?? [],
      pids: h.PidsLimit,
      memory: h.Memory,
      swap: h.MemorySwap,
      shares: h.CpuShares,
      security: h.SecurityOpt,
      network: h.NetworkMode,
      cgroupParent: h.CgroupParent,
    });
    const expected = fields(want);
    assert.deepEqual(fields(inspect(peerRunArgs(body()))), expected);
    // Control: the flags the peer used before (json-file log, no ulimits) give a different host config.
    const old = fields(
      inspect([
        '--memory',
        '128m',
        '--pids-limit',
        '256',
        '--network',
        'none',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        'islet/demo:latest',
      ]),
    );
    assert.notEqual(old.log, expected.log);
    assert.notDeepEqual(old.ulimits, expected.ulimits);
    assert.notEqual(old.cgroupParent, expected.cgroupParent);
  } finally {
    await sweepTestContainers(run);
  }
});
