import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../../test/helpers/until.ts';
import { COALESCE_MS, CastWriter, TRUNCATED_MARK } from './cast-writer.ts';

const meta = { account: 'alice', door: 'ssh', login: 'alice+web', pid: 1, run: 'r', input: false };
const header = { cols: 100, rows: 30, term: 'xterm-256color', title: 'alice+web (ssh)', islet: meta };

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-cast-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const lines = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

test(
  'a v3 file: header with version, term and timestamp; events with intervals since the previous event; exit last',
  withDir(async (dir) => {
    let now = 1000;
    const path = join(dir, 'a', 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0, clock: () => now, startedAt: Date.UTC(2026, 10, 30, 12) });
    now = 1250;
    w.output('hello ');
    now = 1250.4;
    w.output(Buffer.from('w\xc3'.split('').map((c) => c.charCodeAt(0)))); // "w" and the first byte of "é"
    now = 2000;
    w.output(Buffer.from([0xa9, 0x0a])); // the rest of "é", newline
    w.resize(120, 40);
    now = 3500;
    w.input(Buffer.from('ls\r'));
    w.marker('here');
    await w.exit(0);
    const [h, ...ev] = lines(path) as [Record<string, unknown>, ...unknown[][]];
    assert.deepEqual(h, {
      version: 3,
      term: { cols: 100, rows: 30, type: 'xterm-256color' },
      timestamp: Date.UTC(2026, 10, 30, 12) / 1000,
      title: 'alice+web (ssh)',
      islet: meta,
    });
    // "w" came 0.4 ms after "hello ": within COALESCE_MS, one event at the first chunk's time.
    assert.deepEqual(ev, [
      [0.25, 'o', 'hello w'],
      [0.75, 'o', 'é\n'],
      [0, 'r', '120x40'],
      [1.5, 'i', 'ls\r'],
      [0, 'm', 'here'],
      [0, 'x', '0'],
    ]);
    // The intervals add up to the clock exactly (whole milliseconds since the start, no drift).
    assert.equal(
      ev.reduce((s, e) => s + Number(e[0]), 0),
      2.5,
    );
  }),
);

test(
  'past the size cap output and input stop, one truncated marker is written, the exit event still ends the file',
  withDir(async (dir) => {
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 2000 });
    for (let i = 0; i < 1000; i++) w.output('y\r\n');
    assert.equal(w.truncated, true);
    w.input(Buffer.from('q'));
    await w.exit(130);
    const ev = lines(path).slice(1) as unknown[][];
    const marks = ev.filter((e) => e[1] === 'm');
    assert.equal(marks.length, 1);
    assert.match(String(marks[0]![2]), new RegExp(`^${TRUNCATED_MARK}: size cap of 2000 bytes`));
    assert.deepEqual(ev.at(-1)?.slice(1), ['x', '130']);
    assert.ok(!ev.some((e) => e[1] === 'i'));
    const size = readFileSync(path).length;
    assert.ok(size <= 2000 + 200, `file of ${size} bytes`);
    // Control: without a cap the same output is all there.
    const p2 = join(dir, 'y.cast');
    const w2 = new CastWriter(p2, header, { maxBytes: 0 });
    for (let i = 0; i < 1000; i++) w2.output('y\r\n');
    await w2.exit(0);
    const all = (lines(p2).slice(1) as unknown[][]).filter((e) => e[1] === 'o').map((e) => e[2]);
    assert.equal(all.join(''), 'y\r\n'.repeat(1000));
  }),
);

test(
  'a flood the disk cannot keep up with is dropped, not queued without bound, and the gap is marked',
  withDir(async (dir) => {
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0, maxPendingBytes: 64 * 1024, flushMs: 10_000, batchBytes: 1 << 30 });
    const chunk = 'y\n'.repeat(4096);
    for (let i = 0; i < 200; i++) w.output(chunk); // 1.6 MiB queued synchronously: far above the bound
    assert.ok(w.bytes <= 64 * 1024, `accepted ${w.bytes} bytes`);
    w.output('after');
    await w.exit(0);
    const ev = lines(path).slice(1) as unknown[][];
    const gap = ev.find((e) => e[1] === 'm');
    assert.match(String(gap?.[2]), /^islet: not recorded: \d+ bytes/);
  }),
);

test('UTF-8 cut anywhere across writes is decoded whole (1- to 4-byte characters)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-cast-'));
  try {
    const text = 'a é € 😀 z';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const path = join(dir, `${cut}.cast`);
      const w = new CastWriter(path, header, { maxBytes: 0 });
      w.output(bytes.subarray(0, cut));
      w.output(bytes.subarray(cut));
      await w.exit(0);
      const out = (lines(path).slice(1) as unknown[][])
        .filter((e) => e[1] === 'o')
        .map((e) => e[2])
        .join('');
      assert.equal(out, text, `cut at ${cut}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'chunks within COALESCE_MS of an event join it at its time; later ones, another direction or a resize start a new event',
  withDir(async (dir) => {
    let now = 0;
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0, clock: () => now });
    now = 100;
    w.output('a');
    now = 100 + COALESCE_MS - 1;
    w.output(Buffer.from('b'));
    w.output('c'); // same time: joins too
    now = 100 + COALESCE_MS; // as far from the event's first chunk as COALESCE_MS: a new event
    w.output('d');
    now = 110;
    w.input(Buffer.from('e'));
    w.output('f');
    w.resize(90, 20);
    w.output('g');
    now = 400;
    w.output('h');
    await w.exit(0);
    assert.deepEqual(lines(path).slice(1), [
      [0.1, 'o', 'abc'],
      [0.005, 'o', 'd'],
      [0.005, 'i', 'e'],
      [0, 'o', 'f'],
      [0, 'r', '90x20'],
      [0, 'o', 'g'],
      [0.29, 'o', 'h'],
      [0, 'x', '0'],
    ]);
  }),
);

test(
  'a chunk recorded right before exit is in the file, in order, before the exit event',
  withDir(async (dir) => {
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0 });
    for (let i = 0; i < 50; i++) w.output(`line ${i}\r\n`);
    w.output(Buffer.from('last words'));
    await w.exit(3);
    const ev = lines(path).slice(1) as unknown[][];
    const out = ev
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    assert.ok(out.endsWith('line 49\r\nlast words'), out.slice(-40));
    assert.deepEqual(ev.at(-1)?.slice(1), ['x', '3']);
  }),
);

test(
  'the cap is exact on the written lines: escapes that the per-chunk estimate misses still stop at the cap, one marker',
  withDir(async (dir) => {
    const path = join(dir, 'x.cast');
    // ESC is 1 byte in the terminal and 6 in JSON (\u001b): the raw size stays under the cap, the lines do not.
    const w = new CastWriter(path, header, { maxBytes: 3000 });
    let now = 0;
    const w2 = new CastWriter(join(dir, 'y.cast'), header, { maxBytes: 3000, clock: () => now });
    for (let i = 0; i < 40; i++) {
      now += 10; // one event per chunk
      w2.output('\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b');
    }
    assert.equal(w2.truncated, false, 'the per-chunk estimate (raw sizes) did not see the cap');
    await w2.exit(0);
    const ev = lines(join(dir, 'y.cast')).slice(1) as unknown[][];
    assert.equal(ev.filter((e) => e[1] === 'm' && String(e[2]).startsWith(TRUNCATED_MARK)).length, 1);
    assert.deepEqual(ev.at(-1)?.slice(1), ['x', '0']);
    assert.ok(ev.filter((e) => e[1] === 'o').length < 40, 'output past the cap was left out');
    const size = readFileSync(join(dir, 'y.cast')).length;
    assert.ok(size <= 3000 + 200, `file of ${size} bytes`);
    assert.equal(w2.truncated, true);
    // Control: the same output under a cap it fits in is all there, without a marker.
    for (let i = 0; i < 40; i++) w.output('\x1b');
    await w.exit(0);
    assert.ok(!readFileSync(path, 'utf8').includes(TRUNCATED_MARK));
  }),
);

test(
  'the exit event is written even while the disk is behind and the held data is at its bound',
  withDir(async (dir) => {
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0, maxPendingBytes: 4096, flushMs: 10_000, batchBytes: 1 << 30 });
    for (let i = 0; i < 100; i++) w.output('z'.repeat(100)); // far past the bound
    await w.exit(7);
    const ev = lines(path).slice(1) as unknown[][];
    assert.match(String(ev.at(-2)?.[2]), /^islet: not recorded: \d+ bytes/, 'output was dropped: the bound was reached');
    assert.deepEqual(ev.at(-1)?.slice(1), ['x', '7']);
  }),
);

test(
  "the writer copies a chunk's bytes: the caller may reuse its Buffer at once; a character cut across a flush stays whole",
  withDir(async (dir) => {
    let now = 0;
    const path = join(dir, 'x.cast');
    const w = new CastWriter(path, header, { maxBytes: 0, clock: () => now, flushMs: 5 });
    const b = Buffer.from('abc');
    w.output(b);
    b.fill(0x5a); // "ZZZ": what a caller reusing its buffer would leave there
    now = 100;
    const euro = Buffer.from('€');
    w.output(euro.subarray(0, 1));
    // Flushed (and the arena reused) with the character's first byte waiting for the rest.
    await until('the first flush', () => {
      try {
        return readFileSync(path, 'utf8').includes('"abc"');
      } catch {
        return false; // not made yet
      }
    });
    now = 200;
    w.output(Buffer.concat([euro.subarray(1), Buffer.from(' ok')]));
    now = 300;
    w.output('x'.repeat(10_000)); // past the arena's first size: it grows, the held bytes kept
    await w.exit(0);
    const texts = (lines(path).slice(1) as unknown[][]).map((e) => String(e[2]));
    assert.deepEqual(
      texts.map((t) => (t.length > 20 ? `${t[0]} x${t.length}` : t)),
      ['abc', '€ ok', 'x x10000', '0'],
    );
  }),
);
