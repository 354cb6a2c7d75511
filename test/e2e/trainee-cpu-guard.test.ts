/**
 * The trainee group's starvation guard (src/runtime/docker/trainee-group-guard.ts) on the real kernel and engine: a
 * container in an idle group, pinned to one CPU beside a busy container of the engine's own group, gets next to no CPU
 * (the probe); the guard clears the group's idle mark, after which it gets a share; once the busy neighbour is gone
 * the mark comes back at the hold's end. The group is one of this test's own (not ISLET's `islet-trainees`, which
 * other tests' containers use), removed at the end with the containers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../helpers/unit-world.ts';
import { testRunId } from '../helpers/engine.ts';
import { cpuHierarchy } from '../../src/runtime/docker/trainee-cpu-group.ts';
import { traineeGroupIo } from '../../src/runtime/docker/trainee-group-io.ts';
import { TraineeGroupGuard } from '../../src/runtime/docker/trainee-group-guard.ts';

const runId = testRunId();
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CG = '/sys/fs/cgroup';

/** The group's directory in every hierarchy that has it (runc makes the parent in each one it uses). */
function groupDirs(group: string): string[] {
  const roots = existsSync(join(CG, 'cgroup.controllers')) ? [CG] : readdirSync(CG).map((h) => join(CG, h));
  return roots.map((r) => join(r, group)).filter((d) => existsSync(d));
}

/** The engine removes the containers' own groups as they go; the parent is this test's to remove, in each hierarchy. */
async function removeGroup(group: string): Promise<void> {
  for (let i = 0; i < 20 && groupDirs(group).length > 0; i++) {
    for (const d of groupDirs(group)) {
      try {
        rmdirSync(d);
      } catch {
        // still busy: again shortly
      }
    }
    if (groupDirs(group).length > 0) await sleep(250);
  }
  assert.deepEqual(groupDirs(group), [], 'the test group is gone');
}

test('a starved idle group loses its mark, then gets a share of the CPU; the mark comes back once the host job ends', async (t: TestContext) => {
  const hierarchy = cpuHierarchy();
  const group = `islet-guard-${runId}`;
  const idleFile = hierarchy && join(hierarchy, group, 'cpu.idle');
  if (!hierarchy || !existsSync('/proc/pressure/cpu')) {
    assert.ok(!hierarchy || !existsSync('/proc/pressure/cpu'));
    t.skip('no cpu controller or no pressure stall information on this host');
    return;
  }
  mkdirSync(join(hierarchy, group));
  const ids: string[] = [];
  t.after(async () => {
    try {
      if (ids.length > 0) docker('rm', '-f', ...ids);
    } finally {
      await removeGroup(group);
    }
  });
  if (!existsSync(idleFile!)) {
    t.skip('this kernel has no cpu.idle (Linux 5.15 and later)');
    return;
  }
  writeFileSync(idleFile!, '1');
  const loop = ['sh', '-c', 'while :; do :; done'];
  const run = (name: string, ...extra: string[]) => {
    const id = docker(
      'run',
      '-d',
      '--label',
      `islet.test=${runId}`,
      '--cpuset-cpus',
      '0',
      '--name',
      `${runId}-${name}`,
      ...extra,
      'islet/demo:latest',
      ...loop,
    );
    ids.push(id);
    return id;
  };
  // The trainee first (alone, it starts at once), then the host job beside it on the same CPU.
  run('trainee', '--cgroup-parent', `/${group}`);
  const host = run('host-job');
  const io = traineeGroupIo(CG, group);
  assert.ok(io);
  const rates = async (ms: number) => {
    const [u0, w0, t0] = [io.usedNs()!, io.waitedNs()!, performance.now()];
    await sleep(ms);
    const span = (performance.now() - t0) * 1e6;
    return { used: ((io.usedNs()! - u0) / span) * 100, waited: ((io.waitedNs()! - w0) / span) * 100 };
  };
  await sleep(500);
  const starved = await rates(2000);
  t.diagnostic(`idle group beside a busy job: used ${starved.used.toFixed(1)} % of a CPU, waited ${starved.waited.toFixed(1)} %`);
  assert.ok(starved.waited >= 50 && starved.used < 5, `the probe: starved (${JSON.stringify(starved)})`);

  const { log, events } = memoryLogger();
  const guard = new TraineeGroupGuard({ io, log, holdMs: 3000 });
  t.after(() => guard.close());
  for (let i = 0; i < 20 && !guard.held; i++) {
    guard.tick();
    await sleep(250);
  }
  assert.equal(guard.held, true, 'the guard lifted the mark');
  assert.equal(readFileSync(idleFile!, 'utf8').trim(), '0');
  assert.ok(events.some((e) => e.event === 'trainee_cpu_starved'));
  const shared = await rates(1500);
  t.diagnostic(`without the mark: used ${shared.used.toFixed(1)} % of a CPU, waited ${shared.waited.toFixed(1)} %`);
  assert.ok(shared.used >= 25, `a share of the CPU (${JSON.stringify(shared)})`);

  docker('rm', '-f', host);
  ids.splice(ids.indexOf(host), 1);
  for (let i = 0; i < 40 && guard.held; i++) {
    guard.tick();
    await sleep(250);
  }
  assert.equal(guard.held, false, 'the hold ended');
  assert.equal(readFileSync(idleFile!, 'utf8').trim(), '1', 'marked idle again');
  for (let i = 0; i < 8; i++) {
    guard.tick();
    await sleep(250);
  }
  assert.equal(guard.lifted, 1, 'alone again, the group is not starved: the mark stays');
});
