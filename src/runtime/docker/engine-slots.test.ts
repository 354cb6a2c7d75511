// EngineSlots' mutation queue: a finish (a start, a pool claim's rename) goes before queued creates.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSlots } from './engine-slots.ts';

const slots = (mutations: number) =>
  new EngineSlots({ mutations, removals: 1, pulls: 1, perContainer: 2, containerCalls: 8, slotWaitMs: 5_000, callMs: 5_000 });

describe('EngineSlots.mutate', () => {
  test('a finish queued behind creates is served first; the rest stay in order', async () => {
    const s = slots(1);
    const order: string[] = [];
    let open!: () => void;
    const first = s.mutate('create', () => new Promise<void>((r) => (open = r)));
    const queued = [
      s.mutate('create', async () => void order.push('create-2')),
      s.mutate('create', async () => void order.push('create-3')),
      s.mutate('start', async () => void order.push('start-1'), 'finish'),
      s.mutate('remove', async () => void order.push('remove'), 'removal'),
    ];
    await new Promise((r) => setImmediate(r));
    open();
    await first;
    await Promise.all(queued);
    assert.deepEqual(order, ['start-1', 'create-2', 'create-3', 'remove']);
  });

  test('without a finish the queue is FIFO (the probe above can tell the two apart)', async () => {
    const s = slots(1);
    const order: string[] = [];
    let open!: () => void;
    const first = s.mutate('create', () => new Promise<void>((r) => (open = r)));
    const queued = [s.mutate('create', async () => void order.push('create-2')), s.mutate('start', async () => void order.push('start-1'))];
    await new Promise((r) => setImmediate(r));
    open();
    await first;
    await Promise.all(queued);
    assert.deepEqual(order, ['create-2', 'start-1']);
  });

  test('a pull holds no mutation slot: a create runs beside it; a second pull waits for the first', async () => {
    const s = slots(1);
    const order: string[] = [];
    let open!: () => void;
    const pull = s.mutate('pull', () => new Promise<void>((r) => (open = r)), 'pull');
    const second = s.mutate('pull', async () => void order.push('pull-2'), 'pull');
    await s.mutate('create', async () => void order.push('create'));
    // Control: the pull slot is taken (the second pull has not run), so the create did not merely find it free.
    assert.deepEqual(order, ['create']);
    open();
    await Promise.all([pull, second]);
    assert.deepEqual(order, ['create', 'pull-2']);
  });
});
