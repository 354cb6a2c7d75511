/**
 * Security: failed logins slow the guesser and pause the guessed account,
 * never the room; account creation and idle connections are limited. Real
 * `islet serve`, node's ssh2 client, the real CLI.
 *
 * Each test connects from its own loopback addresses (127.0.0.x all reach
 * the server on 127.0.0.1), so per-address counters never leak between tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import ssh2, { Client, type AnyAuthMethod } from 'ssh2';
import { IsletProcess, repoRoot, type LogLine } from '../helpers/islet-process.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { newAccountSsh } from '../helpers/ssh-journey.ts';
import { readableEd25519 } from '../../src/sshd/host-keys.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const N = 4; // account_lock_failures in this suite (default 10)
const LIMITS = {
  account_lock_failures: N,
  login_failure_delay: '1s',
  ssh_channel_grace: '2s',
  account_creations_per_ip: 3,
  menu_timeout: '6s',
};
const PAUSED = /Too many wrong passwords for this account: password logins are paused until .*UTC/;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'bin/islet'),
      [...args, '--config', islet.configDir, '--data', islet.dataDir],
      { env: { ...process.env, ISLET_INSTANCE: islet.instance }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Attempt {
  ready: boolean;
  banners: string[];
  offered: number;
  error?: string;
  client: Client;
  closed: Promise<void>;
}

/** Logs in from `local` offering `offers` in turn (then gives up); resolves once in or closed. */
function attempt(local: string, username: string, offers: AnyAuthMethod[], timeoutMs = 30_000): Promise<Attempt> {
  const client = new Client();
  let closedResolve!: () => void;
  const res: Attempt = {
    ready: false,
    banners: [],
    offered: 0,
    client,
    closed: new Promise<void>((r) => {
      closedResolve = r;
    }),
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.error = 'timeout';
      client.destroy();
    }, timeoutMs);
    client.on('banner', (m: string) => res.banners.push(m));
    client.on('ready', () => {
      clearTimeout(timer);
      res.ready = true;
      resolve(res);
    });
    client.on('error', (e: Error) => {
      res.error ??= e.message;
    });
    client.on('close', () => {
      clearTimeout(timer);
      closedResolve();
      resolve(res);
    });
    client.connect({
      host: '127.0.0.1',
      port: islet.port,
      localAddress: local,
      username,
      readyTimeout: timeoutMs,
      hostVerifier: () => true,
      authHandler: (_left, _partial, cb) => {
        const o = offers[res.offered++];
        (cb as (o: AnyAuthMethod | false) => void)(o ?? false);
      },
    });
  });
}

const pw = (username: string, password: string): AnyAuthMethod => ({ type: 'password', username, password });

/** Logs in with a password; closes the connection; says whether it got in and what banners came. */
async function tryPassword(local: string, username: string, password: string): Promise<{ ready: boolean; banners: string }> {
  const r = await attempt(local, username, [pw(username, password)]);
  r.client.end();
  return { ready: r.ready, banners: r.banners.join('') };
}

const KEY = readableEd25519();

async function keyLogin(local: string, username: string): Promise<boolean> {
  const r = await attempt(local, username, [{ type: 'publickey', username, key: KEY.private }]);
  r.client.end();
  return r.ready;
}

/** A shell through the gate from `local`. */
async function gateShell(local: string): Promise<SshTrainee> {
  const t = new SshTrainee();
  await t.connect(islet.port, 'demo', 'demo', '127.0.0.1', local);
  return t;
}

/**
 * OpenSSH with a password from SSH_ASKPASS (no terminal needed): `method` only, one prompt.
 * Resolves with its exit code and stderr (where OpenSSH prints the server's banner and, at VERBOSE, "Authenticated to").
 */
function openssh(local: string, user: string, password: string, method: 'password' | 'keyboard-interactive'): Promise<{ code: number; stderr: string }> {
  const askpass = join(islet.dataDir, '..', `askpass-${method}`);
  writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${password}'\n`, { mode: 0o700 });
  return new Promise((resolve) => {
    execFile(
      'ssh',
      [
        '-b',
        local,
        '-p',
        String(islet.port),
        '-o',
        `PreferredAuthentications=${method}`,
        '-o',
        'NumberOfPasswordPrompts=1',
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'ConnectTimeout=20',
        '-o',
        'LogLevel=VERBOSE',
        '-T',
        `${user}@127.0.0.1`,
        'true',
      ],
      { env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

const logsOf = (pred: (l: LogLine) => boolean) => islet.logs.filter(pred);

describe('login throttling, creation limits and idle connections', { concurrency: false }, () => {
  before(async () => {
    const yaml = join(islet.configDir, 'islet.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^menu_timeout:.*$/m, ''));
    appendFileSync(
      yaml,
      `\n# throttling suite limits\n${Object.entries(LIMITS)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n`,
    );
    await islet.start();
    for (const [user, password] of [
      ['victim', 'victim-pw'],
      ['other', 'other-pw'],
    ] as const) {
      const t = await gateShell('127.0.0.21');
      await newAccountSsh(t, user, password);
      t.end();
    }
    const keyFile = join(islet.dataDir, '..', 'victim.pub');
    writeFileSync(keyFile, `${KEY.public}\n`);
    const k = await cli('keys', 'victim', keyFile);
    assert.equal(k.code, 0, k.stderr);
  });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test(`${N} wrong passwords for one account pause its password logins from every address, with a message; its key, other accounts and the gate still work`, async () => {
    // Control: the probes log in while nothing is paused.
    assert.equal((await tryPassword('127.0.0.31', 'victim', 'victim-pw')).ready, true, 'control: the right password works');
    for (const method of ['password', 'keyboard-interactive'] as const) {
      const o = await openssh('127.0.0.31', 'victim', 'victim-pw', method);
      assert.match(o.stderr, new RegExp(`Authenticated to .* using "${method}"`), `control: OpenSSH (${method}) logs in`);
    }
    const guess = await attempt(
      '127.0.0.31',
      'victim',
      [1, 2, 3].map((i) => pw('victim', `guess${i}`)),
    );
    assert.equal(guess.ready, false);
    assert.equal((await tryPassword('127.0.0.31', 'victim+demo', `guess${N}`)).ready, false);
    const paused = await islet.waitForLog((l) => l.event === 'account_throttled' && l.account === 'victim');
    assert.equal(paused.client, '127.0.0.31');
    for (const local of ['127.0.0.31', '127.0.0.32']) {
      const r = await tryPassword(local, 'victim', 'victim-pw');
      assert.equal(r.ready, false, `the right password is refused from ${local}`);
      assert.match(r.banners, PAUSED, `the client is told why (${local})`);
    }
    for (const method of ['password', 'keyboard-interactive'] as const) {
      const o = await openssh('127.0.0.32', 'victim', 'victim-pw', method);
      assert.equal(o.code, 255, `OpenSSH (${method}) is refused: ${o.stderr}`);
      assert.match(o.stderr, PAUSED, `OpenSSH (${method}) prints why`);
      assert.match(o.stderr, /Permission denied/);
      assert.doesNotMatch(o.stderr, /Authenticated to/);
    }
    assert.equal(await keyLogin('127.0.0.32', 'victim'), true, 'an enrolled key still logs in');
    assert.equal((await tryPassword('127.0.0.31', 'other', 'other-pw')).ready, true, 'another account is not affected');
    assert.equal((await tryPassword('127.0.0.31', 'demo', 'demo')).ready, true, 'the gate is not affected');
    assert.equal(logsOf((l) => l.event === 'account_throttled').length, 1, 'refusals while paused do not re-lock');
  });

  test('islet accounts shows the pause; it survives a restart; islet unlock lets the right password in again', async () => {
    const shown = await cli('accounts');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /victim .*\n\s+THROTTLED: password logins paused until .* UTC .*islet unlock victim/);
    assert.doesNotMatch(shown.stdout, /other .*\n\s+THROTTLED/);
    const json = JSON.parse((await cli('accounts', '--json')).stdout) as { name: string; throttledUntil?: string }[];
    assert.ok(json.find((a) => a.name === 'victim')?.throttledUntil);
    assert.equal(json.find((a) => a.name === 'other')?.throttledUntil, undefined);

    await islet.stop();
    await islet.start();
    const r = await tryPassword('127.0.0.33', 'victim', 'victim-pw');
    assert.equal(r.ready, false, 'still paused after a restart (the state is in the store)');
    assert.match(r.banners, PAUSED);

    const u = await cli('unlock', 'victim');
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /unlocked victim/);
    assert.match(u.stderr, /"event":"account_unlocked".*"account":"victim"/);
    assert.equal((await tryPassword('127.0.0.33', 'victim', 'victim-pw')).ready, true, 'the right password works again');
    assert.match((await cli('unlock', 'victim')).stdout, /victim was not throttled/);
  });

  test("the menu's existing-user login counts toward the same pause and is refused with the message", async () => {
    const before = logsOf((l) => l.event === 'account_throttled').length;
    const menuGuess = async (passwords: string[]) => {
      const t = await gateShell('127.0.0.34');
      await t.waitFor(/new or existing user\? \[new\/existing\]: /);
      t.send('existing\r');
      for (const p of passwords) {
        await t.waitFor(/Username: /);
        t.send('victim\r');
        await t.waitFor(/Password: /);
        t.send(`${p}\r`);
        await t.waitFor(/Login failed|Too many|paused/);
      }
      t.end();
      return t.output;
    };
    await menuGuess(['m1', 'm2', 'm3']);
    assert.equal((await tryPassword('127.0.0.34', 'victim', 'victim-pw')).ready, true, 'control: 3 failures do not pause it');
    await menuGuess(['m4', 'm5', 'm6']);
    await menuGuess(['m7']);
    await islet.waitForLog(() => logsOf((l) => l.event === 'account_throttled' && l.account === 'victim').length > before);
    const r = await tryPassword('127.0.0.35', 'victim', 'victim-pw');
    assert.equal(r.ready, false, 'paused for direct logins too');
    assert.match(r.banners, PAUSED);
    assert.match(await menuGuess(['victim-pw']), PAUSED, 'the right password at the menu is refused with the message');
    assert.equal((await cli('unlock', 'victim')).code, 0);
  });

  test(`account creation: ${LIMITS.account_creations_per_ip} per address in the window, then refused with a message; another address still creates`, async () => {
    for (let i = 1; i <= LIMITS.account_creations_per_ip; i++) {
      const t = await gateShell('127.0.0.41');
      await newAccountSsh(t, `storm${i}`, 'storm-pw');
      t.end();
    }
    const t = await gateShell('127.0.0.41');
    await t.waitFor(/new or existing user\? \[new\/existing\]: /);
    t.send('new\r');
    await t.waitFor(/Too many accounts were created from your network in the last 10 minutes\. Please wait a few minutes and try again/);
    const closed = t.whenClosed();
    t.end();
    await closed;
    await islet.waitForLog((l) => l.event === 'account_creation_limited' && l.client === '127.0.0.41');
    const names = JSON.parse((await cli('accounts', '--json')).stdout).map((a: { name: string }) => a.name) as string[];
    assert.deepEqual(names.filter((n) => n.startsWith('storm')).sort(), ['storm1', 'storm2', 'storm3'], 'no 4th account was made');
    const other = await gateShell('127.0.0.42');
    await newAccountSsh(other, 'storm9', 'storm-pw'); // control: the limit is per address
    other.end();
  });

  test('a login that opens no channel is closed after ssh_channel_grace; one with a shell stays, until the menu times out and the grace passes', async () => {
    const t0 = Date.now();
    const idle = await attempt('127.0.0.51', 'demo', [pw('demo', 'demo')]);
    assert.equal(idle.ready, true);
    await Promise.race([idle.closed, sleep(20_000)]);
    const idleFor = Date.now() - t0;
    assert.ok(idleFor < 20_000, 'the idle connection was closed');
    assert.ok(idleFor >= 1500, `not before the grace (${idleFor} ms)`);
    await islet.waitForLog((l) => l.event === 'connection_idle_closed' && l.client === '127.0.0.51');

    // Control: the same login with a shell open is not idle.
    const t = await gateShell('127.0.0.52');
    let closed = false;
    const whenClosed = t.whenClosed().then(() => {
      closed = true;
    });
    await t.waitFor(/new or existing user\? /);
    await sleep(4000);
    assert.equal(closed, false, 'a connection with a shell outlives the grace');
    // The menu ends the shell after menu_timeout (6 s); the client keeps the connection, the server closes it.
    await t.waitFor(/Session ended due to inactivity/, 20_000);
    await Promise.race([whenClosed, sleep(20_000)]);
    assert.equal(closed, true, 'closed after the menu timeout and the grace');
  });

  test('safe defaults: the container cap is derived from host memory, 3 per account', async () => {
    // examples/: one enabled environment, demo, with memory 128m.
    const expected = Math.floor((totalmem() - 1024 ** 3) / (128 * 1024 ** 2));
    const cap = await islet.waitForLog((l) => l.event === 'capacity');
    assert.equal(cap.max_containers, expected);
    assert.equal(cap.derived, true);
    assert.equal(cap.max_containers_per_account, 3);
  });

  test('60 wrong passwords from one address do not lock it out: the room behind it still logs in (failures are only slowed)', async () => {
    const local = '127.0.0.61';
    const t0 = Date.now();
    const conns = await Promise.all(
      Array.from({ length: 20 }, (_, c) =>
        attempt(
          local,
          'demo',
          [1, 2, 3].map((i) => pw('demo', `wrong-${c}-${i}`)),
          60_000,
        ),
      ),
    );
    const took = Date.now() - t0;
    assert.equal(conns.filter((c) => c.ready).length, 0);
    // The server's log is asynchronous: wait for its lines, then count.
    await islet.waitForLog(() => logsOf((l) => l.client === local && l.event === 'gate_login_failed').length >= 60, 15_000);
    assert.equal(logsOf((l) => l.client === local && l.event === 'gate_login_failed').length, 60, 'all 60 were checked and failed');
    assert.equal(logsOf((l) => l.client === local && l.event === 'address_locked_out').length, 0, 'the address is not locked out');
    assert.equal((await tryPassword(local, 'demo', 'demo')).ready, true, 'the gate still works from that address');
    assert.equal((await tryPassword(local, 'other', 'other-pw')).ready, true, 'an account still logs in from that address');
    assert.equal(await keyLogin(local, 'victim'), true, 'and a key');
    const delayed = logsOf((l) => l.client === local && l.event === 'gate_login_failed' && Number(l.delayMs) > 0).length;
    assert.ok(delayed >= 50, `failures beyond the first few were answered late (${delayed} of 60, in ${took} ms)`);
  });
});
