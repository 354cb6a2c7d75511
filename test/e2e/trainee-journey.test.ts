/**
 * The whole trainee journey through the real OpenSSH client (under tmux),
 * the real `islet serve` process and the real Docker engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { PROMPT, choose, createAccount, gate, login, sh } from '../helpers/trainee.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();

describe('trainee journey over OpenSSH', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('wrong gate password is refused by SSH itself', async () => {
    const s = await gate(islet.port, { password: 'wrong' });
    await s.waitFor(/password:/i);
    await s.close();
  });

  test('new account: rules enforced, shell in own container, reattach to the live shell after an abrupt disconnect', async () => {
    let s = await gate(islet.port);
    await s.waitFor('Welcome to ISLET');
    await s.waitFor('Are you a new or existing user? [new/existing]:');
    await s.line('maybe');
    await s.waitFor("I didn't understand your response. Would you like to try again? [yes/no]:");
    await s.line('yes');
    await s.waitFor('Are you a new or existing user? [new/existing]:');
    await s.line('n');
    await s.waitFor('A temporary account will be created');
    await s.waitFor('Choose a username: [a-zA-Z0-9]:');
    await s.line('bad name!');
    await s.waitFor('Invalid username: use letters a-z, A-Z and digits 0-9 only');
    await s.line('alice');
    await s.waitFor('Your username is alice');
    await s.waitFor('Choose a password: [a-zA-Z0-9{4,}]:');
    await s.line('abc');
    await s.waitFor('Verify your password:');
    await s.line('abc');
    await s.waitFor('Passwords do not match or meet length requirements (4). Try again (1/3).');
    await s.line('secret1');
    await s.waitFor('Verify your password:');
    await s.line('secret1');
    await s.waitFor(/Your account will expire on \w{3} \w{3} +\d+ [\d:]+ \d{4} UTC \(in 3 days\)/);
    assert.ok(!(await s.history()).includes('secret1'), 'passwords are never echoed');
    await s.waitFor('Available configurations:');
    await choose(s, 'demo');
    await s.waitFor('Enjoy yourself!');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'echo $((6*7))'), '42');
    assert.equal(await sh(s, 'hostname'), 'demo', 'hostname is the environment, never the host');
    assert.equal(await sh(s, 'id -un; pwd'), 'student\n/home/student');
    assert.equal(await sh(s, 'stty size'), '40 120', 'the TTY has the client window size');
    await s.resize(100, 30);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await sh(s, 'stty size'), '30 100', 'a resize reaches the container TTY');
    await sh(s, 'echo kept > notes.txt; (sleep 1000 &) ; echo started');
    const info = await driver.inspect(`${islet.instance}.demo.alice`);
    assert.equal(info?.state, 'running');
    assert.equal(info?.labels['islet.account'], 'alice');
    assert.equal(info?.labels['islet.environment'], 'demo');
    await s.close(); // abrupt: the ssh client is killed

    await islet.waitForLog((l) => l.event === 'environment_detached' && l.account === 'alice');
    assert.equal((await driver.inspect(info!.id))?.state, 'running', 'disconnecting leaves the shell running');

    s = await gate(islet.port);
    await login(s, 'alice', 'secret1');
    await choose(s, 'demo');
    await s.waitFor('Welcome back!');
    assert.match(await sh(s, 'ps'), /sleep 1000/, 'the process started before the disconnect is still running');
    assert.equal(await sh(s, 'cat notes.txt'), 'kept');
    await s.line('exit');
    await s.waitFor('Available configurations:');
    await islet.waitForLog((l) => l.event === 'environment_exited' && l.account === 'alice');
    await choose(s, 'demo');
    await s.waitFor('Welcome back!');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'cat notes.txt'), 'kept', 'files survive the shell exiting and starting again');
    assert.equal((await driver.inspect(info!.id))?.id, info!.id, 'same container, not a new one');
    await s.keys('C-d');
    await s.waitFor('[Choice]:');
    await s.keys('C-c');
    await s.waitFor('Quit by user...');
    await s.waitExit();
    await s.close();
  });

  test('two logins of one account into one environment share the same container', async () => {
    const a = await gate(islet.port);
    await createAccount(a, 'bob');
    await choose(a, 'demo');
    await a.waitFor(PROMPT);
    const b = await gate(islet.port);
    await login(b, 'bob');
    await choose(b, 'demo');
    await b.waitFor('Welcome back!');
    await sh(a, 'echo from-a > shared.txt');
    assert.equal(await sh(b, 'cat shared.txt'), 'from-a');
    await a.close();
    await b.close();
  });

  test('menu: invalid choices re-ask up to the failure count, backspace works, plugins reset and delete', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'carol');
    await s.waitFor('[Choice]:');
    await s.line('99');
    await s.waitFor('Invalid choice! Try again (1/3)');
    await s.type('x');
    await s.keys('BSpace');
    await s.line('1');
    await s.waitFor(PROMPT);
    await sh(s, 'touch mine');
    await s.line('exit');
    await choose(s, 'del_training');
    await s.waitFor('Choose one of your existing containers to delete (0 for main menu):');
    await s.waitFor('1) demo');
    await s.line('1');
    await s.waitFor('Container removed!');
    assert.equal(await driver.inspect(`${islet.instance}.demo.carol`), undefined, 'the container is gone');
    await choose(s, 'demo');
    await s.waitFor('Enjoy yourself!');
    assert.equal(await sh(s, 'ls mine 2>/dev/null || echo none'), 'none', 'a reset environment starts fresh');
    await s.line('exit');
    await choose(s, 'del_user');
    await s.waitFor('Delete account carol');
    await s.line('yes');
    await s.waitFor('Account removed, exiting...');
    await s.waitExit();
    assert.equal(await driver.inspect(`${islet.instance}.demo.carol`), undefined, 'deleting the account removes its containers');
    await s.close();
    const again = await gate(islet.port);
    await again.waitFor('[new/existing]:');
    await again.line('existing');
    await again.waitFor('Username:');
    await again.line('carol');
    await again.waitFor('Password:');
    await again.line('trainee1');
    await again.waitFor('Login failed, try again (1/3).');
    await again.close();
  });

  test('an expired account cannot log in and is told why', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'dave');
    await s.close();
    const db = new DatabaseSync(join(islet.dataDir, 'islet.db'));
    db.prepare('UPDATE accounts SET expires_at = ? WHERE name = ?').run(Date.now() - 1000, 'dave');
    db.close();
    const t = await gate(islet.port);
    await t.waitFor('Are you a new or existing user?');
    await t.line('existing');
    await t.waitFor('Username:');
    await t.line('dave');
    await t.waitFor('Password:');
    await t.line('trainee1');
    await t.waitFor(/Your account expired on .* Please create a new account\./);
    await t.close();
  });

  test('the logs record the journey without any password', async () => {
    const events = new Set(islet.logs.map((l) => l.event));
    for (const e of [
      'account_created',
      'login_ok',
      'login_failed',
      'environment_started',
      'environment_attached',
      'environment_detached',
      'environment_exited',
    ])
      assert.ok(events.has(e), `log has ${e}`);
    const all = JSON.stringify(islet.logs);
    for (const secret of ['secret1', 'trainee1']) assert.ok(!all.includes(secret), `no password in logs (${secret})`);
    const created = islet.logs.find((l) => l.event === 'account_created' && l.account === 'alice');
    assert.equal(created?.client, '127.0.0.1');
  });
});
