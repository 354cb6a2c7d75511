/** MemoryStore passes the Store case suite SqliteStore passes (sqlite-store.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { MemoryStore } from './memory-store.ts';
import { storeConformance } from './store.case.ts';

storeConformance('MemoryStore', () => new MemoryStore());

test('MemoryStore: reads are copies, and a closed store refuses with STORE_FAILED', async () => {
  const s = new MemoryStore();
  await s.createAccount({ name: 'alice', passwordHash: 'x', createdAt: new Date(1), expiresAt: new Date(2) });
  ((await s.getAccount('alice')) as { passwordHash: string }).passwordHash = 'changed';
  assert.equal((await s.getAccount('alice'))?.passwordHash, 'x');
  await s.close();
  await assert.rejects(s.getAccount('alice'), (e: unknown) => e instanceof IsletError && e.code === 'STORE_FAILED');
});
