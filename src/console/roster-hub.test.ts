import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { RosterHub } from './roster-hub.ts';
import type { RosterRow } from './roster-state.ts';

const DAY = 86_400_000;

async function world(opts: { local?: boolean; tickMs?: number; sampler?: { minCycleMs?: number; perSecond?: number } } = {}) {
  const store = new MemoryStore();
  const now = Date.now();
  for (const name of ['ann', 'bob', 'cat']) await store.createAccount({ name, passwordHash: 'x', createdAt: new Date(now), expiresAt: new Date(now + DAY) });
  await store.putOwnership({ account: 'ann', environment: 'demo', containerId: 'c-ann', containerName: 'i.demo.ann', createdAt: new Date(now) });
  await store.markStarted('ann', 'demo', new Date(now));
  await store.putOwnership({ account: 'bob', environment: 'demo', containerId: 'c-bob', containerName: 'i.demo.bob', createdAt: new Date(now) });
  await store.markStarted('bob', 'demo', new Date(now));
  await store.markStopped('bob', 'demo', 'idle: nobody attached');
  const attached = new AttachRegistry();
  const doors = new Map<unknown, string>();
  const cpu = new Map([['c-ann', 1e9]]);
  const busy = new Set<string>();
  let looks = 0;
  const hub = new RosterHub({
    sources: {
      store,
      attached,
      doorOf: (t) => doors.get(t),
      title: (id) => (id === 'c-ann' ? '<img src=x onerror=alert(1)>' : undefined),
      capacity: () => ({ max: 10, waiting: 2 }),
    },
    driver: {
      ...(opts.local ? { usageLocal: true } : {}),
      cpuTime: async () => undefined,
      usage: async (id) => {
        const n = cpu.get(id);
        if (n === undefined) return undefined;
        // A busy container: 10 to 70 ms more CPU at every look (its figure changes from one look to the next).
        if (busy.has(id)) cpu.set(id, n + 1e7 * (1 + (++looks % 7)));
        return { cpuNs: n, memoryBytes: 5 << 20 };
      },
    },
    tickMs: opts.tickMs ?? 50,
    sampler: opts.sampler ?? { minCycleMs: 20, perSecond: 1000 },
  });
  return { store, attached, doors, busy, hub };
}

type Msg = { t: string; upsert: RosterRow[]; remove: string[]; capacity: { running: number; max: number; waiting: number } };

function collect(hub: RosterHub, alive = () => true) {
  const msgs: Msg[] = [];
  let ended = false;
  const off = hub.subscribe({ send: (t) => msgs.push(JSON.parse(t)), buffered: () => 0, alive, end: () => (ended = true) });
  return { msgs, off, ended: () => ended };
}

const until = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  const where = new Error().stack?.split('\n')[2]?.trim();
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out ${where}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('the first push holds every row: containers, accounts without one, capacity, stop reason, title as given', async () => {
  const w = await world();
  const c = collect(w.hub);
  await until(() => c.msgs.length > 0);
  c.off();
  const m = c.msgs[0]!;
  const by = new Map(m.upsert.map((r) => [r.account, r]));
  assert.deepEqual([...by.keys()].sort(), ['ann', 'bob', 'cat']);
  assert.equal(by.get('ann')!.state, 'running');
  assert.equal(by.get('ann')!.title, '<img src=x onerror=alert(1)>');
  assert.equal(by.get('bob')!.state, 'stopped');
  assert.equal(by.get('bob')!.stopReason, 'idle: nobody attached');
  assert.equal(by.get('cat')!.state, 'none');
  assert.equal(by.get('cat')!.environment, null);
  assert.deepEqual(m.capacity, { running: 1, max: 10, waiting: 2 });
});

test('an attach, its door and typing reach the console as changed rows only; CPU appears once sampled twice', async (tc) => {
  const w = await world();
  tc.after(() => w.hub.close());
  const c = collect(w.hub);
  await until(() => c.msgs.length > 0);
  const t = new MemoryTerminal();
  w.doors.set(t, 'ssh');
  const before = c.msgs.length;
  w.attached.add('c-ann', t);
  await until(() => c.msgs.slice(before).some((m) => m.upsert.some((r) => r.account === 'ann' && r.doors[0] === 'ssh')));
  const m = c.msgs.slice(before).find((x) => x.upsert.some((r) => r.doors.length))!;
  assert.deepEqual(
    m.upsert.map((r) => r.account),
    ['ann'],
  );
  assert.ok(m.upsert[0]!.since! > 0);
  w.busy.add('c-ann');
  await until(() => c.msgs.some((x) => x.upsert.some((r) => r.account === 'ann' && (r.cpuPercent ?? 0) > 0)));
  const mem = c.msgs.flatMap((x) => x.upsert).find((r) => r.memoryBytes !== null);
  assert.equal(mem?.memoryBytes, 5 << 20);
  const typedBefore = c.msgs
    .flatMap((x) => x.upsert)
    .filter((r) => r.account === 'ann')
    .at(-1)!.lastInput!;
  await new Promise((r) => setTimeout(r, 5));
  t.type('ls\r');
  await until(() => c.msgs.flatMap((x) => x.upsert).some((r) => r.account === 'ann' && r.lastInput! > typedBefore));
  w.attached.remove('c-ann', t);
  await until(
    () =>
      c.msgs
        .flatMap((x) => x.upsert)
        .filter((r) => r.account === 'ann')
        .at(-1)!.doors.length === 0,
  );
  c.off();
});

test('a removed account goes away; the sampler runs only while a console is open; a dead session is ended', async () => {
  const w = await world();
  const c = collect(w.hub);
  await until(() => c.msgs.length > 0);
  await until(() => w.hub.sampler.calls > 0);
  await w.store.deleteAccount('cat');
  await until(() => c.msgs.some((m) => m.remove.includes('cat\u0000')));
  c.off();
  assert.equal(w.hub.consoles, 0);
  assert.equal(w.hub.sampler.running, false);
  let alive = true;
  const d = collect(w.hub, () => alive);
  await until(() => d.msgs.length > 0);
  alive = false;
  await until(() => d.ended());
  d.off();
  w.hub.close();
});

test('a local driver (cgroup files): every sampler pass is pushed at once, with the figures just read, with no timer of its own', async (tc) => {
  // The hub's own timer would tick once a minute here: the pushes seen come from the sampler's passes (every 100 ms).
  const w = await world({ local: true, tickMs: 60_000, sampler: { minCycleMs: 100 } });
  tc.after(() => w.hub.close());
  w.busy.add('c-ann');
  const seen: { pushed: number | null; sampled: number | undefined }[] = [];
  const off = w.hub.subscribe({
    send: (text) => {
      const ann = (JSON.parse(text) as Msg).upsert.find((r) => r.account === 'ann');
      const s = w.hub.sampler.get('c-ann')?.cpuPercent;
      if (ann) seen.push({ pushed: ann.cpuPercent, sampled: s === undefined ? undefined : Math.round(s * 10) / 10 });
    },
    buffered: () => 0,
    alive: () => true,
    end: () => undefined,
  });
  tc.after(off);
  await until(() => seen.filter((x) => x.pushed !== null).length >= 3, 20_000);
  assert.ok(w.hub.sampler.cycles >= 3);
  for (const x of seen.filter((y) => y.pushed !== null)) assert.equal(x.pushed, x.sampled, 'the push carries the pass just made');
});

test('a local driver: two passes a tick, the store read about once a tick, and a store change still reaches the console', async (tc) => {
  const w = await world({ local: true, tickMs: 1000, sampler: {} });
  tc.after(() => w.hub.close());
  let reads = 0;
  const list = w.store.listAccounts.bind(w.store);
  w.store.listAccounts = () => {
    reads++;
    return list();
  };
  const c = collect(w.hub);
  tc.after(c.off);
  await until(() => w.hub.ticks >= 7, 30_000);
  // Passes come every half tick; the store's part is reused for 3/4 of a tick (lenient: a late pass reads again).
  assert.ok(reads >= 2 && reads <= w.hub.ticks - 2, `${reads} store reads in ${w.hub.ticks} ticks`);
  await w.store.deleteAccount('cat');
  await until(() => c.msgs.some((m) => m.remove.includes('cat\u0000')), 10_000);
});
