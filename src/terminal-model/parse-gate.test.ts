import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseGate } from './parse-gate.ts';
import { ScreenModel } from './screen-model.ts';

test('one turn at a time, in arrival order, an urgent one first; a late second release is ignored', () => {
  const gate = new ParseGate();
  const ran: string[] = [];
  const releases = new Map<string, () => void>();
  for (const name of ['a', 'b', 'c'])
    gate.request((release) => {
      ran.push(name);
      releases.set(name, release);
    });
  gate.request((release) => {
    ran.push('urgent');
    releases.set('urgent', release);
  }, true);
  assert.deepEqual(ran, ['a'], 'only the first runs until it releases');
  releases.get('a')!();
  releases.get('a')!(); // twice: must not free a second slot
  assert.deepEqual(ran, ['a', 'urgent']);
  releases.get('urgent')!();
  releases.get('b')!();
  assert.deepEqual(ran, ['a', 'urgent', 'b', 'c']);
  releases.get('c')!();
  assert.equal(gate.waiting, 0);
});

test('a slot never released is taken back after a second', async () => {
  const gate = new ParseGate();
  const ran: string[] = [];
  gate.request(() => {
    ran.push('stuck');
  });
  gate.request((release) => {
    ran.push('next');
    release();
  });
  assert.deepEqual(ran, ['stuck']);
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(ran, ['stuck', 'next']);
});

test('models sharing a gate never have two batches in xterm at once, and each still reaches its full screen', async () => {
  const gate = new ParseGate();
  let inFlight = 0;
  let most = 0;
  const counting = {
    request: (turn: (r: () => void) => void, urgent?: boolean) =>
      gate.request((release) => {
        inFlight++;
        most = Math.max(most, inFlight);
        turn(() => {
          inFlight--;
          release();
        });
      }, urgent),
  } as unknown as ParseGate;
  const models = Array.from({ length: 5 }, () => new ScreenModel({ size: { cols: 80, rows: 24 }, gate: counting, maxQueuedBytes: 1 << 20 }));
  for (let i = 0; i < 20; i++) for (const [k, m] of models.entries()) m.feed(Buffer.from(`model ${k} line ${i}\r\n`.repeat(200)));
  const snaps = await Promise.all(models.map((m) => m.snapshot()));
  assert.equal(most, 1);
  for (const [k, s] of snaps.entries()) assert.match(s!, new RegExp(`model ${k} line 19`));
  for (const m of models) m.dispose();
});
