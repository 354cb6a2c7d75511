import { test } from 'node:test';
import assert from 'node:assert/strict';
import headless from '@xterm/headless';
import { cleanMessage, insertAbove, noticeRows, statusLine, MESSAGE_MAX } from './notice-text.ts';
import type { ScreenState } from '../terminal-model/screen-model.ts';

const { Terminal } = headless;

/** A terminal that received `before`, then the notice built from its state, then `after`. */
async function screen(before: string, notice: (s: ScreenState) => string, after = '', cols = 40, rows = 8) {
  const t = new Terminal({ cols, rows, allowProposedApi: true });
  const write = (s: string) => new Promise<void>((r) => t.write(s, r));
  await write(before);
  const b = t.buffer.active;
  let lineTop = b.cursorY;
  while (lineTop > 0 && b.getLine(b.baseY + lineTop)?.isWrapped) lineTop--;
  const st: ScreenState = { cursorX: b.cursorX, cursorY: b.cursorY, lineTop, alternate: b.type === 'alternate', cols, rows };
  await write(notice(st));
  await write(after);
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) lines.push(t.buffer.active.getLine(t.buffer.active.viewportY + y)?.translateToString(true) ?? '');
  const out = { lines, cursor: [t.buffer.active.cursorX, t.buffer.active.cursorY], type: t.buffer.active.type };
  t.dispose();
  return out;
}

test('a notice goes above the prompt line; the prompt, what was typed and the cursor stay put (prompt at the bottom)', async () => {
  const before = Array.from({ length: 10 }, (_, i) => `out ${i}\r\n`).join('') + '~ $ ls -l';
  const s = await screen(before, (st) => insertAbove('break in 5 minutes', st), 'a');
  assert.equal(s.lines[7], '~ $ ls -la', 'typing goes on at the same place');
  assert.equal(s.lines[6], '[ISLET] break in 5 minutes');
  assert.equal(s.lines[5], 'out 9', 'the output above scrolled up by one');
  assert.deepEqual(s.cursor, [10, 7]);
});

test('a prompt at the top is pushed down; a soft-wrapped command line is kept whole', async () => {
  const top = await screen('\x1b[H\x1b[2J~ $ ', (st) => insertAbove('hello', st), 'x');
  assert.deepEqual(top.lines.slice(0, 2), ['[ISLET] hello', '~ $ x']);
  const long = `~ $ echo ${'y'.repeat(50)}`; // wraps over two 40-column rows
  const wrapped = await screen(`a\r\nb\r\nc\r\n${long}`, (st) => insertAbove('note', st));
  assert.deepEqual(wrapped.lines.slice(0, 3), ['a', 'b', 'c'], 'room below: nothing scrolls away');
  assert.equal(wrapped.lines[3], '[ISLET] note');
  assert.equal(wrapped.lines[4]! + wrapped.lines[5]!, long, 'the notice is above the whole command line, not inside it');
});

test('on the alternate screen only the bottom row is used and the cursor is restored', async () => {
  const s = await screen('\x1b[?1049h\x1b[H\x1b[2JTOP 1\r\nTOP 2\x1b[3;5H', (st) => statusLine('lunch', st), 'Z');
  assert.equal(s.type, 'alternate');
  assert.deepEqual(s.lines.slice(0, 3), ['TOP 1', 'TOP 2', '    Z']);
  assert.equal(s.lines[7], '[ISLET] lunch');
});

test('messages lose every control character (no escape sequence passes), blanks collapse, length is capped', () => {
  assert.equal(cleanMessage('a\x1b[2J\x1b]0;title\x07b\r\nc\u009bd\u0000'), 'a [2J ]0;title b c d');
  assert.equal(cleanMessage(' \t\n '), '');
  assert.equal([...cleanMessage('é'.repeat(MESSAGE_MAX + 50))].length, MESSAGE_MAX);
  assert.doesNotMatch(cleanMessage('x\x1by\x9bz'), /[\x00-\x1f\x7f-\x9f]/);
});

test('long notices wrap at words within the width and are cut after the row limit', () => {
  const rows = noticeRows('word '.repeat(40).trim(), 30, 3);
  assert.equal(rows.length, 3);
  for (const r of rows) assert.ok([...r].length <= 29, r);
  assert.ok(rows[2]!.endsWith('…'));
  assert.deepEqual(noticeRows('x'.repeat(25), 20), ['[ISLET]', 'x'.repeat(19), 'x'.repeat(6)]);
});

test('placed by relative moves only: a screen with text the model never saw (the menu before the shell) is not corrupted', async () => {
  // The model saw only the shell's output; the client also shows five lines of menu text above it.
  const shell = 'BusyBox\r\n~ $ echo hi\r\nhi\r\n~ $ ls';
  const model = await screen(shell, () => '');
  const known: ScreenState = { cursorX: 6, cursorY: model.cursor[1]!, lineTop: model.cursor[1]!, alternate: false, cols: 40, rows: 8 };
  const seen = await screen(`${'menu\r\n'.repeat(5)}${shell}`, () => insertAbove('hello', known), ' -l');
  assert.deepEqual(seen.lines.slice(5), ['hi', '[ISLET] hello', '~ $ ls -l']);
  // Control: placing it by the model's absolute rows (as a CUP would) hits the wrong row on this screen.
  const absolute = await screen(`${'menu\r\n'.repeat(5)}${shell}`, () => `\x1b7\x1b[${known.cursorY + 1};1H\x1b[2K[ISLET] hello\x1b8`);
  assert.notDeepEqual(absolute.lines.slice(5), ['hi', '[ISLET] hello', '~ $ ls']);
});
