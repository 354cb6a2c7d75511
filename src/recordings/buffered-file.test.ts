import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedFile } from './buffered-file.ts';
import { CastWriter } from './cast-writer.ts';

const meta = { account: 'alice', door: 'ssh', login: 'alice', pid: 1, run: 'r', input: false };
const header = { cols: 80, rows: 24, term: 'xterm', title: 't', islet: meta };
const read = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

/** Polls the real file (real I/O; the timers are mocked) until `pred` holds or `ms` of real time passed. */
async function watch(path: string, pred: (text: string) => boolean, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = read(path);
    if (pred(text) || Date.now() > end) return text;
    await new Promise((r) => setImmediate(r));
  }
}

// This file runs in its own process (node --test): the shared flush timer of buffered-file.ts starts clean here.
test('a recording being written is on disk within the flush interval (1 s by default), not only at exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-buffered-'));
  t.mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const a = join(dir, 'a.cast');
    const b = join(dir, 'b.cast');
    const wa = new CastWriter(a, header, { maxBytes: 0 });
    const wb = new CastWriter(b, header, { maxBytes: 0 });
    wa.output(Buffer.from('first '));
    wb.output('other session');
    t.mock.timers.tick(999);
    // Control: before the interval is over nothing was handed to the disk (so the check below can fail).
    const early = await watch(a, (x) => x.includes('first'), 300);
    assert.ok(!early.includes('first'), 'held until the flush');
    t.mock.timers.tick(1);
    // One timer for both files: each is written at the same tick.
    const ta = await watch(a, (x) => x.includes('"first "'), 10_000);
    const tb = await watch(b, (x) => x.includes('"other session"'), 10_000);
    assert.match(ta, /^\{"version":3.*\n\[\d[\d.]*, "o", "first "\]\n$/s);
    assert.match(tb, /"other session"\]\n$/);
    assert.ok(!ta.includes('"x"'), 'the session is still live');
    // Later output of the same session: again on disk one interval after it came.
    wa.output(Buffer.from('second'));
    t.mock.timers.tick(1000);
    assert.match(await watch(a, (x) => x.includes('second'), 10_000), /"second"\]\n$/);
    const done = Promise.all([wa.exit(0), wb.exit(0)]);
    await done;
    assert.match(read(a), /"x", "0"\]\n$/);
  } finally {
    t.mock.timers.reset();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that cannot be opened reports one error, drops what it is given and still closes; a good one beside it is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-buffered-'));
  try {
    writeFileSync(join(dir, 'plain-file'), 'x');
    const errors: unknown[] = [];
    // Its folder would have to be made inside a plain file: ENOTDIR.
    const bad = new BufferedFile(join(dir, 'plain-file', 'sub', 'x.cast'), { onError: (e) => errors.push(e) });
    const good = new BufferedFile(join(dir, 'ok', 'y.cast'));
    bad.append('one');
    good.append('fine');
    await bad.flush();
    bad.append('two');
    await bad.close();
    await good.close();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOTDIR');
    assert.ok(bad.dropped > 0, 'what came after the failure was dropped');
    assert.equal(readFileSync(join(dir, 'ok', 'y.cast'), 'utf8'), 'fine\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
