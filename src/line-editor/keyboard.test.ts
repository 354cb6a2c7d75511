import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyboard } from './keyboard.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';

const setup = () => {
  const t = new MemoryTerminal();
  return { t, kb: new Keyboard(t) };
};

test('echoes, handles backspace and Ctrl-U, returns the line on CR or LF', async () => {
  const { t, kb } = setup();
  const p = kb.readLine({ timeoutMs: 1000 });
  t.type('alx\x7fice\r');
  assert.deepEqual(await p, { kind: 'line', text: 'alice' });
  assert.equal(t.output, 'alx\b \bice\r\n');
  const p2 = kb.readLine({ timeoutMs: 1000 });
  t.type('junk\x15bob\n');
  assert.deepEqual(await p2, { kind: 'line', text: 'bob' });
});

test('passwords are not echoed', async () => {
  const { t, kb } = setup();
  const p = kb.readLine({ echo: false, timeoutMs: 1000 });
  t.type('s3cret\r');
  assert.deepEqual(await p, { kind: 'line', text: 's3cret' });
  assert.ok(!t.output.includes('s3cret'));
});

test('typed-ahead input is kept for the next prompt; CRLF counts once', async () => {
  const { t, kb } = setup();
  t.type('new\r\nalice\r');
  assert.deepEqual(await kb.readLine({ timeoutMs: 1000 }), { kind: 'line', text: 'new' });
  assert.deepEqual(await kb.readLine({ timeoutMs: 1000 }), { kind: 'line', text: 'alice' });
});

test('Ctrl-C interrupts, Ctrl-D on an empty line is EOF, idle times out, close ends the read', async () => {
  let { t, kb } = setup();
  let p = kb.readLine({ timeoutMs: 1000 });
  t.type('ab\x03');
  assert.equal((await p).kind, 'interrupt');
  ({ t, kb } = setup());
  p = kb.readLine({ timeoutMs: 1000 });
  t.type('\x04');
  assert.equal((await p).kind, 'eof');
  ({ t, kb } = setup());
  p = kb.readLine({ timeoutMs: 1000 });
  t.type('a\x04b\r');
  assert.deepEqual(await p, { kind: 'line', text: 'ab' }, 'Ctrl-D mid-line is ignored');
  ({ t, kb } = setup());
  assert.equal((await kb.readLine({ timeoutMs: 30 })).kind, 'timeout');
  ({ t, kb } = setup());
  p = kb.readLine({ timeoutMs: 5000 });
  t.close();
  assert.equal((await p).kind, 'closed');
});

test('escape sequences, control bytes, NUL and invalid UTF-8 are dropped, never echoed', async () => {
  const { t, kb } = setup();
  const p = kb.readLine({ timeoutMs: 1000 });
  t.type(Buffer.concat([Buffer.from('a\x1b[A\x1b[1;5Cb\x00\x07\x1bOPc'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('d\r')]));
  const r = await p;
  assert.equal(r.kind, 'line');
  assert.equal((r as { text: string }).text, 'abcd');
  assert.ok(!/[\x00\x07\x1b]/.test(t.output.replace(/\r\n$/, '')), JSON.stringify(t.output));
});

test('a megabyte line is capped with a bell and the session keeps working', async () => {
  const { t, kb } = setup();
  const p = kb.readLine({ timeoutMs: 2000, maxLength: 64 });
  t.type('x'.repeat(1024 * 1024));
  t.type('\r');
  const r = await p;
  // The flood beyond the pending cap is dropped; what was read is capped at maxLength.
  assert.equal(r.kind, 'line');
  assert.ok((r as { text: string }).text.length <= 64);
  const p2 = kb.readLine({ timeoutMs: 1000 });
  t.type('ok\r');
  assert.deepEqual(await p2, { kind: 'line', text: 'ok' });
});
