import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageSampler } from './usage-sampler.ts';

function fakeDriver(cpu: Map<string, number>) {
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    get maxInFlight() {
      return maxInFlight;
    },
    async cpuTime() {
      return undefined;
    },
    async usage(id: string) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      const n = cpu.get(id);
      return n === undefined ? undefined : { cpuNs: n, memoryBytes: 1024 };
    },
  };
}

test('CPU is a percentage of one core between two samples; memory as the driver tells', async () => {
  const cpu = new Map([['a', 1e9]]);
  let now = 10_000;
  const s = new UsageSampler({ driver: fakeDriver(cpu), targets: async () => ['a'], now: () => now, perSecond: 1e6 });
  await s.cycle();
  assert.equal(s.get('a')?.cpuPercent, undefined);
  assert.equal(s.get('a')?.memoryBytes, 1024);
  now += 2000;
  cpu.set('a', 1e9 + 1.5e9); // 1.5 s of CPU in 2 s: 75 %
  await s.cycle();
  assert.equal(Math.round(s.get('a')!.cpuPercent!), 75);
});

test('windowMs: passes twice as often as the window give CPU over the last two passes (about the window), the first figure after two samples', async () => {
  const cpu = new Map([['a', 0]]);
  let now = 10_000;
  const s = new UsageSampler({ driver: fakeDriver(cpu), targets: async () => ['a'], now: () => now, perSecond: 1e6, minCycleMs: 500, windowMs: 1000 });
  const pass = async (busyMs: number) => {
    now += 500;
    cpu.set('a', cpu.get('a')! + busyMs * 1e6);
    await s.cycle();
    return s.get('a')?.cpuPercent;
  };
  await s.cycle();
  assert.equal(s.get('a')?.cpuPercent, undefined, 'one sample: no figure');
  assert.equal(await pass(500), 100, 'two samples: over the half second between them');
  assert.equal(await pass(100), 60, '500 + 100 ms of CPU over the last second');
  assert.equal(await pass(0), 10, '100 + 0 ms over the last second (the first half second has left the window)');
  assert.equal(await pass(0), 0);
  cpu.set('a', 5e6); // the container restarted: its counter went back
  now += 500;
  await s.cycle();
  assert.equal(s.get('a')?.cpuPercent, undefined, 'a counter that went back gives no figure');
  assert.equal(await pass(250), 50, 'then figures again from the new counter');
});

test('at most `concurrency` calls in flight, and a cycle over N takes at least N / perSecond', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
  const d = fakeDriver(new Map(ids.map((id) => [id, 1e9])));
  const s = new UsageSampler({ driver: d, targets: async () => ids, concurrency: 4, perSecond: 200 });
  const t0 = performance.now();
  await s.cycle();
  const ms = performance.now() - t0;
  assert.equal(s.calls >= 40, true);
  assert.ok(d.maxInFlight <= 4, `in flight ${d.maxInFlight}`);
  // 40 calls at 200/s: at least 200 ms (less a timer's slack).
  assert.ok(ms >= 180, `cycle took ${ms} ms`);
});

test('containers that left the targets are forgotten; a gone container has no figures', async () => {
  const cpu = new Map([
    ['a', 1e9],
    ['b', 1e9],
  ]);
  let targets = ['a', 'b'];
  const s = new UsageSampler({ driver: fakeDriver(cpu), targets: async () => targets, perSecond: 1e6 });
  await s.cycle();
  assert.ok(s.get('a') && s.get('b'));
  targets = ['a'];
  cpu.delete('a');
  await s.cycle();
  assert.equal(s.get('a'), undefined);
  assert.equal(s.get('b'), undefined);
});

test('the background loop runs only between start and stop', async () => {
  const cpu = new Map([['a', 1e9]]);
  const s = new UsageSampler({ driver: fakeDriver(cpu), targets: async () => ['a'], minCycleMs: 10, perSecond: 1000 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.calls, 0);
  s.start();
  await new Promise((r) => setTimeout(r, 100));
  s.stop();
  const n = s.calls;
  assert.ok(n >= 2, `calls ${n}`);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(s.calls <= n + 1, `calls after stop ${s.calls} vs ${n}`);
});

test('by default, calls the engine holds for its 1 s stats tick still reach perSecond (20 in flight, not 4)', async () => {
  // Docker answers a stats call only at its collector's next tick while others are pending: ~1 s each.
  const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
  let inFlight = 0;
  let maxInFlight = 0;
  const driver = {
    cpuTime: async () => undefined,
    usage: async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 1000));
      inFlight--;
      return { cpuNs: 1e9, memoryBytes: 1 };
    },
  };
  const s = new UsageSampler({ driver, targets: async () => ids });
  const t0 = performance.now();
  await s.cycle();
  const ms = performance.now() - t0;
  assert.equal(maxInFlight, 20);
  // 40 calls at 20 in flight: about 2 s; with 4 in flight they took 10 s. Generous for a loaded machine.
  assert.ok(ms < 7000, `cycle took ${ms} ms`);
});
