import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SleepBytes } from './sleep-bytes.ts';

test('keeps chunks in order up to the limit, and refuses the one that would pass it without keeping it', () => {
  const s = new SleepBytes(8);
  assert.equal(s.empty, true);
  assert.equal(s.keep(Buffer.from('abc')), true);
  assert.equal(s.keep(Buffer.from('defgh')), true); // exactly the limit
  assert.equal(s.keep(Buffer.from('i')), false);
  assert.equal(s.take()?.toString(), 'abcdefgh');
  assert.equal(s.empty, true);
  assert.equal(s.take(), undefined);
});

test("a shell typed into byte by byte: every byte kept, in order, past the first buffer's size", () => {
  const s = new SleepBytes(4096);
  const typed = 'x'.repeat(50) + 'é'.repeat(100) + '\r\n$ ';
  for (const byte of Buffer.from(typed)) assert.equal(s.keep(Buffer.from([byte])), true);
  assert.equal(s.take()?.toString(), typed);
});

test('refuses output that may set the title: ESC ] and C1 OSC, also split over two chunks', () => {
  const plain = new SleepBytes(64);
  assert.equal(plain.keep(Buffer.from('$ ')), true, 'the probe: ordinary output is kept');
  for (const osc of [Buffer.from('\x1b]0;t\x07'), Buffer.from([0xc2, 0x9d, 0x30, 0x3b, 0x74, 0x07])]) {
    const s = new SleepBytes(64);
    assert.equal(s.keep(osc), false);
    assert.equal(s.empty, true, 'a refused chunk is not kept');
  }
  const split = new SleepBytes(64);
  assert.equal(split.keep(Buffer.from('x\x1b')), true);
  assert.equal(split.keep(Buffer.from(']2;title\x07')), false);
  assert.equal(split.take()?.toString(), 'x\x1b', 'what was kept before stays, for the woken model to parse first');
  const splitC1 = new SleepBytes(64);
  assert.equal(splitC1.keep(Buffer.from([0x78, 0xc2])), true);
  assert.equal(splitC1.keep(Buffer.from([0x9d, 0x30])), false);
});

test("a kept buffer is its own copy, not a view of the caller's", () => {
  const s = new SleepBytes(16);
  const chunk = Buffer.from('abc');
  s.keep(chunk);
  chunk.fill(0x7a);
  assert.equal(s.take()?.toString(), 'abc');
});
