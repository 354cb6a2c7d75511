/**
 * Nothing that matters lives only in memory (issue 13): the instructor console's sessions and the
 * per-instructor login back-off are in the store, so a restart of the real server (`bin/islet serve`, the
 * same data directory) keeps an instructor logged in (the same cookie, the same CSRF token) and keeps counting
 * an instructor's wrong passwords and their lock. Controls: a forged cookie is refused after the restart; a
 * logged-out session stays out after another; the right password of an unlocked instructor works.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { startWithWeb } from '../browser/browser.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
let base = '';

async function request(method: 'GET' | 'POST', url: string, o: { cookie?: string; csrf?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { origin: base, 'content-type': 'application/json' };
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  const r = await fetch(`${base}${url}`, { method, headers, ...(method === 'POST' ? { body: JSON.stringify(o.body ?? {}) } : {}) });
  return { status: r.status, json: (await r.json().catch(() => ({}))) as Record<string, string>, setCookie: r.headers.get('set-cookie') ?? '' };
}

const login = (name: string, password: string) => request('POST', '/console/login', { body: { name, password } });

async function restart(): Promise<void> {
  await islet.stop();
  islet.logs.length = 0; // startWithWeb waits for this run's web_listening line
  base = await startWithWeb(islet);
}

describe('instructor console across a restart', { concurrency: false, timeout: 300_000 }, () => {
  before(async () => {
    for (const [name, pw] of [
      ['ada', 'instructor-pw-1'],
      ['bob', 'instructor-pw-2'],
    ] as const)
      execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', name, '--config', islet.configDir], { input: `${pw}\n` });
    appendFileSync(join(islet.configDir, 'islet.yaml'), '\naccount_lock_failures: 3\nlogin_failure_delay: 0s\n');
    base = await startWithWeb(islet);
  });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('the session cookie and its CSRF token still work after a restart; the back-off keeps counting and its lock holds', async () => {
    const ok = await login('ada', 'instructor-pw-1');
    assert.equal(ok.status, 200);
    const cookie = ok.setCookie.split(';')[0]!;
    const csrf = ok.json.csrf!;
    assert.equal((await request('GET', '/console/session', { cookie })).status, 200);
    // bob: two wrong passwords of the three that lock.
    for (const pw of ['wrong-1', 'wrong-2']) assert.equal((await login('bob', pw)).status, 401);

    await restart();
    const s = await request('GET', '/console/session', { cookie });
    assert.equal(s.status, 200, 'the cookie of before the restart');
    assert.equal(s.json.instructor, 'ada');
    assert.equal(s.json.csrf, csrf, 'the same CSRF token');
    const forged = `${cookie.slice(0, -4)}AAAA`;
    assert.equal((await request('GET', '/console/session', { cookie: forged })).status, 401, 'control: a forged cookie');
    // The third wrong password after the restart locks bob: even his right password is refused now.
    assert.equal((await login('bob', 'wrong-3')).status, 401);
    const paused = await login('bob', 'instructor-pw-2');
    assert.equal(paused.status, 401);
    assert.match(paused.json.message!, /paused until/);

    // The lock survives another restart; ada (not locked) logs in with her password (the control).
    await restart();
    assert.match((await login('bob', 'instructor-pw-2')).json.message ?? '', /paused until/, 'still locked after a restart');
    assert.equal((await login('ada', 'instructor-pw-1')).status, 200);

    // Logout ends the session in the store: a restart does not bring it back.
    assert.equal((await request('POST', '/console/logout', { cookie, csrf })).status, 200);
    await restart();
    assert.equal((await request('GET', '/console/session', { cookie })).status, 401);
  });
});
