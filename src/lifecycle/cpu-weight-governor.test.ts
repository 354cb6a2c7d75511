/**
 * CpuWeightGovernor on the fake driver and the in-memory store, with an injected clock: which containers are
 * lowered, when they get their weight back, and what is left alone. test/e2e/cpu-weight.test.ts runs the same
 * governor on the real engine's cgroup files.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { CpuWeightGovernor, GOVERNOR_TICK_MS, type GovernorSettings, governedContainers } from './cpu-weight-governor.ts';

const DEMO = 'image: islet/demo:latest\nuser: student\n';
const LIGHT = 'image: islet/demo:latest\nuser: student\ncpu_shares: 32\n';

function world(t: TestContext) {
  const w = unitWorld({ environments: { demo: DEMO, light: LIGHT } });
  t.after(() => w.close());
  let ms = 0;
  const settings: { value: GovernorSettings } = { value: { busyShares: 64, busyPercent: 90 } };
  /** A governor over this world's driver and store (a second one: another front door on the same store). */
  const governorFor = (leads?: () => boolean) =>
    new CpuWeightGovernor({
      driver: w.driver,
      targets: () => governedContainers(w.store, w.config),
      settings: () => settings.value,
      log: w.log,
      now: () => ms,
      ...(leads ? { leads } : {}),
    });
  const governor = governorFor();
  /** A running container of `environment` for `account`, as a login makes it. */
  const make = async (account: string, environment = 'demo'): Promise<string> => {
    const expiresAt = new Date(w.now().getTime() + 86_400_000);
    if (!(await w.store.getAccount(account))) await w.store.createAccount({ name: account, passwordHash: 'x', createdAt: w.now(), expiresAt });
    return w.runner.ensureRunning(account, w.env(environment));
  };
  const instance = (id: string) => w.driver.engine.lookup(id)!;
  /** GOVERNOR_TICK_MS pass, in which each listed container used `percent` of one core; tick() then runs the governor. */
  const advance = (use: Record<string, number> = {}) => {
    ms += GOVERNOR_TICK_MS;
    for (const [id, percent] of Object.entries(use)) instance(id).cpuNs += (percent / 100) * GOVERNOR_TICK_MS * 1e6;
  };
  const tick = async (use: Record<string, number> = {}) => {
    advance(use);
    await governor.tick();
  };
  return { ...w, governor, governorFor, settings, make, instance, advance, tick };
}

test('a container that keeps a core busy is lowered after one tick; a quiet neighbour keeps its weight', async (t) => {
  const w = world(t);
  const busy = await w.make('busy1');
  const quiet = await w.make('quiet1');
  await w.tick();
  // First sight: each gets its own weight written (a lowered weight an earlier ISLET left must not stay).
  assert.equal(w.instance(busy).cpuWeight, 1024);
  assert.equal(w.instance(quiet).cpuWeight, 1024);
  await w.tick({ [busy]: 89, [quiet]: 3 });
  assert.equal(w.instance(busy).cpuWeight, 1024, 'under busy_cpu_percent: not busy');
  await w.tick({ [busy]: 130, [quiet]: 3 });
  assert.equal(w.instance(busy).cpuWeight, 64);
  assert.equal(w.instance(quiet).cpuWeight, 1024);
  assert.equal(w.governor.lowered, 1);
  assert.ok(w.events.some((e) => e.event === 'cpu_weight_lowered' && e.shares === 64));
});

test('a lowered container gets its weight back after four quiet ticks in a row, not while a starved job still runs', async (t) => {
  const w = world(t);
  const id = await w.make('busy2');
  await w.tick();
  await w.tick({ [id]: 100 });
  assert.equal(w.instance(id).cpuWeight, 64);
  // A job starved by the others' demand still runs above 20 %: it stays lowered, and its quiet count restarts.
  for (const p of [10, 10, 10, 35, 10, 10, 10]) await w.tick({ [id]: p });
  assert.equal(w.instance(id).cpuWeight, 64, 'three quiet ticks since the last busy one');
  await w.tick({ [id]: 10 });
  assert.equal(w.instance(id).cpuWeight, 1024);
  assert.equal(w.governor.lowered, 0);
  await w.tick({ [id]: 100 });
  assert.equal(w.instance(id).cpuWeight, 64, 'busy again: lowered again');
});

test('a container restarted while lowered is lowered again at its next busy tick (its CPU counter went back)', async (t) => {
  const w = world(t);
  const id = await w.make('restart1');
  await w.tick();
  await w.tick({ [id]: 100 });
  assert.equal(w.instance(id).cpuWeight, 64);
  // A restart: the engine starts it at its configured weight and its cgroup counts CPU from zero.
  Object.assign(w.instance(id), { cpuNs: 0, cpuWeight: 1024 });
  await w.tick({ [id]: 100 });
  assert.equal(w.governor.lowered, 0, 'the counter went back: seen as new, not as still lowered');
  await w.tick({ [id]: 100 });
  assert.equal(w.instance(id).cpuWeight, 64, 'busy after the restart: lowered again');
  assert.equal(w.governor.lowered, 1);
});

test('two front doors on one store: only the leader writes, and a new leader carries on without undoing the old one', async (t) => {
  const w = world(t);
  const id = await w.make('leader1');
  let leader: 'a' | 'b' = 'a';
  const a = w.governorFor(() => leader === 'a');
  const b = w.governorFor(() => leader === 'b');
  // The world's own governor (no lease) is not ticked here: only a and b run.
  const both = async (percent: number) => {
    w.advance({ [id]: percent });
    await a.tick();
    await b.tick();
  };
  await both(0);
  await both(150);
  assert.equal(w.instance(id).cpuWeight, 64, 'lowered by the governors that write');
  assert.equal(a.lowered, 1);
  assert.equal(b.lowered, 0, 'the server that does not lead keeps nothing');
  const writes = () => w.driver.engine.calls.filter((op) => op === 'setCpuWeight').length;
  const before = writes();
  await b.tick();
  await b.tick();
  assert.equal(writes(), before, 'a server that does not lead writes nothing');
  leader = 'b';
  await a.tick();
  assert.equal(a.lowered, 0, 'leadership lost: forgotten without writing');
  await b.tick();
  assert.equal(w.instance(id).cpuWeight, 1024, "the new leader's first sight writes the container's own weight");
  w.advance({ [id]: 150 });
  await b.tick();
  assert.equal(w.instance(id).cpuWeight, 64, 'the new leader lowers the busy one after its first sight');
  assert.equal(b.lowered, 1);
});

test('an environment already below the busy weight is never raised or lowered; busy_cpu_shares 0 gives every weight back', async (t) => {
  const w = world(t);
  const light = await w.make('light1', 'light');
  const demo = await w.make('demo1');
  await w.tick();
  await w.tick({ [light]: 200, [demo]: 200 });
  assert.equal(w.instance(light).cpuWeight, 32);
  assert.equal(w.instance(demo).cpuWeight, 64);
  w.settings.value = { busyShares: 0, busyPercent: 90 };
  await w.tick({ [demo]: 200 });
  assert.equal(w.instance(demo).cpuWeight, 1024, 'turned off: the busy one has its weight back at once');
  await w.tick({ [demo]: 200 });
  assert.equal(w.instance(demo).cpuWeight, 1024);
});

test('close() gives lowered weights back and ends the ticks; stopped containers and unknown environments are left alone', async (t) => {
  const w = world(t);
  const a = await w.make('close1');
  const b = await w.make('close2');
  await w.tick();
  await w.tick({ [a]: 150, [b]: 150 });
  assert.equal(w.governor.lowered, 2);
  await w.driver.stop(b, 0);
  // The store still says running until the reconciler sees the exit: the read fails, b is forgotten, nothing written.
  w.instance(b).cpuWeight = 64;
  await w.tick({ [a]: 150 });
  assert.equal(w.governor.lowered, 1);
  await w.governor.close();
  assert.equal(w.instance(a).cpuWeight, 1024);
  await w.tick({ [a]: 150 });
  assert.equal(w.instance(a).cpuWeight, 1024, 'no tick after close()');
  // An environment removed from the configuration: its containers are not targets (their weight is unknown here).
  const rows = await governedContainers(w.store, { current: () => ({ ...w.config.current(), environments: [] }) });
  assert.deepEqual(rows, []);
  assert.deepEqual(
    (await governedContainers(w.store, w.config)).map((r) => r.shares),
    [1024, 1024],
    'both rows still say running, with their weight',
  );
});

test('a failed write changes nothing and is tried again at the next tick', async (t) => {
  const w = world(t);
  const id = await w.make('fail1');
  await w.tick();
  w.driver.engine.behaviour.fail = { setCpuWeight: 'RUNTIME_FAILED' };
  await w.tick({ [id]: 150 });
  assert.equal(w.instance(id).cpuWeight, 1024);
  assert.equal(w.governor.lowered, 0);
  w.driver.engine.behaviour.fail = {};
  await w.tick({ [id]: 150 });
  assert.equal(w.instance(id).cpuWeight, 64);
});
