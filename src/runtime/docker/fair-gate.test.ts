import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairGate, GateFull } from './fair-gate.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a flooding owner waits in its own queue: another owner's call goes out next", async () => {
  const gate = new FairGate({ perOwner: 2, total: 3, maxQueued: 1000 });
  const order: string[] = [];
  const work = (name: string, ms: number) => async () => {
    order.push(`${name}+`);
    await sleep(ms);
    order.push(`${name}-`);
  };
  const flood = Array.from({ length: 50 }, (_, i) => gate.run('alice', work(`a${i}`, 20), 10_000));
  await sleep(5);
  assert.equal(gate.active, 2, 'alice gets at most her share');
  await gate.run('bob', work('b', 1), 10_000);
  const third = order.indexOf('a2+');
  assert.ok(third === -1 || order.indexOf('b+') < third, `bob went out before alice's third call: ${order.slice(0, 8).join(' ')}`);
  // Control: when alice's calls fill every slot, bob waits for one, then goes before alice's queue.
  const full = new FairGate({ perOwner: 2, total: 2, maxQueued: 1000 });
  const order2: string[] = [];
  const work2 = (name: string, ms: number) => async () => {
    order2.push(`${name}+`);
    await sleep(ms);
  };
  const flood2 = Array.from({ length: 20 }, (_, i) => full.run('alice', work2(`c${i}`, 10), 10_000));
  await full.run('bob', work2('d', 1), 10_000);
  assert.deepEqual(order2.slice(0, 3), ['c0+', 'c1+', 'd+']);
  await Promise.all([...flood, ...flood2]);
});

test('owners take turns when slots free up; queues are bounded; waiting is bounded', async () => {
  const gate = new FairGate({ perOwner: 1, total: 1, maxQueued: 3 });
  const order: string[] = [];
  const job = (name: string) => async () => {
    order.push(name);
    await sleep(5);
  };
  const all = ['a1', 'a2', 'a3', 'a4', 'b1', 'b2'].map((n) => gate.run(n[0]!, job(n), 10_000));
  await assert.rejects(gate.run('a', job('a5'), 10_000), (e: unknown) => e instanceof GateFull && e.reason === 'queue');
  await Promise.all(all);
  assert.deepEqual(order, ['a1', 'b1', 'a2', 'b2', 'a3', 'a4']);
  const slow = gate.run('x', () => sleep(200), 10_000);
  await assert.rejects(
    gate.run('y', async () => undefined, 50),
    (e: unknown) => e instanceof GateFull && e.reason === 'timeout',
  );
  await slow;
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);
});
