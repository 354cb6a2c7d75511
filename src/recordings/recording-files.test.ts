import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CastWriter } from './cast-writer.ts';
import { listRecordings, playableText, recordingPath } from './recording-files.ts';
import { WRITER_FILE } from './recorder.ts';
import { sweepRecordings } from './retention.ts';

const header = (run: string) => ({
  cols: 80,
  rows: 24,
  term: 'xterm',
  title: 't',
  islet: { account: 'alice', door: 'ssh', login: 'alice', pid: process.pid, run, input: false },
});

test('listing: complete, live (its writer runs), partial (writer gone, or cut mid-line), truncated; never silently missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-rec-'));
  try {
    writeFileSync(join(dir, WRITER_FILE), JSON.stringify({ pid: process.pid, run: 'now' }));
    const mk = (name: string, run: string) => new CastWriter(join(dir, 'alice', name), header(run), { maxBytes: 300, flushMs: 50 });
    const done = mk('20261130T100000Z-ssh-00000001.cast', 'now');
    done.output('hi');
    await done.exit(0);
    const live = mk('20261130T100001Z-web-00000002.cast', 'now');
    live.output('still here');
    await new Promise((r) => setTimeout(r, 400)); // flushed, not ended
    const crashed = mk('20261130T100002Z-ssh-00000003.cast', 'before-restart');
    crashed.output('cut off');
    await new Promise((r) => setTimeout(r, 400));
    const big = mk('20261130T100003Z-ssh-00000004.cast', 'now');
    for (let i = 0; i < 100; i++) big.output('0123456789');
    await big.exit(0);
    // A crash in the middle of a line: the cut line is not an exit event.
    const cut = join(dir, 'alice', '20261130T100004Z-ssh-00000005.cast');
    writeFileSync(cut, `${JSON.stringify({ version: 3, term: { cols: 80, rows: 24 }, timestamp: 1, islet: { run: 'now' } })}\n[0.1, "o", "a"]\n[0.2, "x", "`);
    const l = await listRecordings(dir, { account: 'alice' });
    const byFile = new Map(l.map((r) => [r.id.split('-').at(-1), r]));
    assert.equal(l.length, 5);
    assert.equal(byFile.get('00000001.cast')?.state, 'complete');
    assert.equal(byFile.get('00000002.cast')?.state, 'live');
    assert.equal(byFile.get('00000003.cast')?.state, 'partial');
    assert.equal(byFile.get('00000004.cast')?.state, 'complete');
    assert.equal(byFile.get('00000004.cast')?.truncated, true);
    assert.equal(byFile.get('00000001.cast')?.truncated, false);
    assert.equal(byFile.get('00000005.cast')?.state, 'live'); // its run is the current writer's and it has no exit: live
    // The writer gone (server killed): the open ones are partial now.
    writeFileSync(join(dir, WRITER_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, run: 'now' }));
    const after = new Map((await listRecordings(dir)).map((r) => [r.id.split('-').at(-1), r.state]));
    assert.deepEqual([after.get('00000002.cast'), after.get('00000005.cast'), after.get('00000001.cast')], ['partial', 'partial', 'complete']);
    // A live recording plays up to its last whole event.
    assert.ok((await playableText(cut)).endsWith('[0.1, "o", "a"]\n'));
    await live.exit(0);
    await crashed.exit(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recording ids: only account/file.cast inside the directory', () => {
  assert.equal(recordingPath('/d', 'alice/20261130T100000Z-ssh-0000000a.cast'), '/d/alice/20261130T100000Z-ssh-0000000a.cast');
  for (const bad of ['../x/20261130T100000Z-ssh-0000000a.cast', 'alice/../../etc/passwd', 'alice/x.cast', '.writer'])
    assert.equal(recordingPath('/d', bad), undefined, bad);
});

test('retention removes only old recordings and event files, never other files or live ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-ret-'));
  try {
    mkdirSync(join(dir, 'bob'));
    const old = Date.now() / 1000 - 40 * 86400;
    const files = {
      oldCast: join(dir, 'bob', '20261001T100000Z-ssh-00000001.cast'),
      oldEvents: join(dir, 'bob', 'events-2026-10-01.jsonl'),
      newCast: join(dir, 'bob', '20261130T100000Z-ssh-00000002.cast'),
      foreign: join(dir, 'bob', 'notes.txt'),
      oldLive: join(dir, 'bob', '20261001T100000Z-web-00000003.cast'),
    };
    for (const f of Object.values(files)) writeFileSync(f, 'x');
    for (const f of [files.oldCast, files.oldEvents, files.foreign, files.oldLive]) utimesSync(f, old, old);
    const removed = await sweepRecordings(dir, 30 * 86400, new Date(), new Set([files.oldLive]));
    assert.deepEqual(removed.sort(), [files.oldCast, files.oldEvents].sort());
    assert.deepEqual(
      Object.entries(files).map(([k, f]) => [k, existsSync(f)]),
      [
        ['oldCast', false],
        ['oldEvents', false],
        ['newCast', true],
        ['foreign', true],
        ['oldLive', true],
      ],
    );
    // 0 keeps everything.
    assert.deepEqual(await sweepRecordings(dir, 0, new Date(Date.now() + 1e12)), []);
    assert.equal(readFileSync(files.newCast, 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
