import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputLog } from './output-log.ts';

test('output is numbered by byte offset and kept until acknowledged', () => {
  const l = new OutputLog();
  l.append(Buffer.from('hello '));
  l.append(Buffer.from('world'));
  assert.equal(l.end, 11);
  assert.deepEqual(
    l.since(3)!.map((c) => [c.seq, c.data.toString()]),
    [
      [3, 'lo '],
      [6, 'world'],
    ],
  );
  assert.equal(l.ack(6), true);
  assert.equal(l.unacked, 5);
  // Behind the acknowledged offset or beyond the end: not kept, not acknowledged.
  assert.equal(l.since(2), undefined);
  assert.equal(l.since(12), undefined);
  assert.equal(l.ack(4), false);
  assert.equal(l.ack(99), false);
  assert.deepEqual(l.since(11), []);
});
