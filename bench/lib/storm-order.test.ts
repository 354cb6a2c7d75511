import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stormOrder } from './storm-order.ts';

const names = (systems: string[], rounds: number) => stormOrder(systems, rounds).map((t) => `${t.name}${t.round}`);

test('the engine alone and ISLET alternate, each first in every other round, and the peer follows them all', () => {
  assert.deepEqual(names(['islet', 'peer'], 2), ['engine0', 'islet0', 'islet1', 'engine1', 'peer0', 'peer1']);
  assert.deepEqual(names(['peer', 'islet'], 3), ['engine0', 'islet0', 'islet1', 'engine1', 'engine2', 'islet2', 'peer0', 'peer1', 'peer2']);
});

test('nothing judged against the engine alone runs after a storm of the peer', () => {
  const turns = stormOrder(['islet', 'peer'], 4);
  const firstPeer = turns.findIndex((t) => t.name === 'peer');
  assert.ok(firstPeer > 0, 'the probe finds the peer');
  assert.ok(turns.slice(firstPeer).every((t) => t.name === 'peer'));
});

test('every name gets one storm per round', () => {
  for (const systems of [['islet'], ['peer'], ['islet', 'peer']]) {
    const turns = stormOrder(systems, 3);
    for (const name of ['engine', ...systems]) {
      assert.deepEqual(
        turns.filter((t) => t.name === name).map((t) => t.round),
        [0, 1, 2],
        `${systems} ${name}`,
      );
    }
    assert.equal(turns.length, 3 * (systems.length + 1));
  }
});
