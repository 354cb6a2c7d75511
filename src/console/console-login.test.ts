import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { AddressFailures } from '../access/address-failures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { hashPassword } from '../accounts/password.ts';
import { ConfigSource } from '../config/config-source.ts';
import { createLogger, onLogEvent } from '../logger.ts';
import { ConsoleLogin } from './console-login.ts';

const ORIGIN = 'http://console.test';
const HOST = 'console.test';

async function world(t: { after: (fn: () => void) => void }, extra = '') {
  const dir = mkdtempSync(join(tmpdir(), 'console-login-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = async (pw: string) => {
    writeFileSync(join(dir, 'islet.yaml'), `instructors:\n  - name: ada\n    password_hash: "${await hashPassword(pw, 2 ** 10)}"\n${extra}`);
    // A new mtime for the re-read, even within the same second.
    const when = new Date(Date.now() + Math.random() * 1e6);
    utimesSync(join(dir, 'islet.yaml'), when, when);
  };
  await yaml('correct horse');
  const config = new ConfigSource(dir);
  const store = new MemoryStore();
  /** A server: its login and routes, on the shared store and config (a second one is a restart: nothing in memory kept). */
  const server = () => {
    const addresses = new AddressFailures(store, () => ({ lockoutAfter: 1000, windowSeconds: 600, maxDelaySeconds: 0 }));
    const login = new ConsoleLogin({ config, addresses, store, log: createLogger({ level: 'info', destination: '/dev/null' }) });
    const app = Fastify();
    login.routes()(app);
    app.get('/console/api/probe', { preValidation: login.authenticated }, async (req) => ({ who: login.instructorOf(req) }));
    app.post('/console/api/change', { preValidation: login.change }, async (req) => {
      login.audit(login.instructorOf(req), 'probe', { account: 'bob', password: 'leak?' });
      return { ok: true };
    });
    t.after(() => app.close());
    return { login, app };
  };
  let { login, app } = server();
  const restart = async () => {
    await app.close();
    ({ login, app } = server());
  };
  const inject = (method: 'GET' | 'POST', url: string, o: { cookie?: string; csrf?: string; origin?: string | null; body?: unknown } = {}) =>
    app.inject({
      method,
      url,
      headers: {
        host: HOST,
        ...(o.origin === null ? {} : { origin: o.origin ?? ORIGIN }),
        ...(o.cookie ? { cookie: o.cookie } : {}),
        ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
      },
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
  const logIn = async (password = 'correct horse') => {
    const r = await inject('POST', '/console/login', { body: { name: 'ada', password } });
    const cookie = String(r.headers['set-cookie'] ?? '').split(';')[0]!;
    return { r, cookie, csrf: r.statusCode === 200 ? (r.json().csrf as string) : '' };
  };
  return { inject, logIn, yaml, login, store, restart };
}

test('login sets a __Host- session cookie; wrong passwords and unknown names get the same refusal', async (t) => {
  const w = await world(t);
  const bad = await w.logIn('wrong');
  assert.equal(bad.r.statusCode, 401);
  assert.equal(bad.r.json().code, 'CONSOLE_LOGIN_FAILED');
  assert.equal(bad.r.headers['set-cookie'], undefined);
  const unknown = await w.inject('POST', '/console/login', { body: { name: 'eve', password: 'correct horse' } });
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.json().message, bad.r.json().message);
  const ok = await w.logIn();
  assert.equal(ok.r.statusCode, 200);
  const cookie = String(ok.r.headers['set-cookie']);
  assert.match(cookie, /^__Host-islet-console=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  assert.equal(ok.r.json().instructor, 'ada');
  assert.match(ok.csrf, /^[A-Za-z0-9_-]{43}$/);
  const s = await w.inject('GET', '/console/session', { cookie: ok.cookie });
  assert.equal(s.statusCode, 200);
  assert.equal(s.json().csrf, ok.csrf);
});

test('login from another origin, or with no Origin, is refused before any password check', async (t) => {
  const w = await world(t);
  for (const origin of ['http://evil.test', 'http://console.test.evil.test', 'https://console.test', null]) {
    const r = await w.inject('POST', '/console/login', { origin, body: { name: 'ada', password: 'correct horse' } });
    assert.equal(r.statusCode, 403, String(origin));
    assert.equal(r.json().code, 'CONSOLE_ORIGIN_REFUSED');
  }
  // Control: the same request from the door's origin logs in.
  assert.equal((await w.logIn()).r.statusCode, 200);
});

test('authenticated: 401 without, with a forged or a logged-out cookie; 200 with a live one', async (t) => {
  const w = await world(t);
  const none = await w.inject('GET', '/console/api/probe');
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'CONSOLE_UNAUTHENTICATED');
  const forged = await w.inject('GET', '/console/api/probe', { cookie: `__Host-islet-console=${'A'.repeat(43)}` });
  assert.equal(forged.statusCode, 401);
  const trainee = await w.inject('GET', '/console/api/probe', { cookie: '__Host-islet-resume=abc.def' });
  assert.equal(trainee.statusCode, 401);
  const s = await w.logIn();
  const ok = await w.inject('GET', '/console/api/probe', { cookie: s.cookie });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { who: 'ada' });
  const out = await w.inject('POST', '/console/logout', { cookie: s.cookie, csrf: s.csrf });
  assert.equal(out.statusCode, 200);
  assert.match(String(out.headers['set-cookie']), /^__Host-islet-console=; .*Max-Age=0$/);
  assert.equal((await w.inject('GET', '/console/api/probe', { cookie: s.cookie })).statusCode, 401);
});

test('a WebSocket upgrade from another origin is refused with 403 even with a live cookie', async (t) => {
  const w = await world(t);
  const s = await w.logIn();
  const ws = { upgrade: 'websocket' };
  const foreign = await w.inject('GET', '/console/api/probe', { cookie: s.cookie, origin: 'http://evil.test' });
  // A plain GET is not origin-checked (SameSite=Strict keeps the cookie off cross-site requests) …
  assert.equal(foreign.statusCode, 200);
  // … but an upgrade is.
  const app = Fastify();
  app.get('/ws-probe', { preValidation: w.login.authenticated }, async () => 'ok');
  t.after(() => app.close());
  const up = (origin: string) => app.inject({ method: 'GET', url: '/ws-probe', headers: { host: HOST, origin, cookie: s.cookie, ...ws } });
  const bad = await up('http://evil.test');
  assert.equal(bad.statusCode, 403);
  assert.equal(bad.json().code, 'CONSOLE_ORIGIN_REFUSED');
  assert.equal((await up(ORIGIN)).statusCode, 200);
});

test('change: 403 without or with a forged CSRF token or from another origin; the right token passes', async (t) => {
  const w = await world(t);
  const s = await w.logIn();
  const none = await w.inject('POST', '/console/api/change', { cookie: s.cookie, body: {} });
  assert.equal(none.statusCode, 403);
  assert.equal(none.json().code, 'CONSOLE_CSRF');
  const forged = await w.inject('POST', '/console/api/change', { cookie: s.cookie, csrf: `${s.csrf.slice(0, -1)}x`, body: {} });
  assert.equal(forged.statusCode, 403);
  assert.equal(forged.json().code, 'CONSOLE_CSRF');
  const other = await w.logIn();
  assert.equal((await w.inject('POST', '/console/api/change', { cookie: s.cookie, csrf: other.csrf, body: {} })).statusCode, 403);
  const cross = await w.inject('POST', '/console/api/change', { cookie: s.cookie, csrf: s.csrf, origin: 'http://evil.test', body: {} });
  assert.equal(cross.statusCode, 403);
  assert.equal(cross.json().code, 'CONSOLE_ORIGIN_REFUSED');
  assert.equal((await w.inject('POST', '/console/api/change', { cookie: s.cookie, body: {}, csrf: s.csrf })).statusCode, 200);
});

test('audit events name the instructor and never carry a password', async (t) => {
  const w = await world(t);
  const seen: Record<string, unknown>[] = [];
  const off = onLogEvent((e) => {
    if (e.event === 'console_audit' || e.event === 'console_login_failed') seen.push({ ...e });
  });
  t.after(off);
  await w.logIn('not it');
  const s = await w.logIn();
  await w.inject('POST', '/console/api/change', { cookie: s.cookie, body: {}, csrf: s.csrf });
  assert.deepEqual(
    seen.map((e) => [e.event, e.action ?? e.reason, e.instructor ?? e.user]),
    [
      ['console_login_failed', 'bad_password', 'ada'],
      ['console_audit', 'login', 'ada'],
      ['console_audit', 'probe', 'ada'],
    ],
  );
  assert.equal(seen[2]!.account, 'bob');
  const text = JSON.stringify(seen);
  assert.ok(!text.includes('not it') && !text.includes('correct horse') && !text.includes('leak?'), text);
});

test('removing an instructor or changing their password ends their sessions', async (t) => {
  const w = await world(t);
  const s = await w.logIn();
  assert.equal((await w.inject('GET', '/console/api/probe', { cookie: s.cookie })).statusCode, 200);
  await w.yaml('a new password');
  assert.equal((await w.inject('GET', '/console/api/probe', { cookie: s.cookie })).statusCode, 401);
  assert.equal((await w.logIn('a new password')).r.statusCode, 200);
});

test('per-instructor back-off: after the configured wrong passwords even the right one is refused', async (t) => {
  const w = await world(t, 'account_lock_failures: 3\n');
  for (let i = 0; i < 3; i++) assert.equal((await w.logIn(`wrong ${i}`)).r.statusCode, 401);
  const paused = await w.logIn();
  assert.equal(paused.r.statusCode, 401);
  assert.match(paused.r.json().message, /paused until/);
});

test("sessions and the back-off are in the store: a restarted server honours both; only the key's hash is stored", async (t) => {
  const w = await world(t, 'account_lock_failures: 3\n');
  const s = await w.logIn();
  const key = s.cookie.split('=').slice(1).join('=');
  const stored = await w.store.getInstructorSession(createHash('sha256').update(key).digest('base64url'));
  assert.equal(stored?.instructor, 'ada', "stored under the key's SHA-256");
  assert.equal(await w.store.getInstructorSession(key), undefined, 'never under the key itself');
  assert.ok(!JSON.stringify(stored).includes(key) && !JSON.stringify(stored).includes(s.csrf), 'neither the key nor the CSRF token is stored');
  await w.restart();
  assert.equal((await w.inject('GET', '/console/api/probe', { cookie: s.cookie })).statusCode, 200, 'the cookie still works');
  assert.equal((await w.inject('POST', '/console/api/change', { cookie: s.cookie, csrf: s.csrf })).statusCode, 200, 'and its CSRF token');
  assert.equal(
    (await w.inject('POST', '/console/api/change', { cookie: s.cookie, csrf: 'x'.repeat(s.csrf.length) })).statusCode,
    403,
    'control: a forged token',
  );
  // Logout ends it in the store: the next restart does not bring it back.
  assert.equal((await w.inject('POST', '/console/logout', { cookie: s.cookie, csrf: s.csrf })).statusCode, 200);
  await w.restart();
  assert.equal((await w.inject('GET', '/console/api/probe', { cookie: s.cookie })).statusCode, 401);
  // The back-off: two wrong passwords, a restart, a third: paused (the count survived).
  for (let i = 0; i < 2; i++) assert.equal((await w.logIn(`wrong ${i}`)).r.statusCode, 401);
  await w.restart();
  assert.equal((await w.logIn('wrong 2')).r.statusCode, 401);
  await w.restart();
  const paused = await w.logIn();
  assert.equal(paused.r.statusCode, 401);
  assert.match(paused.r.json().message, /paused until/, 'the lock survived the restart');
});
