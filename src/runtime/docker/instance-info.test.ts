import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromInspect, fromList } from './instance-info.ts';

const inspect = (status: string, startedAt = '2026-12-02T05:00:00Z') => ({
  Id: 'abc',
  Name: '/islet.demo.ada',
  Created: '2026-12-02T04:59:00Z',
  State: { Status: status, ExitCode: 137, StartedAt: startedAt },
  Config: { Image: 'islet/demo:latest', Labels: null },
});

test('fromInspect: name without its slash, labels never null, exit code only once exited, start time only once started', () => {
  const running = fromInspect(inspect('running'));
  assert.deepEqual(running, {
    id: 'abc',
    name: 'islet.demo.ada',
    image: 'islet/demo:latest',
    state: 'running',
    labels: {},
    createdAt: new Date('2026-12-02T04:59:00Z'),
    startedAt: new Date('2026-12-02T05:00:00Z'),
  });
  assert.equal(fromInspect(inspect('exited')).exitCode, 137);
  assert.equal(fromInspect(inspect('created', '0001-01-01T00:00:00Z')).startedAt, undefined);
  assert.equal(fromInspect(inspect('no-such-state')).state, 'dead');
});

test("fromList: the exit code is read from the status text, the creation time from the engine's seconds", () => {
  const base = { Id: 'abc', Names: ['/islet.demo.ada'], Image: 'islet/demo:latest', Labels: { a: 'b' }, Created: 1_764_651_540 };
  const exited = fromList({ ...base, State: 'exited', Status: 'Exited (137) 2 minutes ago' });
  assert.equal(exited.exitCode, 137);
  assert.equal(exited.name, 'islet.demo.ada');
  assert.deepEqual(exited.labels, { a: 'b' });
  assert.equal(exited.createdAt.getTime(), 1_764_651_540_000);
  assert.equal(fromList({ ...base, State: 'running', Status: 'Up 3 minutes' }).exitCode, undefined);
  assert.equal(fromList({ ...base, Names: null, State: 'running', Status: 'Up' }).name, '');
});
