import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideChecks, decideReconcile, decideReconcileBetween } from './policy.ts';
import { environmentSchema, type Environment } from '../config/schema.ts';
import type { InstanceInfo } from '../runtime/runtime-driver.ts';
import type { Account, Ownership } from '../store/store.ts';

const STORE = 'store-a';
const T0 = new Date('2026-11-23T12:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const env = (name: string, o: Record<string, unknown> = {}): Environment => ({
  ...environmentSchema.parse({ image: 'x', ...o }),
  name,
  source: `${name}.yaml`,
});
const envs = new Map([
  ['demo', env('demo', { timeout: '1h', idle_stop: '10m' })],
  ['short', env('short', { days: 1 })],
]);
const acct = (name: string, expiresIn = 86400): Account => ({ name, passwordHash: 'h', createdAt: T0, expiresAt: at(expiresIn) });
const ctr = (id: string, account: string | undefined, environment = 'demo', state: InstanceInfo['state'] = 'running', createdAt = T0): InstanceInfo => ({
  id,
  name: `islet.${environment}.${account}`,
  image: 'x',
  state,
  createdAt,
  labels: { 'islet.instance': 'islet', 'islet.store': STORE, ...(account ? { 'islet.account': account } : {}), 'islet.environment': environment },
});
const row = (account: string, containerId: string, o: Partial<Ownership> = {}): Ownership => ({
  account,
  environment: 'demo',
  containerId,
  containerName: `islet.demo.${account}`,
  createdAt: T0,
  state: 'running',
  startedAt: T0,
  ...o,
});

test('reconcile: expired and deleted accounts lose their containers; expired accounts are deleted', () => {
  const actions = decideReconcile({
    storeId: STORE,
    now: at(100),
    environments: envs,
    accounts: [acct('alice'), acct('old', 50)],
    ownership: [row('alice', 'c1'), row('old', 'c2')],
    containers: [ctr('c1', 'alice'), ctr('c2', 'old'), ctr('c3', 'gone'), ctr('c4', undefined)],
  });
  assert.deepEqual(
    actions.filter((a) => a.kind === 'remove').map((a) => [a.containerId, a.reason]),
    [
      ['c2', 'account_expired'],
      ['c3', 'account_gone'],
      ['c4', 'orphan'],
    ],
  );
  assert.deepEqual(
    actions.filter((a) => a.kind === 'delete_account').map((a) => a.account),
    ['old'],
  );
  assert.equal(
    actions.some((a) => a.kind === 'remove' && a.containerId === 'c1'),
    false,
    'a live, valid container is never touched',
  );
});

test('reconcile: adopts live containers without a row, forgets rows whose container vanished, syncs state', () => {
  const actions = decideReconcile({
    storeId: STORE,
    now: at(100),
    environments: envs,
    accounts: [acct('alice'), acct('bob'), acct('carol')],
    ownership: [row('bob', 'gone-id'), row('carol', 'c9', { state: 'running' })],
    containers: [ctr('c1', 'alice'), ctr('c9', 'carol', 'demo', 'exited')],
  });
  const adopt = actions.find((a) => a.kind === 'adopt');
  assert.equal(adopt?.kind === 'adopt' && adopt.ownership.containerId, 'c1');
  assert.deepEqual(
    actions.filter((a) => a.kind === 'forget').map((a) => a.kind === 'forget' && a.account),
    ['bob'],
  );
  assert.deepEqual(
    actions.filter((a) => a.kind === 'sync_state'),
    [{ kind: 'sync_state', account: 'carol', environment: 'demo', state: 'stopped' }],
  );
});

test('reconcile: a duplicate container for a pair is removed, the recorded one kept', () => {
  const actions = decideReconcile({
    storeId: STORE,
    now: at(1),
    environments: envs,
    accounts: [acct('alice')],
    ownership: [row('alice', 'c1')],
    containers: [ctr('c1', 'alice'), ctr('c2', 'alice')],
  });
  assert.deepEqual(
    actions.map((a) => (a.kind === 'remove' ? [a.containerId, a.reason] : a.kind)),
    [['c2', 'duplicate']],
  );
});

test('reconcile: per-environment days removes old containers but keeps the account', () => {
  const actions = decideReconcile({
    storeId: STORE,
    now: at(86400 + 1),
    environments: envs,
    accounts: [acct('alice', 3 * 86400)],
    ownership: [{ ...row('alice', 'c1'), environment: 'short' }],
    containers: [ctr('c1', 'alice', 'short')],
  });
  assert.deepEqual(
    actions.map((a) => a.kind),
    ['remove', 'forget'],
  );
});

test('reconcile is idempotent: a consistent snapshot yields nothing', () => {
  assert.deepEqual(
    decideReconcile({
      storeId: STORE,
      now: at(1),
      environments: envs,
      accounts: [acct('alice')],
      ownership: [row('alice', 'c1')],
      containers: [ctr('c1', 'alice')],
    }),
    [],
  );
});

test('reconcile: containers of another store, and unlabelled ones this store has no row for, are never acted on', () => {
  const other = (c: InstanceInfo): InstanceInfo => ({ ...c, labels: { ...c.labels, 'islet.store': 'store-b' } });
  const legacy = (c: InstanceInfo): InstanceInfo => {
    const { 'islet.store': _, ...labels } = c.labels;
    return { ...c, labels };
  };
  const input = {
    storeId: STORE,
    now: at(100),
    environments: envs,
    accounts: [acct('alice'), acct('old', 50)],
    ownership: [row('alice', 'l1')],
    containers: [other(ctr('f1', 'gone')), other(ctr('f2', undefined)), other(ctr('f3', 'old')), legacy(ctr('l1', 'alice')), legacy(ctr('l2', 'ghost'))],
  };
  // Control: the same containers labelled as this store's are removed (account gone, orphan, expired).
  const own = decideReconcile({ ...input, containers: input.containers.map((c) => ({ ...c, labels: { ...c.labels, 'islet.store': STORE } })) });
  assert.deepEqual(
    own
      .filter((a) => a.kind === 'remove')
      .map((a) => a.kind === 'remove' && a.containerId)
      .sort(),
    ['f1', 'f2', 'f3', 'l2'],
  );
  const actions = decideReconcile(input);
  assert.deepEqual(
    actions.filter((a) => a.kind !== 'delete_account'),
    [],
    'nothing of another store is removed or adopted; the unlabelled container with a row is simply kept',
  );
  const taken = decideReconcile({ ...input, adopted: new Set(['f1']) });
  assert.deepEqual(
    taken.filter((a) => a.kind === 'remove').map((a) => a.kind === 'remove' && [a.containerId, a.reason]),
    [['f1', 'account_gone']],
    "a container taken over is this store's",
  );
});

test('reconcile between two store reads: a login that happens while the engine is listed is never undone', () => {
  const base = { storeId: STORE, now: at(100), environments: envs };
  // New account "new" with container n1 and its row, all made after the first store read.
  const before = { accounts: [acct('alice')], ownership: [row('alice', 'c1')], adopted: new Set<string>() };
  const after = { accounts: [acct('alice'), acct('new')], ownership: [row('alice', 'c1'), row('new', 'n1')], adopted: new Set<string>() };
  const containers = [ctr('c1', 'alice'), ctr('n1', 'new')];
  assert.ok(
    decideReconcile({ ...base, ...before, containers }).some((a) => a.kind === 'remove' && a.containerId === 'n1'),
    'control: the first read alone would remove it as account_gone',
  );
  assert.deepEqual(decideReconcileBetween({ ...base, before, after, containers }), []);
  // A container made after the listing whose row the second read sees: the second read alone would forget the row.
  assert.ok(
    decideReconcile({ ...base, ...after, containers: [ctr('c1', 'alice')] }).some((a) => a.kind === 'forget' && a.account === 'new'),
    'control: the second read alone forgets it',
  );
  assert.deepEqual(decideReconcileBetween({ ...base, before, after, containers: [ctr('c1', 'alice')] }), []);
});

test('checks: notices at 5 and 1 minutes before the maximum running time, once each, then a stop', () => {
  const base = { environments: envs, attached: () => 1, since: T0, running: [row('alice', 'c1')] };
  assert.deepEqual(decideChecks({ ...base, now: at(3600 - 400), noticed: new Set() }), []);
  const five = decideChecks({ ...base, now: at(3600 - 290), noticed: new Set() });
  assert.equal(five.length, 1);
  assert.ok(five[0]!.kind === 'notice' && five[0]!.minutesLeft === 5);
  const noticed = new Set(five[0]!.kind === 'notice' ? five[0]!.keys : []);
  assert.deepEqual(decideChecks({ ...base, now: at(3600 - 200), noticed }), [], 'the 5-minute notice goes out once');
  const one = decideChecks({ ...base, now: at(3600 - 50), noticed });
  assert.ok(one[0]?.kind === 'notice' && one[0].minutesLeft === 1);
  assert.deepEqual(
    decideChecks({ ...base, now: at(3600), noticed }).map((a) => a.kind === 'stop' && a.reason),
    ['max_runtime'],
  );
  const late = decideChecks({ ...base, now: at(3600 - 30), noticed: new Set() });
  assert.equal(late.length, 1, 'a container already past both marks gets one notice');
  const after = new Set(late[0]!.kind === 'notice' ? late[0]!.keys : []);
  assert.deepEqual(decideChecks({ ...base, now: at(3600 - 20), noticed: after }), [], 'and not a second one');
});

test('checks: idleness counts only with nobody attached, from the last visit or this process start', () => {
  const r = row('alice', 'c1', { lastSeenAt: at(100) });
  const input = { environments: envs, running: [r], noticed: new Set<string>(), since: T0 };
  assert.deepEqual(decideChecks({ ...input, attached: () => 1, now: at(100 + 601) }), [], 'attached: never idle');
  assert.deepEqual(decideChecks({ ...input, attached: () => 0, now: at(100 + 599) }), []);
  assert.deepEqual(
    decideChecks({ ...input, attached: () => 0, now: at(100 + 600) }).map((a) => a.kind),
    ['idle_candidate'],
  );
  assert.deepEqual(decideChecks({ ...input, since: at(500), attached: () => 0, now: at(100 + 600) }), [], 'a restart does not count as idle time');
});
