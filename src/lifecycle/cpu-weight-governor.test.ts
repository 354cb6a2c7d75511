/**
 * CpuWeightGovernor on the fake driver and the in-memory store, with an injected clock: which containers are
 * lowered or raised (a trainee typing), when they get their weight back, and what is left alone. test/e2e/cpu-weight.test.ts runs the same
 * governor on the real engine's cgroup files.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { governorWorld as world } from '../../test/helpers/governor-world.ts';
import { GOVERNOR_TICK_MS, type GovernorSettings, governedContainers, TYPING_IDLE_MS } from './cpu-weight-governor.ts';

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

test("a quiet room costs one read a tick: the group's; a job that starts is lowered within two ticks, a lowered one read every tick", async (t) => {
  const w = world(t, { group: true });
  const a = await w.make('room1');
  const b = await w.make('room2');
  const reads = () => w.driver.engine.calls.filter((op) => op === 'cpuTime').length;
  await w.tick();
  // Control: the first tick reads each container (first sight; the group has no earlier reading to compare yet).
  assert.equal(reads(), 2);
  await w.tick({ [a]: 3, [b]: 3 });
  const before = reads();
  assert.equal(before, 2, 'the group used 6 % of a core: no container read');
  for (let i = 0; i < 5; i++) await w.tick({ [a]: 5, [b]: 5 });
  assert.equal(reads(), before, 'the group used 10 % of a core: no container read');
  assert.ok(w.driver.engine.calls.includes('groupCpuTime'));
  // A job starts: the group is busy, every container is read again; a stale reading only lowers what only its last
  // tick can explain (here 100 % over half a second after 3 s at 3 to 5 %: an average of 18 %, under busy_cpu_percent).
  await w.tick({ [a]: 100, [b]: 5 });
  assert.equal(w.instance(a).cpuWeight, 1024, 'a stale reading is a new baseline');
  await w.tick({ [a]: 100, [b]: 5 });
  assert.equal(w.instance(a).cpuWeight, 64, 'lowered a tick later');
  assert.equal(w.instance(b).cpuWeight, 1024);
  // Lowered: read every tick, also in a quiet room, and given its weight back after four quiet ticks.
  const quietFrom = reads();
  for (let i = 0; i < 4; i++) await w.tick({ [a]: 2, [b]: 2 });
  assert.equal(w.instance(a).cpuWeight, 1024, 'quiet again: its own weight');
  assert.ok(reads() - quietFrom >= 4, 'the lowered one was read at each quiet tick');
});

test('in a quiet room a stale reading that only its last tick can explain is lowered at once; a container outside the group is read every tick', async (t) => {
  const w = world(t, { group: true });
  w.settings.value = { busyShares: 64, busyPercent: 15 };
  const a = await w.make('room3');
  const outside = await w.make('room4');
  const held = w.driver.groupCpuTime.bind(w.driver);
  // `outside` is not in the group (a container of the engine's own group): the group's time never counts it.
  w.driver.groupCpuTime = async () => {
    const g = (await held())!;
    return { cpuNs: g.cpuNs - w.instance(outside).cpuNs, holds: (id) => id !== outside && g.holds(id) };
  };
  await w.tick();
  await w.tick();
  const readsOf = () => w.driver.engine.calls.filter((op) => op === 'cpuTime').length;
  const before = readsOf();
  await w.tick({ [outside]: 95 });
  assert.equal(readsOf() - before, 1, 'only the container outside the group is read');
  assert.equal(w.instance(outside).cpuWeight, 64, 'and judged as ever');
  await w.tick({ [a]: 100 });
  assert.equal(w.instance(a).cpuWeight, 64, 'one quiet tick then 100 %: an average of 50 %, over busy_cpu_percent 15');
});

test('typing raises no stale container (its group was quiet); once the room is busy, a key raises as before', async (t) => {
  const w = world(t, { group: true });
  w.settings.value = TYPING;
  const id = await w.make('room5');
  const other = await w.make('room6');
  await w.tick();
  await w.tick();
  await w.tick({ [id]: 1 });
  w.governor.typed(id, Buffer.from('l'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'quiet room: nothing raised');
  await w.tick({ [other]: 100 });
  w.governor.typed(id, Buffer.from('l'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'the busy tick read it again: raised');
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

test('heldBack: while lowered, and for the given span after its weight came back; never for a container it did not lower', async (t) => {
  const w = world(t);
  const id = await w.make('held1');
  const other = await w.make('held2');
  await w.tick();
  assert.equal(w.governor.heldBack(id, 5000), false, 'control: not lowered yet');
  await w.tick({ [id]: 100, [other]: 3 });
  assert.equal(w.instance(id).cpuWeight, 64);
  assert.equal(w.governor.heldBack(id, 0), true, 'lowered now');
  assert.equal(w.governor.heldBack(other, 5000), false);
  for (let i = 0; i < 4; i++) await w.tick({ [id]: 0 });
  assert.equal(w.instance(id).cpuWeight, 1024, 'its weight back after four quiet ticks');
  assert.equal(w.governor.heldBack(id, 1), true, 'given back at this tick: held back less than 1 ms ago');
  w.advance();
  assert.equal(w.governor.heldBack(id, GOVERNOR_TICK_MS + 1), true, 'within the span');
  assert.equal(w.governor.heldBack(id, GOVERNOR_TICK_MS), false, 'not within a span that starts after it came back');
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

/** The fake driver writes after a turn of the event loop (the real one at once): typed()'s write lands by then. */
const written = () => new Promise((r) => setImmediate(r));
const TYPING: GovernorSettings = { busyShares: 64, busyPercent: 90, typingShares: 8192 };

test("a typing trainee's container is raised at a key and gets its own weight back at the Enter, before the command runs", async (t) => {
  const w = world(t);
  w.settings.value = TYPING;
  const id = await w.make('type1');
  const other = await w.make('type2');
  w.governor.typed(id, Buffer.from('l'));
  await written();
  assert.equal(w.instance(id).cpuWeight, undefined, 'a container no tick has seen is left alone');
  await w.tick();
  w.governor.typed(id, Buffer.from('l'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192);
  assert.equal(w.instance(other).cpuWeight, 1024, 'only the typing one');
  assert.equal(w.governor.raised, 1);
  const writes = () => w.driver.engine.calls.filter((op) => op === 'setCpuWeight').length;
  const before = writes();
  w.governor.typed(id, Buffer.from('s'));
  await written();
  assert.equal(writes(), before, 'the next keys of the line write nothing');
  w.governor.typed(id, Buffer.from('\r'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'the Enter: its own weight, before the command starts');
  assert.equal(w.governor.raised, 0);
  // A paste of a whole line ends in its Enter: nothing raised.
  w.governor.typed(id, Buffer.from('ls -la\n'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024);
});

test('a raised container gets its weight back after TYPING_IDLE_MS without a key; one that just worked is not raised', async (t) => {
  const w = world(t);
  w.settings.value = TYPING;
  const id = await w.make('idle1');
  await w.tick();
  w.governor.typed(id, Buffer.from('v'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192);
  for (let ms = 0; ms < TYPING_IDLE_MS - GOVERNOR_TICK_MS; ms += GOVERNOR_TICK_MS) await w.tick();
  assert.equal(w.instance(id).cpuWeight, 8192, 'under a second since the key');
  await w.tick();
  assert.equal(w.instance(id).cpuWeight, 1024, 'a second without a key (a full-screen program, a line left): its own weight');
  // Its last command used 20 % of a core over the last tick: the keys that follow do not raise it until a calm tick.
  await w.tick({ [id]: 25 });
  w.governor.typed(id, Buffer.from('x'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'worked over the last tick: not raised');
  await w.tick({ [id]: 5 });
  w.governor.typed(id, Buffer.from('y'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'a calm tick later, the next key raises it');
  // A program that computes on each key (under the busy line): given back at the tick it worked, and not raised
  // again before four calm ticks.
  w.governor.typed(id, Buffer.from('z'));
  await w.tick({ [id]: 60 });
  assert.deepEqual([w.instance(id).cpuWeight, w.governor.lowered], [1024, 0], 'worked 60 % over the tick: its own weight, not lowered');
  for (let calm = 1; calm <= 3; calm++) {
    await w.tick({ [id]: 5 });
    w.governor.typed(id, Buffer.from('z'));
    await written();
    assert.equal(w.instance(id).cpuWeight, 1024, `${calm} calm tick(s) since it worked while raised: not raised`);
  }
  await w.tick({ [id]: 5 });
  w.governor.typed(id, Buffer.from('z'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'four calm ticks: a key raises it again');
});

test('busy wins: a raised container that keeps a core busy is lowered, and typing does not raise a lowered one', async (t) => {
  const w = world(t);
  w.settings.value = TYPING;
  const id = await w.make('game1');
  await w.tick();
  w.governor.typed(id, Buffer.from('a'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192);
  // A job started in the background while the trainee keeps typing: lowered at the next tick.
  w.governor.typed(id, Buffer.from('b'));
  await w.tick({ [id]: 180 });
  assert.equal(w.instance(id).cpuWeight, 64);
  assert.deepEqual([w.governor.lowered, w.governor.raised], [1, 0]);
  w.governor.typed(id, Buffer.from('c'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 64, 'lowered: typing raises nothing');
});

test('typing_cpu_shares 0 raises nothing and gives a raised weight back; close() gives it back; a server that does not lead raises nothing', async (t) => {
  const w = world(t);
  w.settings.value = TYPING;
  const id = await w.make('off1');
  await w.tick();
  w.governor.typed(id, Buffer.from('a'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'the probe: raised while on');
  w.settings.value = { busyShares: 64, busyPercent: 90, typingShares: 0 };
  await w.tick();
  assert.equal(w.instance(id).cpuWeight, 1024, 'turned off: its own weight at the next tick');
  w.governor.typed(id, Buffer.from('b'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'off: not raised');
  w.settings.value = { busyShares: 0, busyPercent: 90, typingShares: 8192 };
  await w.tick();
  w.governor.typed(id, Buffer.from('c'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'raising works with lowering off');
  await w.governor.close();
  assert.equal(w.instance(id).cpuWeight, 1024, 'close(): its own weight back');
  w.governor.typed(id, Buffer.from('d'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'nothing after close()');
  const follower = w.governorFor(() => false);
  const leader = w.governorFor(() => true);
  w.settings.value = TYPING;
  await leader.tick();
  await follower.tick();
  follower.typed(id, Buffer.from('e'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 1024, 'a server that does not lead has seen nothing and raises nothing');
  leader.typed(id, Buffer.from('e'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192, 'the leader raises it');
});

test('a failed write of its own weight at the Enter is tried again once the trainee has typed nothing for a second', async (t) => {
  const w = world(t);
  w.settings.value = TYPING;
  const id = await w.make('fail2');
  await w.tick();
  w.governor.typed(id, Buffer.from('a'));
  await written();
  assert.equal(w.instance(id).cpuWeight, 8192);
  w.driver.engine.behaviour.fail = { setCpuWeight: 'RUNTIME_FAILED' };
  w.governor.typed(id, Buffer.from('\r'));
  await written();
  assert.deepEqual([w.instance(id).cpuWeight, w.governor.raised], [8192, 1], 'the write failed: still raised, and known to be');
  w.driver.engine.behaviour.fail = {};
  for (let ms = 0; ms < TYPING_IDLE_MS; ms += GOVERNOR_TICK_MS) await w.tick();
  assert.deepEqual([w.instance(id).cpuWeight, w.governor.raised], [1024, 0]);
});
