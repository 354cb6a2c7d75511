/**
 * LeaderLease on the memory store with a moved clock: who leads, when a holder stops counting itself leader
 * (before another can take over), that a store failure does not extend leadership, and that stop() frees
 * the lease. The same lease between two PostgreSQL stores: src/store/postgres-store.test.ts; two real
 * front doors: test/e2e/store-postgres.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../logger.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { LeaderLease } from './leader-lease.ts';

const log = createLogger({ level: 'silent' });

test('one leader at a time; a leader stops acting renewMs before its lease could be taken; stop() frees it at once', async () => {
  const store = new MemoryStore();
  const clock = { now: 1_000_000 };
  const make = (holder: string) => new LeaderLease({ store, log, holder, ttlMs: 30_000, renewMs: 10_000, now: () => clock.now });
  const a = make('a');
  const b = make('b');
  assert.equal(a.isLeader(), false, 'nobody leads before a renewal');
  assert.equal(await a.renew(), true);
  assert.equal(await b.renew(), false);
  clock.now += 19_999;
  assert.equal(a.isLeader(), true);
  clock.now += 1;
  assert.equal(a.isLeader(), false, 'without a renewal a stops leading 20 s after the last one');
  assert.equal(await b.renew(), false, 'while a cannot be sure, b cannot take the lease either (it runs 30 s)');
  clock.now += 10_000;
  assert.equal(await b.renew(), true, 'the lease ran out: b takes over');
  assert.equal(await a.renew(), false);
  await b.stop();
  assert.equal(b.isLeader(), false);
  assert.equal(await a.renew(), true, 'given up: a takes it at once');
});

test('a renewal that fails keeps leadership only as long as the last good one allows', async () => {
  const store = new MemoryStore();
  const clock = { now: 0 };
  const lease = new LeaderLease({ store, log, holder: 'a', ttlMs: 30_000, renewMs: 10_000, now: () => clock.now });
  assert.equal(await lease.renew(), true);
  await store.close(); // every store call now fails with STORE_FAILED
  clock.now += 10_000;
  assert.equal(await lease.renew(), true, 'the last good renewal still covers now');
  clock.now += 10_000;
  assert.equal(await lease.renew(), false, 'but not past it');
});
