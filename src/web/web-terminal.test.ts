import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { WebTerminal } from './web-terminal.ts';
import { HIGH_WATER, LOW_WATER } from './output-log.ts';
import { parseClientControl } from './protocol.ts';

/** A stand-in socket that records what is sent (output frames decoded to [seq, text]). */
function fakeSocket() {
  const frames: [number, string][] = [];
  const controls: unknown[] = [];
  let paused = false;
  const ws = {
    readyState: 1,
    send(x: Buffer | string) {
      if (typeof x === 'string') controls.push(JSON.parse(x));
      else frames.push([Number(x.readBigUInt64BE(0)), x.subarray(8).toString()]);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    close() {
      this.readyState = 3;
    },
  };
  return { ws: ws as unknown as WebSocket, frames, controls, paused: () => paused };
}

test('output carries byte offsets; a new socket gets exactly what follows the offset it asks for', () => {
  const t = new WebTerminal({ size: { cols: 80, rows: 24 }, remoteAddress: '192.0.2.1' });
  const a = fakeSocket();
  assert.equal(t.attach(a.ws, 0), true);
  t.write('hello ');
  t.detach(a.ws);
  t.write('world'); // while the page is away
  assert.deepEqual(a.frames, [[0, 'hello ']]);
  const b = fakeSocket();
  assert.equal(t.attach(b.ws, 3), true);
  assert.deepEqual(b.frames, [
    [3, 'lo '],
    [6, 'world'],
  ]);
  // Acknowledged output is forgotten (once no longer kept whole, output-log.ts): resuming behind it is refused.
  assert.equal(t.ack(6), true);
  assert.equal(t.attach(fakeSocket().ws, 2), true, 'the session start is kept whole');
  t.log.keepWhole(false);
  assert.equal(t.attach(fakeSocket().ws, 2), false);
  assert.equal(t.ack(4), true, 'a stale acknowledgement is ignored');
  assert.equal(t.ack(99), false, 'one beyond the output is refused');
  assert.equal(t.closed, false, 'a dropped socket does not close the terminal');
});

test('write reports full above the high water mark and drains below the low one, after acknowledgements', () => {
  const t = new WebTerminal({ size: { cols: 80, rows: 24 }, remoteAddress: '192.0.2.1' });
  const s = fakeSocket();
  t.attach(s.ws, 0);
  const chunk = Buffer.alloc(32 * 1024, 120);
  let written = 0;
  let ok = true;
  while (ok) {
    ok = t.write(chunk);
    written += chunk.length;
  }
  assert.ok(written > HIGH_WATER && written <= HIGH_WATER + chunk.length, `full after ${written} bytes`);
  let drained = false;
  t.onceDrain(() => {
    drained = true;
  });
  t.ack(written - LOW_WATER); // still LOW_WATER unacknowledged: not yet
  assert.equal(drained, false);
  t.ack(written - LOW_WATER + 1);
  assert.equal(drained, true);
  assert.equal(t.write('x'), true);
});

test('pause holds output back until resume; input back-pressure pauses the socket, also a later one', () => {
  const t = new WebTerminal({ size: { cols: 80, rows: 24 }, remoteAddress: '192.0.2.1' });
  const s = fakeSocket();
  t.attach(s.ws, 0);
  t.pauseOutput();
  t.write('held');
  assert.deepEqual(s.frames, []);
  t.resumeOutput();
  assert.deepEqual(s.frames, [[0, 'held']]);
  t.pauseInput();
  assert.equal(s.paused(), true);
  const s2 = fakeSocket();
  t.attach(s2.ws, 4);
  assert.equal(s2.paused(), true, 'a resumed socket starts paused while input is held back');
  assert.deepEqual(s.controls, [{ t: 'replaced' }], 'the old socket of the session was told');
  t.resumeInput();
  assert.equal(s2.paused(), false);
});

test('close tells the page the session is over', () => {
  const t = new WebTerminal({ size: { cols: 80, rows: 24 }, remoteAddress: '192.0.2.1' });
  const s = fakeSocket();
  t.attach(s.ws, 0);
  let closed = 0;
  t.onClose(() => closed++);
  t.close(3);
  t.close(3);
  assert.deepEqual(s.controls, [{ t: 'exit', code: 3 }]);
  assert.equal(closed, 1);
  assert.equal(t.write('late'), true);
});

test('control frames are validated; anything else is refused', () => {
  assert.deepEqual(parseClientControl('{"t":"hello","v":1,"cols":100,"rows":30,"login":"alice+demo"}'), {
    t: 'hello',
    v: 1,
    cols: 100,
    rows: 30,
    login: 'alice+demo',
  });
  assert.deepEqual(parseClientControl('{"t":"resize","cols":5000,"rows":-1}'), { t: 'resize', cols: 1000, rows: 24 });
  for (const bad of ['{"t":"hello","v":2}', '{"t":"ack","seq":-1}', '{"t":"ack","seq":1.5}', '{"t":"exec"}', 'not json', 'null', '[]']) {
    assert.equal(parseClientControl(bad), undefined, bad);
  }
  const h = parseClientControl('{"t":"hello","v":1,"resume":{"id":"short","seq":0}}');
  assert.equal(h?.t === 'hello' && h.resume, undefined, 'a malformed resume id is dropped');
});

test('the help bar: the watch state goes to the page, again to a page that reattaches while watched; a button reaches the listeners', () => {
  const t = new WebTerminal({ size: { cols: 80, rows: 24 }, remoteAddress: '192.0.2.1' });
  const a = fakeSocket();
  t.attach(a.ws, 0);
  t.watchStatus({ watchers: ['ada'], asking: 'ada' });
  assert.deepEqual(a.controls, [{ t: 'watch', watchers: ['ada'], asking: 'ada' }]);
  const answers: string[] = [];
  const off = t.onWatchAnswer((x) => answers.push(x));
  t.watchAnswer('allow');
  assert.deepEqual(answers, ['allow']);
  // A reload while watched: the new socket is told at once.
  t.detach(a.ws);
  const b = fakeSocket();
  t.attach(b.ws, 0);
  assert.deepEqual(b.controls, [{ t: 'watch', watchers: ['ada'], asking: 'ada' }]);
  // Nobody watches any more: the page is told, and a later page is told nothing.
  t.watchStatus({ watchers: [] });
  t.detach(b.ws);
  const c = fakeSocket();
  t.attach(c.ws, 0);
  assert.deepEqual(c.controls, []);
  off();
  t.watchAnswer('end');
  assert.deepEqual(answers, ['allow'], 'unsubscribed');
});
