/**
 * Admission on the in-memory store: per-account cap, a first-come first-served
 * line with its place announced, release lets the next in, the wait limit,
 * and a trainee who leaves the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { Admission, type AdmissionLimits } from './admission.ts';

function world(limits: AdmissionLimits) {
  const store = new MemoryStore();
  const lim = { ...limits };
  const admission = new Admission(store, () => lim);
  /** Records a running container for `account`, as the runner does after a start. */
  const running = async (account: string, env: string) => {
    if (!(await store.getAccount(account))) await store.createAccount({ name: account, passwordHash: 'x', createdAt: new Date(0), expiresAt: new Date(8e15) });
    const names = { containerId: `${account}-${env}`, containerName: `${account}.${env}` };
    await store.putOwnership({ account, environment: env, ...names, createdAt: new Date(0), state: 'running' });
  };
  return { store, admission, lim, running };
}

const code = (c: string) => (e: unknown) => e instanceof IsletError && e.code === c;

test('an account at its own limit is refused at once with CAPACITY_ACCOUNT; below it (control) it is admitted', async () => {
  const { admission, running } = world({ maxContainers: 10, maxPerAccount: 2, waitSeconds: 5 });
  await running('alice', 'a');
  const release = await admission.admit(
    'alice',
    () => undefined,
    () => false,
  );
  release();
  await running('alice', 'b');
  await assert.rejects(
    admission.admit(
      'alice',
      () => undefined,
      () => false,
    ),
    code('CAPACITY_ACCOUNT'),
  );
  (
    await admission.admit(
      'bob',
      () => undefined,
      () => false,
    )
  )();
});

test('a full host puts trainees in line, tells each their place, and admits them in order as places free', async () => {
  const { admission, store, running } = world({ maxContainers: 1, maxPerAccount: 0, waitSeconds: 30 });
  await running('alice', 'demo');
  const said: Record<string, string[]> = { bob: [], carol: [] };
  const order: string[] = [];
  const bob = admission
    .admit(
      'bob',
      (s) => said.bob!.push(s),
      () => false,
    )
    .then((r) => {
      order.push('bob');
      return r;
    });
  await new Promise((r) => setTimeout(r, 20));
  const carol = admission
    .admit(
      'carol',
      (s) => said.carol!.push(s),
      () => false,
    )
    .then((r) => {
      order.push('carol');
      return r;
    });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, [], 'nobody is admitted while the host is full');
  assert.match(said.bob!.join(''), /you are number 1 in line/);
  assert.match(said.carol!.join(''), /you are number 2 in line/);
  await store.markStopped('alice', 'demo', 'shell exited');
  admission.changed();
  const releaseBob = await bob;
  assert.deepEqual(order, ['bob']);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, ['bob'], "bob's reservation still holds the one place");
  releaseBob();
  (await carol)();
  assert.deepEqual(order, ['bob', 'carol']);
  assert.match(said.carol!.join(''), /number 1 in line/, 'carol moved up');
});

test('the wait is bounded (CAPACITY_FULL), and a trainee who leaves the line ends with SESSION_TIMEOUT', async () => {
  const { admission, lim, running } = world({ maxContainers: 1, maxPerAccount: 0, waitSeconds: 1 });
  await running('alice', 'demo');
  const t0 = Date.now();
  await assert.rejects(
    admission.admit(
      'bob',
      () => undefined,
      () => false,
    ),
    code('CAPACITY_FULL'),
  );
  assert.ok(Date.now() - t0 >= 900, 'waited for admission_wait first');
  let gone = false;
  lim.waitSeconds = 30;
  const leaving = admission.admit(
    'carol',
    () => undefined,
    () => gone,
  );
  gone = true;
  admission.changed();
  await assert.rejects(leaving, code('SESSION_TIMEOUT'));
  lim.maxContainers = 0;
  (
    await admission.admit(
      'dave',
      () => undefined,
      () => false,
    )
  )();
});
