/**
 * The menu's door words in the web door (web-hints.ts): "add key" asks for one public key line in the
 * page's terminal and the key then logs in over SSH (the same account at both doors); "export" gives the
 * scp and sftp commands for the trainee's own computer instead of "cannot be downloaded through this door".
 * Driven by the protocol client (ws-client.ts); the page itself is covered by web-door.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { IsletProcess } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { startWithWeb } from './browser.ts';
import { WebClient } from './ws-client.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const acct = `k${runId.slice(0, 7)}`;
const PW = 'trainee1';
const SHELL = /student@[\w.-]+:[^\n]*\$ /;
let base = '';
const clients: WebClient[] = [];
const keyDir = mkdtempSync(join(tmpdir(), 'islet-web-menu-'));

/** Picks the menu entry named `name` from the menu shown after offset `from`. */
async function choose(c: WebClient, name: string, from: number): Promise<void> {
  await c.waitText(new RegExp(`(\\d+)\\) ${name}\\s+\\|[\\s\\S]*\\[Choice\\]: $`), 30_000, from);
  const m = new RegExp(`(\\d+)\\) ${name}\\s+\\|`).exec(c.text.slice(from))!;
  c.type(`${m[1]}\r`);
}

/** One SSH login with a private key; resolves with whether it was accepted. */
function sshKeyLogin(user: string, privateKey: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new Client();
    const timer = setTimeout(() => {
      c.end();
      resolve(false);
    }, 30_000);
    c.on('ready', () => {
      clearTimeout(timer);
      c.end();
      resolve(true);
    });
    c.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    c.connect({ host: '127.0.0.1', port: islet.port, username: user, privateKey, readyTimeout: 30_000 });
  });
}

describe('the menu in the web door', { concurrency: false, timeout: 300_000 }, () => {
  before(async () => {
    base = await startWithWeb(islet);
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    rmSync(keyDir, { recursive: true, force: true });
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test(
    'add key: a key line pasted in the page logs in over SSH (control: before, it did not); ' + 'export: scp and sftp commands, not "cannot be downloaded"',
    async () => {
      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'web-menu', '-f', join(keyDir, 'id')]);
      const priv = readFileSync(join(keyDir, 'id'));
      const pub = readFileSync(join(keyDir, 'id.pub'), 'utf8').trim();
      const c = new WebClient(base, { origin: base });
      clients.push(c);
      c.hello();
      await c.waitText('Are you a new or existing user? [new/existing]:');
      c.type('new\r');
      await c.waitText('Choose a username');
      c.type(`${acct}\r`);
      await c.waitText('Choose a password');
      c.type(`${PW}\r`);
      await c.waitText('Verify your password');
      c.type(`${PW}\r`);
      await c.waitText('Your account will expire on');
      assert.equal(await sshKeyLogin(acct, priv), false, 'control: the key is not enrolled yet');
      let from = c.text.length;
      await choose(c, 'export', 0);
      await c.waitText('You have no environment yet', 20_000, from);
      from = c.text.indexOf('You have no environment yet', from);
      await choose(c, 'add_key', from);
      await c.waitText('Paste one SSH public key line', 20_000, from);
      assert.match(c.text.slice(from), /paste into this page/);
      c.type(`${pub}\r`);
      await c.waitText(`Key added. Log in directly with: ssh ${acct}@`, 20_000, from);
      assert.equal(await sshKeyLogin(acct, priv), true, 'the key enrolled in the page logs in over SSH');
      // Into the demo shell, so the account owns an environment to export, then out again.
      from = c.text.indexOf('Key added.', from);
      await choose(c, 'demo', from);
      await c.until(() => SHELL.test(c.text.slice(from)), 90_000, 'shell prompt');
      from = c.text.length;
      c.type('exit\r');
      await c.waitText('Available configurations', 30_000, from);
      from = c.text.indexOf('Available configurations', from);
      // Export, now that the account owns an environment: the commands for the trainee's own computer.
      await choose(c, 'export', from);
      await c.waitText(/sftp [^\n]*\n/, 20_000, from);
      const out = c.text.slice(from);
      assert.doesNotMatch(out, /cannot be downloaded through this door/);
      assert.match(out, /in a terminal with an SSH client, not in this page/);
      // No public_address in the test config: the host the browser addressed, and the SSH door's port.
      assert.ok(out.includes(`scp -P ${islet.port} -r ${acct}+demo@127.0.0.1:/home/student ./${acct}-demo\r\n`), out);
      assert.ok(out.includes(`sftp -P ${islet.port} ${acct}+demo@127.0.0.1\r\n`), out);
      c.type('\x04');
      await c.waitControl('exit', 30_000);
    },
  );
});
