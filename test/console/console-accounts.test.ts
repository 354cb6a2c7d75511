/**
 * The console's account actions against the real engine (issue 13.5), through the real console login
 * (session cookie, CSRF token, Origin) on the web door: stop → not running, start → running, reset → a new
 * container with a fresh home, extend → a later expiry, expire → logins refused with the expiry message (and
 * the reconciler then removes the rest), remove → account and container gone, export → a .tar of the home.
 * Without the CSRF token (or the cookie, or from another origin) an action is refused and changes nothing.
 * Every action is an audit event with the instructor's name. Accounts are made with the console's bulk form.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashPassword } from '../../src/accounts/password.ts';
import { prompts } from '../../src/sessions/prompts.ts';
import { startWithWeb } from '../browser/browser.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { islet as cli } from '../helpers/islet-cli.ts';
import { IsletProcess } from '../helpers/islet-process.ts';
import { OpensshPassword } from '../helpers/openssh-password.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-console-acct-'));
let base = '';
let session = { cookie: '', csrf: '' };
let ssh: OpensshPassword;
const passwords = new Map<string, string>();

type Opts = { csrf?: string | null; cookie?: string | null; origin?: string };
async function post(path: string, body: unknown, o: Opts = {}): Promise<{ status: number; json: Record<string, unknown> & { results?: Result[] } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: o.origin ?? base };
  const cookie = o.cookie === undefined ? session.cookie : o.cookie;
  const csrf = o.csrf === undefined ? session.csrf : o.csrf;
  if (cookie) headers.cookie = cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  const r = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}
type Result = { account: string; ok: boolean; message: string };
const act = async (action: string, accounts: string[], extra: Record<string, unknown> = {}) => {
  const r = await post('/console/api/accounts/action', { action, accounts, ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  for (const x of r.json.results!) assert.equal(x.ok, true, `${action} ${x.account}: ${x.message}`);
  return r.json.results!;
};

/** The engine's view of an account's demo container: id and running, or undefined when there is none. */
async function engine(account: string): Promise<{ id: string; running: boolean } | undefined> {
  try {
    const { stdout } = await run('docker', ['inspect', '--format', '{{.Id}} {{.State.Running}}', `${islet.instance}.demo.${account}`], { timeout: 30_000 });
    const [id, running] = stdout.trim().split(' ');
    return { id: id!, running: running === 'true' };
  } catch {
    return undefined;
  }
}
const inContainer = (id: string, script: string) =>
  run('docker', ['exec', '-u', 'student', id, 'sh', '-c', script], { timeout: 30_000 }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
const audits = (action: string) => islet.logs.filter((l) => l.event === 'console_audit' && l.action === action);

describe('console: account actions change the engine; none without the CSRF token', { concurrency: false }, () => {
  before(async () => {
    const hash = await hashPassword('console pass 1', 2 ** 12);
    appendFileSync(join(islet.configDir, 'islet.yaml'), `\ninstructors:\n  - name: ines\n    password_hash: "${hash}"\nreconcile_interval: 1h\n`);
    base = await startWithWeb(islet);
    appendFileSync(join(islet.configDir, 'islet.yaml'), `public_address: 127.0.0.1:${islet.port}\n`);
    ssh = new OpensshPassword(work, islet.port);
    const r = await fetch(`${base}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ name: 'ines', password: 'console pass 1' }),
    });
    assert.equal(r.status, 200);
    session = { cookie: String(r.headers.get('set-cookie')).split(';')[0]!, csrf: ((await r.json()) as { csrf: string }).csrf };
    const bulk = await post('/console/api/accounts/bulk', { prefix: 'ca', count: 5, days: 1 });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.json));
    for (const s of bulk.json.slips as { name: string; password: string; ssh: string }[]) {
      passwords.set(s.name, s.password);
      assert.equal(s.ssh, `ssh -p ${islet.port} ${s.name}@127.0.0.1`);
    }
    assert.equal(passwords.size, 5);
    await act('start', [...passwords.keys()], { environment: 'demo' });
  });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('without the CSRF token, the cookie or the right Origin a stop is refused and the container keeps running; with them it stops', async () => {
    const before = await engine('ca01');
    assert.equal(before?.running, true);
    const body = { action: 'stop', accounts: ['ca01'] };
    const refusals = [
      [await post('/console/api/accounts/action', body, { csrf: null }), 403, 'CONSOLE_CSRF'],
      [await post('/console/api/accounts/action', body, { csrf: 'forged-token' }), 403, 'CONSOLE_CSRF'],
      [await post('/console/api/accounts/action', body, { cookie: null }), 401, 'CONSOLE_UNAUTHENTICATED'],
      [await post('/console/api/accounts/action', body, { origin: 'http://evil.example' }), 403, 'CONSOLE_ORIGIN_REFUSED'],
      [await post('/console/api/accounts/bulk', { prefix: 'zz', count: 1, days: 1 }, { csrf: null }), 403, 'CONSOLE_CSRF'],
    ] as const;
    for (const [r, status, code] of refusals) {
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(r.json.code, code);
    }
    assert.deepEqual(await engine('ca01'), before, 'nothing changed');
    assert.equal(audits('account_stop').length, 0);
    assert.equal(audits('accounts_created').length, 1, 'only the bulk with a token');

    assert.equal((await act('stop', ['ca01']))[0]!.message, 'demo stopped');
    assert.deepEqual(await engine('ca01'), { id: before!.id, running: false });
    assert.equal(audits('account_stop')[0]!.instructor, 'ines');
    await act('start', ['ca01']);
    assert.deepEqual(await engine('ca01'), { id: before!.id, running: true });
  });

  test('reset gives a new container from the image with a fresh home', async () => {
    const old = (await engine('ca02'))!;
    assert.equal(await inContainer(old.id, 'echo kept > ~/marker && test -e ~/marker'), 0); // the probe sees a file that is there
    await act('reset', ['ca02']);
    const now = await engine('ca02');
    assert.ok(now && now.id !== old.id && now.running, JSON.stringify(now));
    assert.equal(await inContainer(now.id, 'test -e ~/marker'), 1, 'the home starts afresh');
  });

  test('extend moves the expiry; expire refuses logins with the expiry message at once and stops the container', async () => {
    const list = async () =>
      new Map(
        (
          (await (await fetch(`${base}/console/api/accounts`, { headers: { cookie: session.cookie } })).json()) as {
            accounts: { name: string; expiresAt: string }[];
          }
        ).accounts.map((a) => [a.name, Date.parse(a.expiresAt)]),
      );
    const t0 = (await list()).get('ca03')!;
    await act('extend', ['ca03'], { days: 2 });
    assert.equal((await list()).get('ca03'), t0 + 2 * 86_400_000);

    // Control: before the expiry ca04 logs in and sees the menu.
    const okMenu = await ssh.menu('ca04', passwords.get('ca04')!, prompts.chooseNumber);
    assert.ok(okMenu.out.includes(prompts.available), okMenu.out + okMenu.err);
    await act('expire', ['ca04']);
    const refused = await ssh.menu('ca04', passwords.get('ca04')!, prompts.chooseNumber, 30_000);
    assert.ok(!refused.out.includes(prompts.available), refused.out);
    assert.match(refused.err, /Your account expired on .* Please create a new account\./);
    assert.equal((await engine('ca04'))?.running, false);
    // The reconciler's next pass (islet reap) removes the container and deletes the account, as for any expiry.
    const reap = await cli(['reap', '--config', islet.configDir, '--data', islet.dataDir], { ISLET_INSTANCE: islet.instance, ISLET_TEST_RUN: runId }, 120_000);
    assert.equal(reap.code, 0, reap.err);
    assert.equal(await engine('ca04'), undefined);
    assert.equal((await list()).has('ca04'), false);
  });

  test('remove deletes the account and its container; export hands the home over as a tar', async () => {
    assert.ok(await engine('ca05'));
    await act('remove', ['ca05']);
    assert.equal(await engine('ca05'), undefined);
    const login = await ssh.menu('ca05', passwords.get('ca05')!, prompts.chooseNumber, 30_000);
    assert.ok(!login.out.includes(prompts.available));

    const id = (await engine('ca03'))!.id;
    assert.equal(await inContainer(id, 'echo exported-content > ~/work.txt'), 0);
    const ex = await post('/console/api/accounts/export', { accounts: ['ca03'] });
    assert.equal(ex.status, 200, JSON.stringify(ex.json));
    const r = await fetch(`${base}${ex.json.download as string}`, { headers: { cookie: session.cookie } });
    assert.equal(r.status, 200);
    const tar = join(work, 'homes.tar');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tar, Buffer.from(await r.arrayBuffer()));
    const listing = (await run('tar', ['-tf', tar])).stdout.trim().split('\n');
    assert.equal(listing.length, 1);
    assert.match(listing[0]!, /^ca03-demo-.*\.tar\.gz$/);
    await run('tar', ['-xf', tar, '-C', work]);
    const inner = (await run('tar', ['-xzOf', join(work, listing[0]!)])).stdout;
    assert.ok(inner.includes('exported-content'));
    assert.equal((await fetch(`${base}${ex.json.download as string}`, { headers: { cookie: session.cookie } })).status, 404, 'one time only');
    for (const a of ['account_start', 'account_stop', 'account_reset', 'account_extend', 'account_expire', 'account_remove', 'account_export'])
      assert.ok(audits(a).every((l) => l.instructor === 'ines') && audits(a).length > 0, a);
  });
});
