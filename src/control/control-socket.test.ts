/**
 * The control socket: one request, one answer; owner-only; a stale socket file of a dead server is
 * replaced; no server is CONTROL_UNAVAILABLE at once (never a hang); refusals keep their stable code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsletError } from '../core/islet-error.ts';
import { memoryLogger } from '../../test/helpers/unit-world.ts';
import { controlRequest } from './control-client.ts';
import { controlSocketPath, listenControl } from './control-socket.ts';

const unavailable = (e: unknown) => e instanceof IsletError && e.code === 'CONTROL_UNAVAILABLE';

test('a request reaches the server and its answer comes back; refusals keep their code; owner-only socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-control-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Control first: no server, a clear refusal.
  await assert.rejects(controlRequest(dir, { op: 'broadcast', message: 'hi' }), unavailable);
  // A stale socket file (a server that died) is replaced, not a reason to fail.
  writeFileSync(controlSocketPath(dir), '');
  const seen: unknown[] = [];
  const server = await listenControl(
    dir,
    async (req) => {
      seen.push(req);
      if (req.message === '') throw new IsletError('BROADCAST_INVALID', 'The message is empty.');
      return { shells: 2, menus: 1 };
    },
    memoryLogger().log,
  );
  assert.equal(statSync(controlSocketPath(dir)).mode & 0o777, 0o600);
  assert.deepEqual(await controlRequest(dir, { op: 'broadcast', message: 'hi', account: 'alice' }), { ok: true, shells: 2, menus: 1 });
  assert.deepEqual(seen, [{ op: 'broadcast', message: 'hi', account: 'alice' }]);
  assert.deepEqual(await controlRequest(dir, { op: 'broadcast', message: '' }), { ok: false, code: 'BROADCAST_INVALID', message: 'The message is empty.' });
  // A second server on the same data directory does not take the socket of a live one.
  const second = await listenControl(dir, async () => ({ second: true }), memoryLogger().log);
  assert.deepEqual(await controlRequest(dir, { op: 'broadcast', message: 'hi' }), { ok: true, shells: 2, menus: 1 });
  await second.close();
  await server.close();
  await assert.rejects(controlRequest(dir, { op: 'broadcast', message: 'hi' }), unavailable, 'closed: the socket is gone');
});
