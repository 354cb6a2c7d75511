/**
 * EnvironmentRunner on the fake driver and the in-memory store: the login
 * path's decisions (create, reattach, restart, repair, refuse) and what a
 * trainee sees, with the engine misbehaving on cue. The same paths run over
 * real SSH and Docker in test/e2e/.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT, LABEL_INSTANCE, LABEL_STORE } from '../runtime/names.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { DEMO_IMAGE } from '../runtime/fake/fake-image.ts';
import type { TtySize } from '../core/terminal.ts';
import { EnvironmentRunner } from './environment-runner.ts';
import { POOL_TTY, WarmPool } from './warm-pool.ts';

/** Waits until the terminal's output after `from` matches `re`. */
async function seen(term: MemoryTerminal, re: RegExp, from = 0, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(term.output.slice(from))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output ends with ${JSON.stringify(term.output.slice(-300))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function world(t: TestContext, opts: Parameters<typeof unitWorld>[0] = {}) {
  const w = unitWorld(opts);
  t.after(() => w.close());
  await w.store.createAccount({ name: 'alice', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  const said: string[] = [];
  return {
    ...w,
    said,
    say: (s: string) => {
      said.push(s);
    },
  };
}

const code = (c: string) => (e: unknown) => e instanceof IsletError && e.code === c;

test('first login: creates <instance>.<env>.<account> with its labels, records it running, typeahead reaches the shell; leaving only detaches', async (t) => {
  const w = await world(t);
  const term = new MemoryTerminal();
  const done = w.runner.run(term, 'alice', w.env('demo'), w.say, { typeahead: Buffer.from('echo early-$((20+1))\r') });
  await seen(term, /early-21/);
  const info = await w.driver.inspect('unit.demo.alice');
  assert.equal(info?.state, 'running');
  const l = info?.labels ?? {};
  assert.deepEqual([l[LABEL_ACCOUNT], l[LABEL_ENVIRONMENT], l[LABEL_INSTANCE], l[LABEL_STORE]], ['alice', 'demo', 'unit', w.store.storeId()]);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.containerId, info?.id);
  assert.equal(await w.store.countRunning('alice'), 1);
  assert.match(w.said.join(''), /Enjoy yourself!/);
  assert.equal(w.runner.attached.count(info!.id), 1);
  assert.deepEqual(w.runner.attached.ownerOf(term), { account: 'alice', environment: 'demo' }, 'whose shell (a gate recording moves by it)');
  term.close();
  assert.equal(await done, 'closed');
  assert.equal((await w.driver.inspect(info!.id))?.state, 'running', 'the shell keeps running');
  assert.equal(w.runner.attached.count(info!.id), 0);
  assert.equal(w.runner.attached.ownerOf(term), undefined);
  assert.deepEqual(
    w.logged('environment_started').map((e) => e.account),
    ['alice'],
  );
});

test('second login reattaches to the live shell (no create, "Welcome back!"); the login path never lists the engine', async (t) => {
  const w = await world(t);
  const a = new MemoryTerminal();
  const first = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  a.type('cd /tmp && echo kept-$((1+1))\r');
  await seen(a, /kept-2/);
  a.close();
  await first;
  w.engine.calls.length = 0;
  const b = new MemoryTerminal();
  const second = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /:\/tmp\$ $/, 0);
  b.type('pwd\r');
  await seen(b, /\r\n\/tmp\r\n/);
  assert.match(w.said.join(''), /Welcome back!/);
  assert.ok(!w.engine.calls.includes('create') && !w.engine.calls.includes('find'), w.engine.calls.join(','));
  b.close();
  await second;
});

test('the shell exits: outcome exited, the stop is recorded, the container is kept; the next login starts it again with its files', async (t) => {
  const w = await world(t);
  const a = new MemoryTerminal();
  const run = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  a.type('echo note > ~/n; exit 0\r');
  assert.equal(await run, 'exited');
  const row = await w.store.getOwnership('alice', 'demo');
  assert.deepEqual([row?.state, row?.stopReason], ['stopped', 'shell exited']);
  assert.equal((await w.driver.inspect(row!.containerId))?.state, 'exited');
  const b = new MemoryTerminal();
  const again = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\$ $/);
  b.type('cat ~/n\r');
  await seen(b, /note/);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.containerId, row!.containerId, 'the same container');
  assert.equal(await w.store.countRunning(), 1);
  b.close();
  await again;
});

test('remove_on_exit: the container and its record go when the shell exits', async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\nremove_on_exit: true\n' } });
  const a = new MemoryTerminal();
  const run = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  assert.match(w.said.join(''), /terminated upon exit/);
  a.type('exit\r');
  assert.equal(await run, 'exited');
  assert.equal(await w.driver.inspect('unit.demo.alice'), undefined);
  assert.equal(await w.store.getOwnership('alice', 'demo'), undefined);
});

test('a lost store row is repaired from the container name; a container of another store is refused with OWNERSHIP_FOREIGN', async (t) => {
  const w = await world(t);
  const id = await w.runner.ensureRunning('alice', w.env('demo'));
  await w.store.deleteOwnership('alice', 'demo');
  assert.equal(await w.runner.ensureRunning('alice', w.env('demo')), id);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.containerId, id, 'row repaired');
  await w.store.createAccount({ name: 'bob', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  await w.driver.create({ name: 'unit.demo.bob', env: w.env('demo'), labels: { ...w.runner.labels('demo', 'bob'), [LABEL_STORE]: 'another-store' } });
  await assert.rejects(w.runner.ensureRunning('bob', w.env('demo')), code('OWNERSHIP_FOREIGN'));
  assert.equal(await w.store.getOwnership('bob', 'demo'), undefined);
});

test('two logins of one pair at once make one container', async (t) => {
  const w = await world(t);
  const ids = await Promise.all([1, 2, 3].map(() => w.runner.ensureRunning('alice', w.env('demo'))));
  assert.equal(new Set(ids).size, 1);
  assert.equal((await w.driver.find({ [LABEL_ACCOUNT]: 'alice' })).length, 1);
});

test('a slow start shows "Starting your environment..."; a fast one (control) shows nothing of it', async (t) => {
  const w = await world(t);
  w.engine.behaviour.startDelayMs = 1300;
  const a = new MemoryTerminal();
  const run = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/, 0, 10_000);
  assert.match(w.said.join(''), /Starting your environment\.\.\./);
  a.close();
  await run;
  w.said.length = 0;
  w.engine.behaviour.startDelayMs = 0;
  await w.runner.reset('alice', 'demo');
  const b = new MemoryTerminal();
  const fast = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\$ $/);
  assert.doesNotMatch(w.said.join(''), /Starting your environment/);
  b.close();
  await fast;
});

test('an engine that never starts the container: RUNTIME_UNAVAILABLE with the busy message, and the admission place is given back', async (t) => {
  const w = await world(t, { islet: 'max_containers: 1\n' });
  w.engine.behaviour.neverStarts = true;
  const a = new MemoryTerminal();
  const busy = (e: unknown) => code('RUNTIME_UNAVAILABLE')(e) && /busy/.test((e as IsletError).userMessage);
  await assert.rejects(w.runner.run(a, 'alice', w.env('demo'), w.say), busy);
  assert.equal(await w.store.countRunning(), 0);
  w.engine.behaviour.neverStarts = false;
  const id = await w.runner.ensureRunning('alice', w.env('demo'));
  assert.equal((await w.driver.inspect(id))?.state, 'running', 'the one place was free again');
});

test('create fails: the error reaches the caller and nothing is recorded; an attach failure leaves the container but no attachment', async (t) => {
  const w = await world(t);
  w.engine.behaviour.fail = { create: 'RUNTIME_FAILED' };
  await assert.rejects(w.runner.run(new MemoryTerminal(), 'alice', w.env('demo'), w.say), code('RUNTIME_FAILED'));
  assert.equal(await w.store.getOwnership('alice', 'demo'), undefined);
  assert.deepEqual(await w.driver.find({}), []);
  w.engine.behaviour.fail = { attach: 'RUNTIME_UNAVAILABLE' };
  const term = new MemoryTerminal();
  await assert.rejects(w.runner.run(term, 'alice', w.env('demo'), w.say), code('RUNTIME_UNAVAILABLE'));
  assert.equal(w.runner.attached.all().length, 0);
  assert.equal(await w.store.countRunning(), 0, 'never started, so not counted');
});

test('the main process dies at start: the runner reports exited and records the stop', async (t) => {
  const w = await world(t);
  w.engine.behaviour.exitOnStart = 1;
  assert.equal(await w.runner.run(new MemoryTerminal(), 'alice', w.env('demo'), w.say), 'exited');
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.state, 'stopped');
  assert.equal(w.logged('environment_exited')[0]?.exitCode, 1);
});

test('reset removes the container and its record; removeAll removes every environment of the account', async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\n', web: 'image: islet/demo:latest\n' } });
  await w.runner.ensureRunning('alice', w.env('demo'));
  await w.runner.ensureRunning('alice', w.env('web'));
  assert.equal(await w.runner.reset('alice', 'demo'), true);
  assert.equal(await w.driver.inspect('unit.demo.alice'), undefined);
  assert.equal(await w.runner.reset('alice', 'demo'), false, 'nothing left to reset');
  await w.runner.removeAll('alice');
  assert.deepEqual(await w.driver.find({ [LABEL_ACCOUNT]: 'alice' }), []);
  assert.deepEqual(await w.store.listOwnership('alice'), []);
});

// A new container costs the engine floor and no more (issue 15.4): the runner creates at once, with no
// engine call before create, and learns from create itself that the image is missing (ensure it with
// progress, create again) or that the name is taken (the trainee's own container, its store row lost).
const before = (calls: readonly string[], op: string) => calls.slice(0, calls.indexOf(op));

test('new container: create is the first engine call; a returning trainee (control) is looked up first', async (t) => {
  const w = await world(t);
  w.engine.calls.length = 0;
  const a = new MemoryTerminal();
  const first = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  assert.deepEqual(before(w.engine.calls, 'create'), [], w.engine.calls.join(','));
  assert.match(w.said.join(''), /Enjoy yourself!/);
  a.type('exit\r');
  assert.equal(await first, 'exited');
  // Control: with a store row the runner inspects before anything else, so the probe sees calls before create.
  w.engine.calls.length = 0;
  const b = new MemoryTerminal();
  const again = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\$ $/);
  assert.equal(w.engine.calls[0], 'inspect');
  assert.ok(!w.engine.calls.includes('create'), w.engine.calls.join(','));
  b.close();
  await again;
});

test('image missing: create says so, the image is pulled with progress, create again', async (t) => {
  const w = await world(t);
  w.engine.images.delete('islet/demo:latest');
  w.engine.registry.set('islet/demo:latest', DEMO_IMAGE);
  w.engine.calls.length = 0;
  const a = new MemoryTerminal();
  const run = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  assert.deepEqual(w.engine.calls.slice(0, 3), ['create', 'ensureImage', 'create']);
  assert.match(w.said.join(''), /Pulling from fake registry/);
  a.close();
  await run;
});

test('image missing and not pullable: IMAGE_MISSING, the trainee is told, nothing created', async (t) => {
  const w = await world(t);
  w.engine.images.delete('islet/demo:latest');
  const a = new MemoryTerminal();
  await assert.rejects(w.runner.run(a, 'alice', w.env('demo'), w.say), (e: unknown) => e instanceof IsletError && e.code === 'IMAGE_MISSING');
  assert.match(w.said.join(''), /Image not found, trying Docker Hub/);
  assert.equal(await w.driver.inspect('unit.demo.alice'), undefined);
  assert.equal(await w.store.getOwnership('alice', 'demo'), undefined);
});

test('name taken, store row lost: create meets 409, the stopped container is the trainee own, back with its files', async (t) => {
  const w = await world(t);
  const a = new MemoryTerminal();
  const first = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  a.type('echo kept > ~/n; exit 0\r');
  assert.equal(await first, 'exited');
  const id = (await w.store.getOwnership('alice', 'demo'))!.containerId;
  await w.store.deleteOwnership('alice', 'demo');
  w.said.length = 0;
  w.engine.calls.length = 0;
  const b = new MemoryTerminal();
  const again = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\$ $/);
  assert.deepEqual(w.engine.calls.slice(0, 2), ['create', 'inspect'], 'create first, the name looked up on its refusal');
  assert.match(w.said.join(''), /Welcome back!/);
  b.type('cat ~/n\r');
  await seen(b, /kept/);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.containerId, id, 'row repaired');
  assert.equal(await w.store.countRunning('alice'), 1);
  b.close();
  await again;
});

/** A runner with a warm pool of `size` (filled) on the world's driver and store. */
async function pooled(t: TestContext, w: Awaited<ReturnType<typeof world>>, claimBy?: 'store') {
  const pool = new WarmPool({ driver: w.driver, store: w.store, config: w.config, log: w.log, instance: 'unit', labels: {}, ...(claimBy ? { claimBy } : {}) });
  t.after(() => pool.close());
  await pool.fill();
  return { pool, runner: new EnvironmentRunner({ driver: w.driver, store: w.store, log: w.log, instance: 'unit', pool }) };
}

test('a warm claim by rename makes no engine call before the rename, and after it only attach and resize', async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\nwarm_pool: 1\n' } });
  const { runner } = await pooled(t, w);
  w.engine.calls.length = 0;
  const term = new MemoryTerminal();
  term.resize({ cols: 120, rows: 40 });
  const done = runner.run(term, 'alice', w.env('demo'), w.say);
  await seen(term, /\$ $/);
  assert.equal(w.logged('environment_started').at(-1)?.path, 'warm', 'probe: the login was a warm claim');
  assert.deepEqual(w.engine.calls, ['rename', 'attach', 'resize']);
  assert.equal((await w.driver.inspect('unit.demo.alice'))?.state, 'running', 'the claimed container has the trainee name');
  term.close();
  await done;
});

test("a warm claim whose name is taken (the trainee's container from before, its row lost): the pool container stays ready, hers comes back", async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\nwarm_pool: 1\n' } });
  const a = new MemoryTerminal();
  const first = w.runner.run(a, 'alice', w.env('demo'), w.say); // no pool yet: created
  await seen(a, /\$ $/);
  a.type('echo kept > ~/n; exit 0\r');
  assert.equal(await first, 'exited');
  const id = (await w.store.getOwnership('alice', 'demo'))!.containerId;
  await w.store.deleteOwnership('alice', 'demo');
  const { pool, runner } = await pooled(t, w);
  assert.equal(pool.size(), 1, 'probe: the pool has a ready container');
  w.said.length = 0;
  w.engine.calls.length = 0;
  const b = new MemoryTerminal();
  const again = runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\$ $/);
  assert.deepEqual(w.engine.calls.slice(0, 2), ['rename', 'inspect'], 'the rename first, the name looked up on its refusal');
  assert.match(w.said.join(''), /Welcome back!/);
  b.type('cat ~/n\r');
  await seen(b, /kept/);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.containerId, id, 'row repaired');
  assert.equal(pool.size(), 1, 'the pool container was not claimed, and is still ready');
  assert.equal(w.engine.calls.includes('remove'), false, 'nothing removed');
  b.close();
  await again;
});

test('a warm pool that claims by store lease looks the name up first (a lease keeps the pool name)', async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\nwarm_pool: 1\n' } });
  const { runner } = await pooled(t, w, 'store');
  w.engine.calls.length = 0;
  await runner.ensureRunning('alice', w.env('demo'));
  assert.deepEqual(w.engine.calls.slice(0, 2), ['inspect', 'inspect'], 'the name, then the leased container');
});

test('a reattaching terminal is in its shell from the moment the restored screen is painted (what it types there is recorded shell input)', async (t) => {
  const w = await world(t, { screenRestore: true });
  const a = new MemoryTerminal();
  const first = w.runner.run(a, 'alice', w.env('demo'), w.say);
  await seen(a, /\$ $/);
  a.close();
  await first;
  const b = new MemoryTerminal();
  // The engine resize follows the paint: the trainee types at the painted prompt while it is in flight.
  const resize = w.driver.resize.bind(w.driver);
  const atResize: { painted: boolean; present: boolean }[] = [];
  w.driver.resize = async (id, size) => {
    if (atResize.length === 0) {
      atResize.push({ painted: /\$ $/.test(b.output), present: w.runner.attached.presence(b) !== undefined });
      b.type('echo typed-at-paint\r');
    }
    return resize(id, size);
  };
  const second = w.runner.run(b, 'alice', w.env('demo'), w.say);
  await seen(b, /\r\ntyped-at-paint\r\n/);
  assert.deepEqual(atResize, [{ painted: true, present: true }]);
  b.close();
  await second;
  assert.equal(w.runner.attached.presence(b), undefined, 'gone once the terminal left');
});

test('an attach that fails after the engine attached leaves the terminal not attached', async (t) => {
  const w = await world(t);
  const b = new MemoryTerminal();
  w.driver.resize = async () => {
    assert.ok(w.runner.attached.presence(b), 'probe: attached while the attach is under way');
    throw new Error('resize refused (scripted)');
  };
  await assert.rejects(w.runner.run(b, 'alice', w.env('demo'), w.say), /resize refused/);
  assert.equal(w.runner.attached.presence(b), undefined);
  assert.deepEqual(w.runner.attached.containers(), []);
});

test("a warm claim resizes once when the trainee's size differs from the pool's (the SIGWINCH), and nudges when it is the same", async (t) => {
  const w = await world(t, { environments: { demo: 'image: islet/demo:latest\nuser: student\nwarm_pool: 2\n' } });
  await w.store.createAccount({ name: 'bob', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  const { runner } = await pooled(t, w);
  const resizes: TtySize[] = [];
  const resize = w.driver.resize.bind(w.driver);
  w.driver.resize = async (id, s) => {
    resizes.push(s);
    return resize(id, s);
  };
  const login = async (account: string, size: TtySize) => {
    resizes.length = 0;
    const term = new MemoryTerminal();
    term.resize(size);
    const done = runner.run(term, account, w.env('demo'), w.say);
    await seen(term, /\$ $/);
    term.close();
    await done;
    assert.equal(w.logged('environment_started').at(-1)?.path, 'warm', 'probe: the login was a warm claim');
    return [...resizes];
  };
  assert.deepEqual(await login('alice', { cols: 120, rows: 40 }), [{ cols: 120, rows: 40 }]);
  // Control: at the pool's own size the resize sends no SIGWINCH, so the nudge (rows - 1, then back) follows.
  assert.deepEqual(await login('bob', { ...POOL_TTY }), [{ ...POOL_TTY }, { cols: POOL_TTY.cols, rows: POOL_TTY.rows - 1 }, { ...POOL_TTY }]);
});
