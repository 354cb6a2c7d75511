import { test } from 'node:test';
import assert from 'node:assert/strict';
import headless from '@xterm/headless';
import { ParseGate } from './parse-gate.ts';
import { ScreenModel } from './screen-model.ts';
import { ScreenModels, PAINT_PREFIX } from './screen-models.ts';

const { Terminal } = headless;

/** Paints a snapshot on a blank terminal (as a reattaching client is) and reads back what it shows. */
async function paint(snapshot: string, cols = 80, rows = 24) {
  const t = new Terminal({ cols, rows, scrollback: 100, allowProposedApi: true });
  await new Promise<void>((r) => t.write(snapshot, r));
  const b = t.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) lines.push(b.getLine(b.viewportY + y)?.translateToString(true) ?? '');
  const out = { type: b.type, cursorX: b.cursorX, cursorY: b.cursorY, lines };
  t.dispose();
  return out;
}

test('the alternate screen of a full-screen program comes back with its cursor in place', async () => {
  const m = new ScreenModel({ size: { cols: 80, rows: 24 } });
  m.feed(Buffer.from('$ top\r\n'));
  // What top/vim do: switch to the alternate screen, clear it, draw by cursor address, park the cursor.
  m.feed(Buffer.from('\x1b[?1049h\x1b[H\x1b[2JMem: 1234K used\x1b[3;1H  PID USER     STAT\x1b[4;1H    1 root     S'));
  m.feed(Buffer.from('\x1b[10;42H'));
  const s = await m.snapshot();
  assert.ok(s);
  const seen = await paint(s);
  assert.equal(seen.type, 'alternate');
  assert.equal(seen.lines[0], 'Mem: 1234K used');
  assert.equal(seen.lines[2], '  PID USER     STAT');
  assert.deepEqual([seen.cursorX, seen.cursorY], [41, 9]);
  m.dispose();
});

test('a shell screen comes back with the cursor after the prompt, and leaving the alternate screen restores the normal one', async () => {
  const m = new ScreenModel({ size: { cols: 80, rows: 24 } });
  m.feed(Buffer.from('line one\r\nline two\r\n~ $ \x1b[?1049hvim text\x1b[?1049l'));
  const seen = await paint((await m.snapshot())!);
  assert.equal(seen.type, 'normal');
  assert.deepEqual(seen.lines.slice(0, 3), ['line one', 'line two', '~ $ ']);
  assert.deepEqual([seen.cursorX, seen.cursorY], [4, 2]);
  m.dispose();
});

test('a binary dumped into the terminal is parsed without a word to the console (control: the same bytes on a default xterm do log)', async () => {
  const bin = Buffer.alloc(60_000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
  const calls: unknown[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log, info: console.info };
  console.error = console.warn = console.log = console.info = (...a: unknown[]) => void calls.push(a);
  try {
    const control = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
    await new Promise<void>((r) => control.write(bin, r));
    const controlCalls = calls.length;
    const m = new ScreenModel({ size: { cols: 80, rows: 24 }, maxQueuedBytes: 8 * 1024 * 1024 });
    m.feed(bin);
    m.feed(Buffer.from('\x1b[2J\x1b[Hafter'));
    const s = await m.snapshot();
    Object.assign(console, saved);
    assert.ok(controlCalls > 0, 'the probe sees xterm logging on a default terminal');
    assert.equal(calls.length, controlCalls, 'the model logged nothing');
    assert.equal((await paint(s!)).lines[0], 'after');
    m.dispose();
  } finally {
    Object.assign(console, saved);
  }
});

test('a snapshot waits for every byte fed before it (parsed on timers, never synchronously)', async () => {
  const m = new ScreenModel({ size: { cols: 80, rows: 24 }, maxQueuedBytes: 8 * 1024 * 1024 });
  // A full-screen program's switch and drawing behind 1 MiB of output, its escape sequence split across feeds.
  for (let i = 0; i < 64; i++) m.feed(Buffer.alloc(16 * 1024, 'x'));
  m.feed(Buffer.from('\x1b[?104'));
  m.feed(Buffer.from('9h\x1b[HALT'));
  assert.ok(m.queuedBytes > 1024 * 1024 - 16 * 1024, 'feed only queues: nothing is parsed synchronously');
  const seen = await paint((await m.snapshot())!);
  assert.equal(m.queuedBytes, 0);
  assert.equal(seen.type, 'alternate');
  assert.equal(seen.lines[0], 'ALT');
  m.dispose();
});

test('a flood past the bound drops the queue, resets the model and asks for a redraw after the cooldown', async () => {
  let redraws = 0;
  const m = new ScreenModel({
    size: { cols: 80, rows: 24 },
    maxQueuedBytes: 64 * 1024,
    cooldownMs: 50,
    onResync: () => {
      redraws++;
    },
  });
  m.feed(Buffer.from('before the flood'));
  const chunk = Buffer.alloc(8 * 1024, 'y\n');
  // Control: under the bound nothing is dropped.
  for (let i = 0; i < 4; i++) m.feed(chunk);
  assert.equal(m.resyncs, 0);
  assert.ok(m.queuedBytes <= 64 * 1024);
  // `yes`: far more than the parser can take at once.
  for (let i = 0; i < 1000; i++) {
    m.feed(chunk);
    assert.ok(m.queuedBytes <= 64 * 1024, `queue bounded, was ${m.queuedBytes}`);
  }
  assert.equal(m.resyncs, 1, 'one overflow: output is ignored during the cooldown, not re-overflowing');
  assert.equal(m.dropped, true);
  assert.equal(await m.snapshot(), undefined, 'no stale or partial screen is offered while resynchronising');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(redraws, 1);
  assert.equal(m.dropped, false);
  // The redraw the program sends rebuilds the screen on a blank model.
  m.feed(Buffer.from('\x1b[H\x1b[2Jredrawn'));
  const seen = await paint((await m.snapshot())!);
  assert.equal(seen.lines[0], 'redrawn');
  assert.ok(!seen.lines.join('\n').includes('before the flood'));
  m.dispose();
});

test('a sustained flood backs off: overflows in a row double the pause, a drained queue resets it', async () => {
  let redraws = 0;
  const m = new ScreenModel({
    size: { cols: 80, rows: 24 },
    maxQueuedBytes: 16 * 1024,
    cooldownMs: 40,
    onResync: () => {
      redraws++;
    },
  });
  const chunk = Buffer.alloc(8 * 1024, 'y\n');
  const flood = () => {
    for (let i = 0; i < 8; i++) m.feed(chunk);
  };
  flood(); // overflow 1: 40 ms pause
  assert.equal(m.resyncs, 1);
  await new Promise((r) => setTimeout(r, 70));
  assert.equal(redraws, 1);
  flood(); // overflow 2 without draining in between: 80 ms pause
  assert.equal(m.resyncs, 2);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(redraws, 1, 'still paused after the first pause length');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(redraws, 2);
  // A burst that drains resets the streak: the next overflow pauses 40 ms again.
  m.feed(Buffer.from('small'));
  assert.ok(await m.snapshot());
  flood();
  assert.equal(m.resyncs, 3);
  await new Promise((r) => setTimeout(r, 70));
  assert.equal(redraws, 3);
  m.dispose();
});

test('the model follows the container TTY size', async () => {
  const m = new ScreenModel({ size: { cols: 80, rows: 24 } });
  m.resize({ cols: 100, rows: 30 });
  m.feed(Buffer.from('\x1b[30;100HX'));
  const seen = await paint((await m.snapshot())!, 100, 30);
  assert.equal(seen.lines[29]!.at(-1), 'X');
  m.dispose();
});

test('one shared model per container: only the oldest viewer feeds it, the next takes over when it leaves', async () => {
  const redraws: string[] = [];
  const models = new ScreenModels({ enabled: () => true, redraw: (id) => redraws.push(id) });
  const a = models.join('c1', { cols: 80, rows: 24 })!;
  const b = models.join('c1', { cols: 80, rows: 24 })!;
  // Both attachments carry the same output; the model must see it once.
  a.feed(Buffer.from('once\r\n'));
  b.feed(Buffer.from('once\r\n'));
  let seen = await paint((await models.restore('c1', { cols: 80, rows: 24 }))!.slice(PAINT_PREFIX.length));
  assert.deepEqual(seen.lines.slice(0, 2), ['once', '']);
  a.leave();
  b.feed(Buffer.from('twice'));
  seen = await paint((await models.restore('c1', { cols: 80, rows: 24 }))!);
  assert.deepEqual(seen.lines.slice(0, 2), ['once', 'twice']);
  b.leave();
  // Detached: the model stays for the next reattach.
  assert.ok(await models.restore('c1', { cols: 80, rows: 24 }));
  models.drop('c1');
  assert.equal(await models.restore('c1', { cols: 80, rows: 24 }), undefined);
  models.close();
});

test('detached models are bounded (least recently used first) and switched off by the option', async () => {
  let on = true;
  const models = new ScreenModels({ enabled: () => on, maxDetached: 2, redraw: () => {} });
  for (const id of ['a', 'b', 'c']) {
    const v = models.join(id, { cols: 80, rows: 24 })!;
    v.feed(Buffer.from(id));
    v.leave();
  }
  assert.equal(models.size, 2);
  assert.equal(await models.restore('a', { cols: 80, rows: 24 }), undefined);
  assert.ok(await models.restore('c', { cols: 80, rows: 24 }));
  on = false;
  assert.equal(await models.restore('c', { cols: 80, rows: 24 }), undefined);
  assert.equal(models.join('c', { cols: 80, rows: 24 }), undefined);
  models.close();
});

/** A gate that records every request (and whether it was urgent) and passes it on. */
function recordingGate() {
  const gate = new ParseGate();
  const requests: boolean[] = [];
  const g = {
    request: (turn: (r: () => void) => void, urgent = false) => {
      requests.push(urgent);
      gate.request(turn, urgent);
    },
  } as unknown as ParseGate;
  return { gate: g, requests };
}

test('echoes a key at a time are parsed a batch at a time, and a snapshot does not wait for the delay', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const { gate, requests } = recordingGate();
  // A delay far longer than the typing below (the default is PARSE_DELAY_MS), so a loaded machine cannot fail it.
  // rawLimitBytes 0: an awake model from the start (a sleeping one keeps small output unparsed, tested below).
  const m = new ScreenModel({ size: { cols: 80, rows: 24 }, gate, parseDelayMs: 3000, rawLimitBytes: 0 });
  // A trainee typing: ten echoes 20 ms apart.
  for (const ch of 'echo hello') {
    m.feed(Buffer.from(ch));
    await sleep(20);
  }
  assert.equal(requests.length, 0, 'nothing parsed before the delay (parsing each echo alone asked the gate ten times)');
  // Control: once the delay has passed, everything fed is parsed in one turn, without anybody asking.
  const deadline = Date.now() + 30_000;
  while (m.queuedBytes > 0 && Date.now() < deadline) await sleep(100);
  assert.equal(m.queuedBytes, 0);
  // queuedBytes leaves out the batch xterm is still parsing; a snapshot waits for it without asking the gate (one
  // taken while it was in flight asked nothing, and failed this test in a loaded unit run on 2026-12-02).
  await m.snapshot();
  assert.deepEqual(requests, [false]);
  // A snapshot asks at once (urgent), it does not wait out the delay.
  m.feed(Buffer.from('!'));
  const s = m.snapshot();
  assert.deepEqual(requests, [false, true]);
  assert.equal((await paint((await s)!)).lines[0], 'echo hello!');
  // A full batch waiting is parsed at once, not after the delay.
  m.feed(Buffer.alloc(16 * 1024, 'z'));
  assert.deepEqual(requests, [false, true, false]);
  // The delay's timer, fired once, is armed again for the next echo (reused, not recreated).
  while (m.queuedBytes > 0 && Date.now() < deadline) await sleep(100);
  m.feed(Buffer.from('?'));
  assert.equal(m.queuedBytes, 1);
  while (m.queuedBytes > 0 && Date.now() < deadline) await sleep(100);
  assert.equal(m.queuedBytes, 0, 'parsed after the delay again');
  assert.equal(requests.length, 4);
  m.dispose();
});

test('an idle model sleeps on its serialized screen and wakes on output with nothing lost or reordered', async () => {
  const bytes = ['$ ls\r\nalpha  beta\r\n$ vim notes\r\n', '\x1b[?1049h\x1b[H\x1b[2J\x1b[1mtitle\x1b[0m\x1b[5;3Hbody text\x1b[7;9H'];
  const later = '\x1b[7;9Hmore\x1b[?1049l$ echo done\r\ndone\r\n$ ';
  // rawLimitBytes 0: output wakes a sleeping model at once (the lazy case is the next test).
  const m = new ScreenModel({ size: { cols: 80, rows: 24 }, rawLimitBytes: 0 });
  const control = new ScreenModel({ size: { cols: 80, rows: 24 }, rawLimitBytes: 0 }); // never sleeps
  for (const b of bytes) {
    m.feed(Buffer.from(b));
    control.feed(Buffer.from(b));
  }
  assert.equal(m.hibernate(), false, 'not while output waits to be parsed');
  const before = (await m.snapshot())!;
  assert.equal(m.hibernate(), true, 'once parsed');
  assert.ok(m.asleep);
  assert.equal(await m.snapshot(), before, 'asleep, the snapshot is the screen as serialized');
  assert.deepEqual((await m.state())?.alternate, true, 'state wakes it and reads the live cursor');
  assert.equal(m.asleep, false);
  assert.equal(m.hibernate(), true);
  m.feed(Buffer.from(later)); // wakes: the saved screen is parsed before these bytes
  control.feed(Buffer.from(later));
  assert.equal(m.asleep, false);
  const [woke, never] = [await paint((await m.snapshot())!), await paint((await control.snapshot())!)];
  assert.deepEqual(woke, never, 'the woken model shows what one that never slept shows');
  assert.deepEqual(woke.lines.slice(0, 5), ['$ ls', 'alpha  beta', '$ vim notes', '$ echo done', 'done']);
  m.dispose();
  control.dispose();
});

test('born asleep: small output is kept unparsed, a snapshot parses it and paints what an awake model paints; a title or more output wakes it', async () => {
  const { gate, requests } = recordingGate();
  const m = new ScreenModel({ size: { cols: 80, rows: 24 }, gate });
  const control = new ScreenModel({ size: { cols: 80, rows: 24 }, rawLimitBytes: 0 });
  assert.equal(await m.snapshot(), '', 'a model nobody fed paints a blank screen');
  const prompt = ['Welcome\r\n\x1b[1mstudent\x1b[0m@demo:~', '$ \xe2\x82', '\xac'].map((x) => Buffer.from(x, 'latin1')); // a UTF-8 sign split over two chunks
  for (const b of prompt) {
    m.feed(b);
    control.feed(b);
  }
  m.resize({ cols: 100, rows: 30 });
  control.resize({ cols: 100, rows: 30 });
  await new Promise((r) => setTimeout(r, 700)); // past PARSE_DELAY_MS
  assert.ok(m.asleep, 'still no terminal');
  assert.deepEqual(requests, [], 'nothing was parsed');
  const [lazy, awake] = [await paint((await m.snapshot())!, 100, 30), await paint((await control.snapshot())!, 100, 30)];
  assert.deepEqual(requests, [true], 'the snapshot parsed it, at once');
  assert.equal(m.asleep, false);
  assert.deepEqual(lazy, awake, 'the same screen as a model that parsed every byte');
  assert.equal(lazy.lines[1], 'student@demo:~$ €');
  // A title wakes it (title is read without a snapshot), even when ESC and ] arrive apart.
  const t = new ScreenModel({ size: { cols: 80, rows: 24 } });
  t.feed(Buffer.from('$ \x1b'));
  assert.ok(t.asleep, 'control: a lone ESC is kept');
  t.feed(Buffer.from(']0;my title\x07'));
  assert.equal(t.asleep, false, 'ESC ] wakes it');
  // More than rawLimitBytes wakes it.
  const big = new ScreenModel({ size: { cols: 80, rows: 24 }, rawLimitBytes: 64 });
  big.feed(Buffer.alloc(64, 'a'));
  assert.ok(big.asleep, 'control: exactly the limit is kept');
  big.feed(Buffer.from('b'));
  assert.equal(big.asleep, false, 'one byte more wakes it');
  for (const x of [m, control, t, big]) x.dispose();
});

test('ScreenModels puts idle models to sleep and a reattach paints the same screen', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // rawLimitBytes 0: born awake, and output wakes a sleeping one (the sweep is what this test is about).
  const models = new ScreenModels({ enabled: () => true, hibernateAfterMs: 100, rawLimitBytes: 0, redraw: () => {} });
  const busy = models.join('busy', { cols: 80, rows: 24 })!;
  const idle = models.join('idle', { cols: 80, rows: 24 })!;
  idle.feed(Buffer.from('$ whoami\r\nstudent\r\n$ '));
  const first = await models.restore('idle', { cols: 80, rows: 24 });
  const deadline = Date.now() + 10_000;
  while (models.asleep < 1 && Date.now() < deadline) {
    busy.feed(Buffer.from('.')); // keeps the other one awake
    await sleep(20);
  }
  assert.equal(models.asleep, 1, 'the idle one sleeps, the busy one does not');
  assert.equal(await models.restore('idle', { cols: 80, rows: 24 }), first);
  idle.feed(Buffer.from('ls\r\n'));
  assert.equal(models.asleep, 0, 'output wakes it');
  assert.deepEqual((await paint((await models.restore('idle', { cols: 80, rows: 24 }))!)).lines.slice(0, 3), ['$ whoami', 'student', '$ ls']);
  models.close();
});
