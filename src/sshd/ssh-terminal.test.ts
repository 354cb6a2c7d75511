import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerChannel } from 'ssh2';
import type { TtySize } from '../core/terminal.ts';
import { RESIZE_PER_SECOND, SshTerminal } from './ssh-terminal.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Just what SshTerminal uses of an ssh2 channel. */
function channel() {
  const ch = Object.assign(new EventEmitter(), {
    paused: false,
    pause() {
      ch.paused = true;
      return ch;
    },
    resume() {
      ch.paused = false;
      return ch;
    },
    write: () => true,
    exit: () => undefined,
    end: () => undefined,
  });
  return ch;
}

test('a flood of window changes reaches listeners a few times a second, the last size always', async () => {
  const ch = channel();
  const t = new SshTerminal(ch as unknown as ServerChannel, { term: 'xterm', size: { cols: 80, rows: 24 }, remoteAddress: '127.0.0.1' });
  const seen: TtySize[] = [];
  t.onResize((s) => seen.push(s));
  t.resized({ cols: 81, rows: 24 });
  await sleep(20);
  assert.deepEqual(seen, [{ cols: 81, rows: 24 }], 'the first change goes out at once');
  for (let i = 0; i < 20_000; i++) t.resized({ cols: 100 + (i % 50), rows: 30 });
  t.resized({ cols: 120, rows: 40 });
  assert.deepEqual(t.size(), { cols: 120, rows: 40 }, 'size() is current at once');
  await sleep(2 * (1000 / RESIZE_PER_SECOND) + 100);
  assert.ok(seen.length <= 3, `${seen.length} resizes passed on`);
  assert.deepEqual(seen.at(-1), { cols: 120, rows: 40 });
  t.close();
});

test("pauseInput holds the channel (ssh2 then stops opening the client's window); resumeInput lets it flow", () => {
  const ch = channel();
  const t = new SshTerminal(ch as unknown as ServerChannel, { term: 'xterm', size: { cols: 80, rows: 24 }, remoteAddress: '127.0.0.1' });
  t.pauseInput();
  assert.equal(ch.paused, true);
  t.resumeInput();
  assert.equal(ch.paused, false);
  t.close();
  t.pauseInput();
  t.resumeInput();
  assert.equal(ch.paused, true, 'a closed terminal is not resumed');
});
