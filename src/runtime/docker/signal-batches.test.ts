import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalBatches } from './signal-batches.ts';

interface Sent {
  container: string;
  user: string | undefined;
  signal: NodeJS.Signals;
  tags: readonly string[];
}

/** A send that records each delivery and finishes when the test says so. */
function recorder() {
  const sent: Sent[] = [];
  const finish: (() => void)[] = [];
  const send = (container: string, user: string | undefined, signal: NodeJS.Signals, tags: readonly string[]) => {
    sent.push({ container, user, signal, tags: [...tags].sort() });
    return new Promise<void>((r) => finish.push(r));
  };
  return { sent, finish, send };
}
const turn = () => new Promise((r) => setImmediate(r));

test('executions signalled in one turn share one delivery; those asked during it share the next', async () => {
  const r = recorder();
  const b = new SignalBatches(r.send);
  const first = ['a', 'b', 'c'].map((t) => b.signal('c1', 'student', t, 'SIGKILL'));
  await turn();
  assert.deepEqual(r.sent, [{ container: 'c1', user: 'student', signal: 'SIGKILL', tags: ['a', 'b', 'c'] }]);
  const later = ['d', 'e'].map((t) => b.signal('c1', 'student', t, 'SIGKILL'));
  await turn();
  assert.equal(r.sent.length, 1, 'one delivery in flight per container and user');
  r.finish[0]!();
  await Promise.all(first);
  await turn();
  assert.deepEqual(r.sent[1], { container: 'c1', user: 'student', signal: 'SIGKILL', tags: ['d', 'e'] });
  r.finish[1]!();
  await Promise.all(later);
});

test('containers and users are batched apart; signals go in the order first asked, a repeat is not queued twice', async () => {
  const r = recorder();
  const b = new SignalBatches(r.send);
  const all = [
    b.signal('c1', 'student', 'a', 'SIGHUP'),
    b.signal('c2', 'student', 'x', 'SIGHUP'),
    b.signal('c1', undefined, 'r', 'SIGHUP'),
    b.signal('c1', 'student', 'a', 'SIGKILL'),
    b.signal('c1', 'student', 'a', 'SIGHUP'),
    b.signal('c1', 'student', 'b', 'SIGHUP'),
  ];
  await turn();
  assert.deepEqual(
    r.sent.map((s) => `${s.container}/${s.user ?? '-'}/${s.signal}/${s.tags.join(',')}`),
    ['c1/student/SIGHUP/a,b', 'c2/student/SIGHUP/x', 'c1/-/SIGHUP/r'],
  );
  for (const f of r.finish.splice(0)) f();
  await turn();
  await turn();
  assert.deepEqual(r.sent[3], { container: 'c1', user: 'student', signal: 'SIGKILL', tags: ['a'] });
  r.finish[0]!();
  await Promise.all(all);
  assert.equal(r.sent.length, 4);
});

test('a failed delivery resolves its waiters and the next batch still goes', async () => {
  let calls = 0;
  const b = new SignalBatches(async () => {
    calls++;
    if (calls === 1) throw new Error('engine busy');
  });
  await b.signal('c1', undefined, 'a', 'SIGINT');
  await b.signal('c1', undefined, 'b', 'SIGINT');
  assert.equal(calls, 2);
});
