/**
 * demux: frames reach stdout and stderr intact and in order, and back-pressure
 * pauses the engine's stream with one 'drain' listener per target however many
 * frames of one chunk find the consumer behind (a listener per frame leaked
 * and warned, MaxListenersExceededWarning, on a 300 MB exec).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { demux } from './demux.ts';

function frame(type: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('many frames in one chunk to a consumer that is behind: one drain listener, the source paused, then all data in order', async () => {
  const source = new PassThrough();
  const { stdout, stderr } = demux(source);
  const frames = Array.from({ length: 40 }, (_, i) => Buffer.alloc(32 * 1024, i));
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  source.write(Buffer.concat([...frames.map((f) => frame(1, f)), frame(2, Buffer.from('err'))]));
  await new Promise((r) => setImmediate(r));
  // The probe sees the pause path taken (a listener, a paused source), not merely the absence of listeners.
  assert.equal(stdout.listenerCount('drain'), 1);
  assert.equal(source.isPaused(), true);
  const out: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  const err: Buffer[] = [];
  stderr.on('data', (b: Buffer) => err.push(b));
  source.end();
  await new Promise((r) => stdout.once('end', r));
  process.off('warning', onWarning);
  assert.deepEqual(Buffer.concat(out), Buffer.concat(frames));
  assert.equal(Buffer.concat(err).toString(), 'err');
  assert.equal(stdout.listenerCount('drain'), 0, 'the listener went with the drain');
  assert.deepEqual(
    warnings.map((w) => w.name),
    [],
  );
});

test('a frame split across chunks is reassembled', async () => {
  const source = new PassThrough();
  const { stdout } = demux(source);
  const f = frame(1, Buffer.from('hello world'));
  const out: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  source.write(f.subarray(0, 5));
  source.write(f.subarray(5, 12));
  source.end(f.subarray(12));
  await new Promise((r) => stdout.once('end', r));
  assert.equal(Buffer.concat(out).toString(), 'hello world');
});
