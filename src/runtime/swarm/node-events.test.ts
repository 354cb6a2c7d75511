/**
 * NodeEvents on a scripted engine: what it asks for (container start events of swarm tasks since a time), what it
 * reports (node, container, service, task, node id) from a stream split anywhere, what it ignores, and that
 * close() ends the streams (also one that connects after close).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { EngineClient, EngineRequest } from '../docker/engine-client.ts';
import { NodeEvents, type TaskStarted } from './node-events.ts';

/** An engine whose /events stream the test writes to; `connect()` hands it to the consumer. */
function scripted() {
  const res = new PassThrough();
  let request: EngineRequest | undefined;
  let consumer: ((m: IncomingMessage) => Promise<unknown>) | undefined;
  const engine = {
    stream(req: EngineRequest, consume: (m: IncomingMessage) => Promise<unknown>) {
      request = req;
      consumer = consume;
      return new Promise(() => undefined);
    },
  } as unknown as EngineClient;
  res.on('error', () => undefined); // a write after close, in the last test
  return { engine, res, request: () => request, connect: () => void consumer!(res as unknown as IncomingMessage) };
}

const event = (action: string, attrs: Record<string, string>, id = 'c1') => JSON.stringify({ Action: action, Actor: { ID: id, Attributes: attrs } }) + '\n';
const swarmAttrs = { 'com.docker.swarm.service.id': 's1', 'com.docker.swarm.task.id': 't1', 'com.docker.swarm.node.id': 'n1' };

test('reports task container starts of every node, from a stream split anywhere; asks for them since the given time', () => {
  const a = scripted();
  const b = scripted();
  const seen: TaskStarted[] = [];
  const ev = new NodeEvents(
    new Map([
      ['node-a', a.engine],
      ['node-b', b.engine],
    ]),
    (e) => seen.push(e),
  );
  ev.open(1_700_000_000_250);
  assert.deepEqual(a.request()?.query, {
    filters: { type: ['container'], event: ['start'], label: ['com.docker.swarm.service.id'] },
    since: '1700000000.250',
  });
  a.connect();
  b.connect();
  const line = event('start', swarmAttrs, 'cont-a');
  a.res.write(line.slice(0, 17));
  assert.equal(seen.length, 0, 'half a line is not an event');
  a.res.write(line.slice(17));
  b.res.write(event('start', { ...swarmAttrs, 'com.docker.swarm.task.id': 't2' }, 'cont-b'));
  assert.deepEqual(seen, [
    { node: 'node-a', container: 'cont-a', service: 's1', task: 't1', nodeId: 'n1' },
    { node: 'node-b', container: 'cont-b', service: 's1', task: 't2', nodeId: 'n1' },
  ]);
  ev.close();
  assert.ok(a.res.destroyed && b.res.destroyed, 'close ends every stream');
});

test('ignores what is not a swarm task container start (control: the same line as a start of a task is reported)', () => {
  const a = scripted();
  const seen: TaskStarted[] = [];
  const ev = new NodeEvents(new Map([['n', a.engine]]), (e) => seen.push(e));
  ev.open(Date.now());
  a.connect();
  a.res.write(event('create', swarmAttrs));
  a.res.write(event('start', { 'com.docker.swarm.service.id': 's1' }));
  a.res.write('not json\n');
  assert.equal(seen.length, 0);
  a.res.write(event('start', swarmAttrs));
  assert.equal(seen.length, 1);
  ev.close();
});

test('a stream that connects after close is ended at once', () => {
  const a = scripted();
  const ev = new NodeEvents(new Map([['n', a.engine]]), () => assert.fail('no event after close'));
  ev.open(Date.now());
  ev.close();
  a.connect();
  assert.ok(a.res.destroyed);
  a.res.write(event('start', swarmAttrs));
});
