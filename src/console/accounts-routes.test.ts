/**
 * The console's account actions and bulk creation on fakes (unit-world: MemoryStore, FakeDriver), behind
 * a stub ConsoleGuard that mirrors the contract: 401 without an instructor, 403 on a change without the
 * CSRF token. The real guard and engine: test/e2e/console-accounts.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { AdminService } from '../admin/admin-service.ts';
import { IsletError } from '../core/islet-error.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import type { ConsoleGuard } from './console-guard.ts';
import { accountsRoutes } from './accounts-routes.ts';

function stubGuard() {
  const audits: Array<{ instructor: string; action: string; detail: Record<string, unknown> }> = [];
  const who = (req: FastifyRequest) => req.headers['x-test-instructor'] as string | undefined;
  const guard: ConsoleGuard = {
    authenticated: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!who(req)) await reply.code(401).send({ code: 'CONSOLE_UNAUTHENTICATED' });
    },
    change: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!who(req)) await reply.code(401).send({ code: 'CONSOLE_UNAUTHENTICATED' });
      else if (req.headers['x-csrf-token'] !== 'tok') await reply.code(403).send({ code: 'CONSOLE_CSRF' });
    },
    instructorOf: (req) => who(req)!,
    audit: (instructor, action, detail) => audits.push({ instructor, action, detail: { ...detail } }),
  };
  return { guard, audits };
}

async function setup(t: import('node:test').TestContext) {
  const w = unitWorld({
    environments: { demo: 'image: islet/demo:latest\nuser: student\n', other: 'image: islet/demo:latest\nuser: student\n' },
    islet: 'public_address: islet.example.org:2222\nweb_origins: ["https://islet.example.org"]\n',
  });
  const admin = new AdminService({
    store: w.store,
    driver: w.driver,
    runner: w.runner,
    lifecycle: w.lifecycle,
    instance: w.instance,
    config: w.config,
    auth: w.auth,
    accounts: w.accounts,
    log: w.log,
    exportDir: `${w.dir}/exports`,
    now: w.now,
  });
  const { guard, audits } = stubGuard();
  const app = Fastify();
  await app.register(async (scope) => accountsRoutes(guard, { admin, store: w.store, config: w.config })(scope));
  t.after(async () => {
    await app.close();
    await w.close();
  });
  const policy = { minPasswordLength: 8, days: 1, reserved: new Set<string>() };
  for (const n of ['alice', 'bob']) await w.accounts.create(n, 'password1', policy);
  const send = (url: string, payload: unknown, headers: Record<string, string> = { 'x-test-instructor': 'ines', 'x-csrf-token': 'tok' }) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers });
  const state = async (account: string, env = 'demo') => {
    const row = await w.store.getOwnership(account, env);
    return row ? { id: row.containerId, state: (await w.driver.inspect(row.containerId))?.state } : undefined;
  };
  return { w, app, audits, send, state };
}

test('without the CSRF token an action is refused (403) and changes nothing; with it the container stops', async (t) => {
  const { w, send, state, audits } = await setup(t);
  await w.runner.ensureRunning('alice', w.env('demo'));
  assert.equal((await state('alice'))?.state, 'running');
  const forged = await send('/console/api/accounts/action', { action: 'stop', accounts: ['alice'] }, { 'x-test-instructor': 'ines', 'x-csrf-token': 'bad' });
  assert.equal(forged.statusCode, 403);
  const anon = await send('/console/api/accounts/action', { action: 'stop', accounts: ['alice'] }, {});
  assert.equal(anon.statusCode, 401);
  assert.equal((await state('alice'))?.state, 'running');
  assert.equal(audits.length, 0);
  const ok = await send('/console/api/accounts/action', { action: 'stop', accounts: ['alice'] });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json().results, [{ account: 'alice', ok: true, message: 'demo stopped' }]);
  assert.notEqual((await state('alice'))?.state, 'running');
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.stopReason, 'stopped by instructor ines');
  assert.deepEqual(audits, [{ instructor: 'ines', action: 'account_stop', detail: { account: 'alice', ok: true } }]);
});

test('start, reset (a new container, started), extend, expire and remove on a selection; unknown accounts reported', async (t) => {
  const { w, send, state, audits } = await setup(t);
  const start = await send('/console/api/accounts/action', { action: 'start', accounts: ['alice', 'bob', 'nobody'], environment: 'demo' });
  const r = start.json().results;
  assert.deepEqual(
    r.map((x: { ok: boolean }) => x.ok),
    [true, true, false],
  );
  assert.equal(r[2].code, 'ADMIN_NOT_FOUND');
  assert.equal((await state('alice'))?.state, 'running');
  const before = (await state('alice'))!.id;
  const reset = await send('/console/api/accounts/action', { action: 'reset', accounts: ['alice'] });
  assert.equal(reset.json().results[0].ok, true, reset.body);
  const after = await state('alice');
  assert.ok(after && after.id !== before && after.state === 'running', JSON.stringify(after));
  assert.equal(await w.driver.inspect(before), undefined);

  const exp0 = (await w.store.getAccount('bob'))!.expiresAt.getTime();
  const ext = await send('/console/api/accounts/action', { action: 'extend', accounts: ['bob'], days: 2 });
  assert.match(ext.json().results[0].message, /^now expires /);
  assert.equal((await w.store.getAccount('bob'))!.expiresAt.getTime(), exp0 + 2 * 86_400_000);

  const bobBefore = await state('bob');
  assert.equal(bobBefore?.state, 'running');
  const expire = await send('/console/api/accounts/action', { action: 'expire', accounts: ['bob'] });
  assert.equal(expire.json().results[0].ok, true);
  await assert.rejects(w.accounts.login('bob', 'password1'), (e: IsletError) => e.code === 'ACCOUNT_EXPIRED');
  assert.notEqual((await state('bob'))?.state, 'running', 'stopped at once');
  await w.lifecycle.reconcile(); // the reconciler's next pass: as for any expiry
  assert.equal(await w.store.getAccount('bob'), undefined);
  assert.equal(await w.driver.inspect(bobBefore!.id), undefined);

  const remove = await send('/console/api/accounts/action', { action: 'remove', accounts: ['alice'] });
  assert.equal(remove.json().results[0].ok, true);
  assert.equal(await w.store.getAccount('alice'), undefined);
  assert.equal(await w.driver.inspect(after!.id), undefined);
  assert.deepEqual(
    audits.map((a) => `${a.action}:${a.detail.account}:${a.detail.ok}`),
    [
      'account_start:alice:true',
      'account_start:bob:true',
      'account_start:nobody:false',
      'account_reset:alice:true',
      'account_extend:bob:true',
      'account_expire:bob:true',
      'account_remove:alice:true',
    ],
  );
});

test('bad requests: 400 ADMIN_INVALID naming the value', async (t) => {
  const { send } = await setup(t);
  for (const [body, what] of [
    [{ action: 'explode', accounts: ['alice'] }, /action/],
    [{ action: 'stop', accounts: [] }, /accounts/],
    [{ action: 'stop', accounts: ['../x'] }, /accounts/],
    [{ action: 'stop', accounts: ['alice'], environment: 'nope' }, /environment/],
    [{ action: 'extend', accounts: ['alice'] }, /days/],
  ] as const) {
    const r = await send('/console/api/accounts/action', body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.equal(r.json().code, 'ADMIN_INVALID');
    assert.match(r.json().message, what);
  }
});

test('bulk: accounts with passphrases that log in, slips with QR codes, CSV and sheet, once; the audit holds no passphrase', async (t) => {
  const { w, send, audits, app } = await setup(t);
  const r = await send('/console/api/accounts/bulk', { prefix: 'lab', count: 3, days: 1, environments: ['other'] });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  const { slips, csv, sheet } = r.json();
  assert.deepEqual(
    slips.map((s: { name: string }) => s.name),
    ['lab01', 'lab02', 'lab03'],
  );
  for (const s of slips) {
    assert.deepEqual((await w.accounts.login(s.name, s.password)).environments, ['other']);
    assert.equal(s.ssh, `ssh -p 2222 ${s.name}@islet.example.org`);
    assert.equal(s.url, 'https://islet.example.org/');
    assert.match(s.qr, /^data:image\/svg\+xml;base64,/);
    assert.ok(csv.includes(`${s.name},${s.password},`) && sheet.includes(s.password));
  }
  assert.equal(audits.length, 1);
  assert.equal(audits[0]!.action, 'accounts_created');
  const text = JSON.stringify(audits);
  for (const s of slips) assert.ok(!text.includes(s.password));
  const refused = await send('/console/api/accounts/bulk', { prefix: 'lab', count: 0, days: 1 });
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.json().code, 'ADMIN_INVALID');
  const noToken = await send('/console/api/accounts/bulk', { prefix: 'zz', count: 1, days: 1 }, { 'x-test-instructor': 'ines' });
  assert.equal(noToken.statusCode, 403);
  assert.equal(await w.store.getAccount('zz01'), undefined);
  const list = await app.inject({ method: 'GET', url: '/console/api/accounts', headers: { 'x-test-instructor': 'ines' } });
  assert.deepEqual(
    list.json().accounts.map((a: { name: string }) => a.name),
    ['alice', 'bob', 'lab01', 'lab02', 'lab03'],
  );
});

test('export: a one-time link for the same instructor streams a tar of the homes', async (t) => {
  const { w, send, app } = await setup(t);
  await w.runner.ensureRunning('alice', w.env('demo'));
  const r = await send('/console/api/accounts/export', { accounts: ['alice', 'bob'] });
  assert.equal(r.statusCode, 200, r.body);
  const { download, files, problems } = r.json();
  assert.equal(files.length, 1);
  assert.match(files[0], /^alice-demo-.*\.tar\.gz$/);
  assert.equal(problems[0].account, 'bob');
  const other = await app.inject({ method: 'GET', url: download, headers: { 'x-test-instructor': 'mallory' } });
  assert.equal(other.statusCode, 404); // not hers: and the link is not used up by her try
  const got = await app.inject({ method: 'GET', url: download, headers: { 'x-test-instructor': 'ines' } });
  assert.equal(got.statusCode, 200);
  assert.equal(got.headers['content-type'], 'application/x-tar');
  const names: string[] = [];
  const ex = extract();
  ex.on('entry', (h, s, next) => {
    names.push(h.name);
    s.resume();
    s.on('end', next);
  });
  await new Promise((res, rej) => {
    ex.on('finish', () => res(undefined));
    ex.on('error', rej);
    Readable.from(got.rawPayload).pipe(ex);
  });
  assert.deepEqual(names, files);
  const again = await app.inject({ method: 'GET', url: download, headers: { 'x-test-instructor': 'ines' } });
  assert.equal(again.statusCode, 404);
});
