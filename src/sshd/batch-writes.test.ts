import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { batchWrites } from './batch-writes.ts';

/** A connected pair on loopback; `sent` counts the chunks the socket layer was handed at once (a writev is one). */
async function pair(batched: boolean) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [srv] = await accepted;
  const handedOver: number[] = [];
  const proto = srv as unknown as { _writeGeneric: (writev: boolean, data: unknown, enc: string, cb: () => void) => void };
  const orig = proto._writeGeneric.bind(srv);
  proto._writeGeneric = (writev, data, enc, cb) => {
    handedOver.push(writev ? (data as unknown[]).length : 1);
    orig(writev, data, enc, cb);
  };
  if (batched) batchWrites(srv);
  let received = '';
  client.on('data', (b: Buffer) => (received += b.toString()));
  return {
    srv,
    handedOver,
    received: () => received,
    close: () => {
      client.destroy();
      srv.destroy();
      server.close();
    },
  };
}

const until = async (f: () => boolean) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
};

test('writes of one turn leave as one batch, in order; a later turn is a batch of its own', async () => {
  // Probe: unbatched, the same five writes reach the socket layer one by one.
  const plain = await pair(false);
  for (const s of ['a', 'b', 'c', 'd', 'e']) plain.srv.write(s);
  await until(() => plain.received() === 'abcde');
  assert.equal(plain.received(), 'abcde');
  assert.ok(plain.handedOver.length >= 4, `probe: unbatched writes go one at a time (${plain.handedOver.join(',')})`);
  plain.close();

  const p = await pair(true);
  const results = ['a', 'b', 'c', 'd', 'e'].map((s) => p.srv.write(s));
  assert.ok(
    results.every((r) => r === true),
    'write() still reports room',
  );
  await until(() => p.received() === 'abcde');
  assert.deepEqual(p.handedOver, [5], 'one writev of five chunks');
  let called = false;
  p.srv.write('f', () => (called = true));
  await until(() => p.received() === 'abcdef' && called);
  assert.equal(p.received(), 'abcdef');
  assert.ok(called, 'the callback of a batched write runs');
  assert.deepEqual(p.handedOver, [5, 1]);
  p.close();
});
