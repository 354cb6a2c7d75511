import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { MenuRoster } from '../sessions/menu-roster.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { rosterSnapshot } from './roster-state.ts';

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
