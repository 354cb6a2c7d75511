import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEEP_WHOLE, OutputLog } from './output-log.ts';

test('output is numbered by byte offset and kept until acknowledged', () => {
  const l = new OutputLog();
  l.keepWhole(false); // past the session's start (see the next test)
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

test('a session keeps its first output whole, acknowledged or not, until told or outgrown (a reload replays it)', () => {
  const l = new OutputLog();
  l.append(Buffer.from('Welcome '));
  l.append(Buffer.from('[new/existing]: '));
  assert.equal(l.ack(l.end), true);
  assert.equal(l.unacked, 0);
  assert.equal(
    l
      .since(0)!
      .map((c) => c.data.toString())
      .join(''),
    'Welcome [new/existing]: ',
  );
  // Told to stop (a shell reached directly): the acknowledged output goes, as in the test above.
  l.keepWhole(false);
  assert.equal(l.since(0), undefined);
  assert.deepEqual(l.since(l.end), []);
  // Outgrown: past KEEP_WHOLE bytes the log keeps only what is unacknowledged.
  const big = new OutputLog();
  big.append(Buffer.alloc(KEEP_WHOLE - 10, 'x'));
  big.ack(big.end);
  assert.equal(big.since(0)!.length, 1);
  big.append(Buffer.alloc(20, 'y'));
  assert.equal(big.whole, false);
  assert.equal(big.since(0), undefined);
  assert.deepEqual(
    big.since(KEEP_WHOLE - 10)!.map((c) => c.data.toString()),
    ['y'.repeat(20)],
  );
});

test('since() finds its place among many small chunks (binary search), cutting the first one', () => {
  const l = new OutputLog();
  for (let i = 0; i < 1000; i++) l.append(Buffer.from(String(i % 10).repeat(3)));
  for (const seq of [0, 1, 2, 3, 1500, 2998, 2999, 3000]) {
    const got = l.since(seq)!;
    assert.equal(
      got.map((c) => c.data.toString()).join(''),
      Array.from({ length: 1000 }, (_, i) => String(i % 10).repeat(3))
        .join('')
        .slice(seq),
      String(seq),
    );
    if (got.length) assert.equal(got[0]!.seq, seq);
  }
});
