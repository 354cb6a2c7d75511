import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Execution } from '../runtime/runtime-driver.ts';
import { DirLister } from './dir-lister.ts';
import { STATUS, SftpStatusError } from './sftp-status.ts';

/** A tool whose output the test writes; `exit` ends it. */
function fakeTool() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => {
    exit = r;
  });
  let closed = false;
  const exec: Execution = {
    stdin,
    stdout,
    stderr,
    exited,
    resize: async () => undefined,
    signal: async () => undefined,
    close: () => {
      closed = true;
      stdout.destroy();
      exit(-1);
    },
  };
  return {
    exec,
    stdout,
    stderr,
    end: (code: number) => {
      stdout.end();
      stderr.end();
      exit(code);
    },
    closed: () => closed,
  };
}

const rec = (i: number) => `81a4 0 1000 1000 1700000000 1700000000 1 student student /home/student/big/f${i}\n`;

test('pages through a listing that arrives in pieces (records split across chunks), and pauses the tool while full', async () => {
  const t = fakeTool();
  const l = new DirLister(t.exec, { highWater: 2000 });
  const text = Array.from({ length: 250 }, (_, i) => rec(i)).join('');
  // Control for the pause: writing everything, the lister stops reading once it holds more than 2000 bytes.
  for (let i = 0; i < text.length; i += 37) t.stdout.write(text.slice(i, i + 37));
  await l.ready;
  await new Promise((r) => setImmediate(r));
  assert.ok(t.stdout.isPaused(), 'the tool is paused while the lister holds enough');
  const names: string[] = [];
  const ended = (async () => {
    await new Promise((r) => setTimeout(r, 20));
    t.end(0);
  })();
  for (let page = await l.next(100); page; page = await l.next(100)) {
    assert.ok(page.length <= 100);
    names.push(...page.map((r) => r.name));
  }
  await ended;
  assert.deepEqual(
    names,
    Array.from({ length: 250 }, (_, i) => `f${i}`),
  );
  l.close();
});

test('a directory that cannot be listed fails on open with the mapped status; close stops the tool', async () => {
  const t = fakeTool();
  const l = new DirLister(t.exec);
  t.stderr.write('find: /root: Permission denied\n');
  t.end(1);
  await assert.rejects(l.ready, (e: unknown) => e instanceof SftpStatusError && e.code === STATUS.PERMISSION_DENIED);
  const u = fakeTool();
  const m = new DirLister(u.exec);
  u.stdout.write(rec(1) + rec(2));
  await m.ready;
  m.close();
  assert.equal(u.closed(), true, 'closing the handle drops the engine stream');
  assert.equal(await m.next(10), null);
});
