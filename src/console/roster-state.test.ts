import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { MenuRoster } from '../sessions/menu-roster.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { RosterDiff, rosterSnapshot, type RosterRow } from './roster-state.ts';

test('a trainee in the menu has a row (state menu, door, since, idle since the last key) until they leave; at the banner with no account', async () => {
  const store = new MemoryStore();
  const now = Date.now();
  await store.createAccount({ name: 'ann', passwordHash: 'x', createdAt: new Date(now), expiresAt: new Date(now + 86_400_000) });
  const attached = new AttachRegistry();
  const menus = new MenuRoster();
  const doors = new Map<unknown, string>();
  const snapshot = () =>
    rosterSnapshot({
      store,
      attached,
      doorOf: (t) => doors.get(t),
      title: () => undefined,
      usage: () => undefined,
      capacity: () => ({ max: 0, waiting: 0 }),
      menus: () => menus.select(undefined, (t) => attached.presence(t) !== undefined),
    });
  const banner = new MemoryTerminal();
  doors.set(banner, 'web');
  let who: string | undefined;
  const e = menus.add(banner, () => who);
  let rows = (await snapshot()).rows.filter((r) => r.state === 'menu');
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0]!.account, rows[0]!.doors, rows[0]!.expiresAt, rows[0]!.environment], ['', ['web'], null, null]);
  assert.equal(rows[0]!.since, e.since);
  const before = rows[0]!.lastInput!;
  await new Promise((r) => setTimeout(r, 5));
  banner.type('x');
  who = 'ann';
  rows = (await snapshot()).rows.filter((r) => r.state === 'menu');
  assert.ok(rows[0]!.lastInput! > before, 'a key moves the idle time');
  assert.equal(rows[0]!.account, 'ann');
  assert.equal(rows[0]!.expiresAt, now + 86_400_000);
  // In a shell (attached): no menu row; the account's own row stays.
  e.inShell = true;
  attached.add('c1', banner);
  assert.deepEqual(
    (await snapshot()).rows.map((r) => r.state),
    ['none'],
  );
  attached.remove('c1', banner);
  e.inShell = false;
  assert.equal((await snapshot()).rows.filter((r) => r.state === 'menu').length, 1, 'back in the menu');
  menus.remove(e);
  assert.deepEqual(
    (await snapshot()).rows.map((r) => r.state),
    ['none'],
    'left',
  );
});

test('RosterDiff: a change in any one field of a row resends that row only; a gone key is removed; nothing changed, nothing sent', () => {
  const row: RosterRow = {
    key: 'ann\u0000demo',
    account: 'ann',
    environment: 'demo',
    state: 'running',
    doors: ['ssh'],
    since: 1,
    lastInput: 2,
    cpuPercent: 0.5,
    memoryBytes: 1024,
    expiresAt: 3,
    startedAt: 4,
    stopReason: null,
    title: 't',
  };
  const other: RosterRow = { ...row, key: 'bob\u0000demo', account: 'bob' };
  const d = new RosterDiff();
  assert.equal(d.diff([row, other]).upsert.length, 2, 'first call: everything');
  assert.deepEqual(d.diff([{ ...row, doors: ['ssh'] }, { ...other }]), { upsert: [], remove: [] }, 'equal copies: nothing');
  const changed: Record<string, unknown> = {
    account: 'ann2',
    environment: null,
    state: 'stopped',
    since: 9,
    lastInput: 9,
    cpuPercent: 0.6,
    memoryBytes: 2048,
    expiresAt: 9,
    startedAt: 9,
    stopReason: 'idle',
    title: 'u',
  };
  // Every field but the key is covered (a field added to RosterRow without a case here fails this).
  assert.deepEqual(
    Object.keys(changed).sort(),
    Object.keys(row)
      .filter((k) => k !== 'key' && k !== 'doors')
      .sort(),
  );
  let last = row;
  for (const [k, v] of Object.entries(changed)) {
    last = { ...last, [k]: v };
    const { upsert, remove } = d.diff([last, other]);
    assert.deepEqual([upsert.map((r) => r.key), remove], [[row.key], []], `a change of ${k} resends the row`);
  }
  for (const doors of [['ssh', 'web'], ['web', 'ssh'], []]) {
    last = { ...last, doors };
    assert.deepEqual(d.diff([last, other]).upsert.length, 1, `doors ${doors.join(',')}`);
  }
  assert.deepEqual(d.diff([other]), { upsert: [], remove: [row.key] });
});

test('container states: created (made, never run: starting), running, stopped (ran, then stopped)', async () => {
  const store = new MemoryStore();
  const now = Date.now();
  const snapshot = () =>
    rosterSnapshot({
      store,
      attached: new AttachRegistry(),
      doorOf: () => undefined,
      title: () => undefined,
      usage: () => undefined,
      capacity: () => ({ max: 0, waiting: 0 }),
    });
  const stateOf = async (account: string) => (await snapshot()).rows.find((r) => r.account === account)?.state;
  for (const name of ['ann', 'bob', 'cy']) {
    await store.createAccount({ name, passwordHash: 'x', createdAt: new Date(now), expiresAt: new Date(now + 86_400_000) });
    await store.putOwnership({ account: name, environment: 'demo', containerId: `id-${name}`, containerName: `i.demo.${name}`, createdAt: new Date(now) });
  }
  assert.deepEqual([await stateOf('ann'), await stateOf('bob'), await stateOf('cy')], ['created', 'created', 'created'], 'made, not started');
  await store.markStarted('bob', 'demo', new Date(now));
  await store.markStarted('cy', 'demo', new Date(now));
  await store.markStopped('cy', 'demo', 'idle');
  assert.deepEqual([await stateOf('ann'), await stateOf('bob'), await stateOf('cy')], ['created', 'running', 'stopped']);
  assert.deepEqual((await snapshot()).running, ['id-bob'], 'only the running one is sampled');
});
