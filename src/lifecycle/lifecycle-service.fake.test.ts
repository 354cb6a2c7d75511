/**
 * LifecycleService on the fake driver and the in-memory store, with an
 * injected clock: the same decisions as lifecycle-service.test.ts (which runs
 * them on the real engine), plus an engine failing mid-stop, in milliseconds.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT, LABEL_INSTANCE, LABEL_STORE } from '../runtime/names.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { LifecycleService } from './lifecycle-service.ts';

/** The labels a runner of store `store` puts on `account`'s demo container. */
const labelsOf = (w: { instance: string }, account: string, store: string) => ({
  [LABEL_INSTANCE]: w.instance,
  [LABEL_STORE]: store,
  [LABEL_ACCOUNT]: account,
  [LABEL_ENVIRONMENT]: 'demo',
});

const DEMO = 'image: islet/demo:latest\nuser: student\ntimeout: 1h\nidle_stop: 10m\ndisk_quota: 16m\n';

function world(t: TestContext, opts: Parameters<typeof unitWorld>[0] = {}) {
  const w = unitWorld({ environments: { demo: DEMO }, ...opts });
  t.after(() => w.close());
  /** A running container for `account` as a login makes it (account created when missing). */
  const make = async (account: string): Promise<string> => {
    const expiresAt = new Date(w.now().getTime() + 3 * 86_400_000);
    if (!(await w.store.getAccount(account))) await w.store.createAccount({ name: account, passwordHash: 'x', createdAt: w.now(), expiresAt });
    return w.runner.ensureRunning(account, w.env('demo'));
  };
  /** Runs a shell command in the container; its stdout. */
  const sh = async (id: string, script: string): Promise<string> => {
    const e = await w.driver.exec(id, { cmd: ['sh', '-c', script] });
    let out = '';
    e.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    e.stdin.end();
    await e.exited;
    return out;
  };
  return { ...w, make, sh };
}

test('maximum running time: warned at 5 and 1 minutes, then stopped with files kept and the reason recorded', async (t) => {
  const w = world(t);
  const id = await w.make('runner1');
  await w.sh(id, 'echo precious > /home/student/work.txt');
  const term = new MemoryTerminal();
  w.runner.attached.add(id, term);
  w.advance(3600 - 299);
  await w.lifecycle.check();
  assert.match(term.output, /maximum running time in 5 minutes/);
  w.advance(250);
  await w.lifecycle.check();
  assert.match(term.output, /maximum running time in 1 minute\b/);
  assert.equal((await w.driver.inspect(id))?.state, 'running');
  w.advance(60);
  await w.lifecycle.check();
  assert.match(term.output, /reached its maximum running time and is being stopped/);
  assert.equal((await w.driver.inspect(id))?.state, 'exited', 'stopped, not removed');
  assert.match((await w.store.getOwnership('runner1', 'demo'))?.stopReason ?? '', /^max_runtime/);
  await w.driver.start(id);
  assert.equal(await w.sh(id, 'cat /home/student/work.txt'), 'precious\n', 'files are kept');
});

test('idle culling stops an idle container but spares one whose processes use CPU', async (t) => {
  const w = world(t);
  const idle = await w.make('idler');
  const busy = await w.make('busy');
  w.advance(601);
  await w.lifecycle.check(); // first CPU sample for both candidates
  w.engine.lookup(busy)!.cpuNs += 1e9; // a second of CPU in the second that follows
  w.advance(1);
  await w.lifecycle.check();
  assert.equal((await w.driver.inspect(idle))?.state, 'exited');
  assert.match((await w.store.getOwnership('idler', 'demo'))?.stopReason ?? '', /^idle/);
  assert.equal((await w.driver.inspect(busy))?.state, 'running', 'a busy container keeps running');
  assert.equal(await w.store.countRunning(), 1);
});

test('reconcile: a dry run changes nothing; a real run removes an expired account, its container and an orphan, and adopts a forgotten one', async (t) => {
  const w = world(t);
  const mine = await w.make('expiring');
  const keep = await w.make('keeper');
  await w.store.deleteOwnership('keeper', 'demo'); // drift: a live container the store forgot
  const orphan = await w.driver.create({ name: `${w.instance}.demo.ghost`, env: w.env('demo'), labels: labelsOf(w, 'ghost', w.store.storeId()) });
  await w.store.setExpiry('expiring', w.now());
  const planned = await w.lifecycle.reconcile(true);
  const kinds = planned.map((a) => `${a.kind}:${'reason' in a ? a.reason : ''}`).sort();
  for (const k of ['remove:account_expired', 'remove:account_gone', 'adopt:', 'delete_account:expired']) {
    assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
  }
  assert.ok(await w.driver.inspect(mine), 'dry run removed nothing');
  assert.ok(await w.store.getAccount('expiring'));
  await w.lifecycle.reconcile();
  assert.equal(await w.driver.inspect(mine), undefined);
  assert.equal(await w.driver.inspect(orphan.id), undefined);
  assert.equal(await w.store.getAccount('expiring'), undefined);
  assert.equal((await w.store.getOwnership('keeper', 'demo'))?.containerId, keep, 'adopted');
  assert.deepEqual(
    (await w.lifecycle.reconcile(true)).filter((a) => a.kind !== 'sync_state'),
    [],
    'idempotent',
  );
});

test('a container of another store under this instance name is left alone and reported', async (t) => {
  const w = world(t);
  const foreign = await w.driver.create({ name: `${w.instance}.demo.zed`, env: w.env('demo'), labels: labelsOf(w, 'zed', 'other-store') });
  await w.lifecycle.reconcile();
  assert.ok(await w.driver.inspect(foreign.id), 'not removed');
  assert.equal(w.logged('foreign_containers')[0]?.count, 1);
});

test('disk quota: a container that writes past its quota is stopped with the reason recorded; one under it is left alone', async (t) => {
  const w = world(t);
  const id = await w.make('filler');
  const small = await w.make('tidy');
  await w.sh(id, 'dd if=/dev/zero of=/home/student/big bs=1M count=24 2>/dev/null');
  await w.sh(small, 'dd if=/dev/zero of=/home/student/some bs=1M count=2 2>/dev/null');
  await w.lifecycle.checkDisk();
  assert.equal((await w.driver.inspect(id))?.state, 'exited');
  assert.match((await w.store.getOwnership('filler', 'demo'))?.stopReason ?? '', /^disk_quota: 24 MB written, quota 16 MB/);
  assert.equal((await w.driver.inspect(small))?.state, 'running', 'a container under its quota is left alone');
});

test('the engine fails a stop: check reports it, the container keeps running, and the next reconcile marks the row running again', async (t) => {
  const w = world(t);
  const id = await w.make('stuck');
  w.engine.behaviour.fail = { stop: 'RUNTIME_UNAVAILABLE' };
  w.advance(3601);
  await assert.rejects(w.lifecycle.check(), (e: unknown) => e instanceof IsletError && e.code === 'RUNTIME_UNAVAILABLE');
  assert.equal((await w.driver.inspect(id))?.state, 'running');
  assert.equal((await w.store.getOwnership('stuck', 'demo'))?.state, 'stopped', 'the row was marked before the engine refused');
  w.engine.behaviour.fail = {};
  await w.lifecycle.reconcile();
  assert.equal((await w.store.getOwnership('stuck', 'demo'))?.state, 'running', 'repaired from the engine');
});

test('idle culling spares a container the CPU-weight governor held back, though it got no CPU (control: not held back, it is stopped)', async (t) => {
  for (const held of [true, false]) {
    const w = world(t);
    const id = await w.make('starved');
    const spans: number[] = [];
    // The same store, engine and clock as the world's own lifecycle; only the governor's answer differs.
    const lifecycle = new LifecycleService({
      store: w.store,
      driver: w.driver,
      config: w.config,
      log: w.log,
      instance: w.instance,
      attached: w.runner.attached,
      now: w.now,
      heldBack: (c, withinMs) => {
        spans.push(withinMs);
        return held && c === id;
      },
    });
    w.advance(601);
    await lifecycle.check(); // the first CPU sample
    w.advance(2); // two seconds without CPU: a job at weight 2 on a full machine
    await lifecycle.check();
    assert.equal((await w.driver.inspect(id))?.state, held ? 'running' : 'exited', held ? 'held back: spared' : 'control: stopped as idle');
    assert.deepEqual(spans, [2000], 'asked once, over the span since the previous sample');
    if (held) assert.ok(w.events.some((e) => e.event === 'idle_spared' && e.heldBack === true));
  }
});

test('idle culling spares a container whose processes waited for the CPU, though they got none of it (control: no waiting, it is stopped)', async (t) => {
  for (const waited of [true, false]) {
    const w = world(t);
    const id = await w.make(waited ? 'starved' : 'asleep');
    w.advance(601);
    await w.lifecycle.check(); // the first sample
    if (waited) w.engine.lookup(id)!.waitedNs += 1.5e9; // 1.5 s of the next 2 s waiting for a CPU, none of it used
    w.advance(2);
    await w.lifecycle.check();
    assert.equal((await w.driver.inspect(id))?.state, waited ? 'running' : 'exited', waited ? 'it wanted the CPU: spared' : 'control: idle');
    if (waited) assert.ok(w.events.some((e) => e.event === 'idle_spared' && e.waitedPercent === 75 && e.cpuPercent === 0));
  }
});

test('a backend without cpuTime and diskUsage: idle culling and the disk quota stand aside instead of failing (control: with them, both stop)', async (t) => {
  for (const lacking of [true, false]) {
    const w = world(t, lacking ? { unsupported: ['cpuTime', 'diskUsage'] } : {});
    const idle = await w.make('idler');
    const full = await w.make('filler');
    await w.sh(full, 'dd if=/dev/zero of=/home/student/big bs=1M count=24 2>/dev/null');
    w.advance(601);
    await w.lifecycle.check();
    w.advance(1);
    await w.lifecycle.check();
    await w.lifecycle.checkDisk();
    const states = [(await w.driver.inspect(idle))?.state, (await w.driver.inspect(full))?.state];
    assert.deepEqual(states, lacking ? ['running', 'running'] : ['exited', 'exited'], lacking ? 'nothing stopped without measurements' : 'control');
  }
});

test('two front doors on one store: a quiet shell attached at one door is not stopped as idle by the other door (control: detached, it is)', async (t) => {
  const w = world(t);
  // The other door: the same store, engine and clock, its own attachments (it sees none of this door's).
  const other = new LifecycleService({
    store: w.store,
    driver: w.driver,
    config: w.config,
    log: w.log,
    instance: w.instance,
    attached: new AttachRegistry(),
    now: w.now,
  });
  const id = await w.make('reader');
  const term = new MemoryTerminal();
  w.runner.attached.add(id, term); // attached here, typing nothing for 20 minutes
  for (let minute = 0; minute < 20; minute++) {
    w.advance(60);
    await w.lifecycle.check(); // this door refreshes the last-seen time of its attached shells
    await other.check();
    await other.check(); // a second CPU sample: no CPU used
  }
  assert.equal((await w.driver.inspect(id))?.state, 'running', 'the other door never stopped the attached shell');
  w.runner.attached.remove(id, term); // the trainee left
  w.advance(601);
  await other.check();
  w.advance(1);
  await other.check();
  assert.equal((await w.driver.inspect(id))?.state, 'exited', 'control: once nobody is attached anywhere, the other door stops it as idle');
});
