/**
 * The SSH door's own decisions (ssh-server.ts, authenticate-client.ts, serve-session.ts), driven by a real
 * ssh2 Client in-process against the real SshServer with the session engine on fakes
 * (test/helpers/unit-ssh.ts): which methods each login is offered, the caps on key offers and attempts,
 * what the gate and an account may open, forward ports, session channels per connection, and idle
 * connections. Every refusal has a control that passes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { closedWithin, unitSshDoor } from '../../test/helpers/unit-ssh.ts';

const ENV = 'image: islet/demo:latest\nuser: student\nforward_ports: [8080]\n';
// Key logins check expiry against the real clock (authenticator.ts), the unit world's clock is a week behind it.
const policy = { minPasswordLength: 4, days: 365, reserved: new Set(['demo']) };

/** A world with the door in front, failures answered at once, alice (password `alice-pass`, one enrolled key). */
async function rig(t: TestContext, islet = '') {
  const w = unitWorld({ islet: `login_failure_delay: 0\n${islet}`, environments: { demo: ENV } });
  const door = await unitSshDoor(w);
  t.after(async () => {
    await door.close();
    await w.close();
  });
  await w.accounts.create('alice', 'alice-pass', policy);
  const key = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
  assert.equal(await w.auth.enrollKey('alice', key.public, w.now()), undefined);
  return { w, door, key: { key: key.private } };
}

const strangerKey = () => ({ key: ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private });

function run(c: ssh2.Client, command: string): Promise<{ out: string; code: number | undefined }> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) {
        reject(err);
        return;
      }
      let out = '';
      let code: number | undefined;
      ch.on('data', (d: Buffer) => {
        out += d.toString();
      });
      ch.on('exit', (n: number) => {
        code = n;
      });
      ch.on('close', () => resolve({ out, code }));
    });
  });
}

const refused = (p: Promise<unknown>) =>
  p.then(
    () => 'opened',
    (err: Error) => err.message,
  );
const shell = (c: ssh2.Client) =>
  new Promise<ssh2.ClientChannel>((resolve, reject) => {
    c.shell({ term: 'xterm', cols: 80, rows: 24 }, (err, ch) => (err ? reject(err) : resolve(ch)));
  });
const forward = (c: ssh2.Client, host: string, port: number) =>
  new Promise<ssh2.ClientChannel>((resolve, reject) => {
    c.forwardOut('127.0.0.1', 40000, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
  });
const sftp = (c: ssh2.Client) => new Promise<unknown>((resolve, reject) => c.sftp((err, s) => (err ? reject(err) : resolve(s))));
const subsystem = (c: ssh2.Client, name: string) => new Promise<unknown>((resolve, reject) => c.subsys(name, (err, s) => (err ? reject(err) : resolve(s))));

test('methods: the gate is offered passwords only, an account keys as well', async (t) => {
  const { door } = await rig(t);
  const gate = await door.attempt('demo', ['wrong', 'demo']);
  assert.ok(gate.client, 'control: the gate logs in with its password');
  assert.deepEqual(gate.steps[1]?.offered, ['password', 'keyboard-interactive']);
  const account = await door.attempt('alice', ['wrong', 'alice-pass']);
  assert.ok(account.client, 'control: the account logs in with its password');
  assert.deepEqual(account.steps[1]?.offered, ['publickey', 'password', 'keyboard-interactive']);
});

test('attempts: the 3rd failed login is answered with a disconnect; 2 failures then the right password log in', async (t) => {
  const { door, w } = await rig(t);
  const capped = await door.attempt('demo', ['w1', 'w2', 'w3', 'demo']);
  assert.equal(capped.client, undefined, 'no login after 3 failures');
  assert.equal(capped.steps.length, 3, 'the client is never asked a 4th time');
  assert.equal(w.logged('gate_login_failed').length, 3);
  const control = await door.attempt('demo', ['w1', 'w2', 'demo']);
  assert.ok(control.client, 'control: the 3rd try logs in when it is right');
});

test('key offers: an account may try 6 unknown keys free, then each counts; the gate counts every key', async (t) => {
  const { door, key, w } = await rig(t);
  const nine = Array.from({ length: 9 }, strangerKey);
  const capped = await door.attempt('alice', nine);
  assert.equal(capped.client, undefined);
  assert.equal(capped.steps.length, 9, '6 free offers, then 3 counted failures end the connection');
  assert.equal(w.logged('account_login_failed').length, 3);
  const control = await door.attempt('alice', [...nine.slice(0, 6), 'wrong', key]);
  assert.ok(control.client, 'control: 6 unknown keys and a wrong password still leave room for the right key');
  const gate = await door.attempt('demo', nine);
  assert.equal(gate.client, undefined);
  assert.equal(gate.steps.length, 3, 'a key offered to the gate is a failed login');
});

test('the gate gets a shell only: exec, sftp, other subsystems and forwards are refused', async (t) => {
  const { door } = await rig(t);
  const gate = await door.login('demo', 'demo');
  const ch = await shell(gate);
  const seen = await new Promise<string>((resolve) => {
    let s = '';
    ch.on('data', (d: Buffer) => {
      s += d.toString();
      if (/Welcome to ISLET/.test(s)) resolve(s);
    });
  });
  assert.match(seen, /Welcome to ISLET/, 'control: the gate opens the menu');
  assert.match(await refused(run(gate, 'echo hi')), /Unable to exec/);
  assert.match(await refused(sftp(gate)), /Unable to start subsystem: sftp/);
  assert.match(await refused(forward(gate, '127.0.0.1', 8080)), /Channel open failure/);
});

test('an account runs commands, SFTP and forwards to listed localhost ports; other subsystems and ports are refused', async (t) => {
  const { door, key, w } = await rig(t);
  const alice = await door.login('alice+demo', key);
  assert.deepEqual(await run(alice, 'echo hi'), { out: 'hi\n', code: 0 });
  assert.equal(await refused(sftp(alice)), 'opened');
  assert.match(await refused(subsystem(alice, 'netconf')), /Unable to start subsystem: netconf/);
  assert.equal(await refused(forward(alice, 'localhost', 8080)), 'opened', 'control: a listed port is forwarded');
  assert.match(await refused(forward(alice, 'localhost', 9090)), /Channel open failure/);
  assert.match(await refused(forward(alice, '10.0.0.1', 8080)), /Channel open failure/);
  const why = w.logged('forward_refused').map((e) => String(e.err));
  assert.deepEqual(why, ['port 9090', 'host 10.0.0.1'], 'refused by the port policy (the detail of PORT_REFUSED)');
});

test('session channels: a connection may have ssh_max_sessions_per_connection open; closing one frees its place, another connection has its own', async (t) => {
  const { door } = await rig(t, 'ssh_max_sessions_per_connection: 2\n');
  const gate = await door.login('demo', 'demo');
  const first = await shell(gate);
  await shell(gate);
  assert.match(await refused(shell(gate)), /Channel open failure/);
  // ssh2's client emits no 'close' for a channel it closed itself: ask until the door has counted it out.
  first.close();
  let reopened = 'not tried';
  for (let i = 0; i < 50 && reopened !== 'opened'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    reopened = await refused(shell(gate));
  }
  assert.equal(reopened, 'opened', 'control: a closed channel frees its place');
  const other = await door.login('demo', 'demo');
  assert.equal(await refused(shell(other)), 'opened', 'control: the limit is per connection');
});

test('idle: a login with no channel at work is closed after its grace; an open shell keeps it', async (t) => {
  const { door, w, key } = await rig(t, 'ssh_channel_grace: 0.3\nssh_idle_account_connection: 0.6\n');
  const idle = await door.login('demo', 'demo');
  assert.equal(await closedWithin(idle, 10_000), true, 'an idle gate login is closed');
  assert.equal(w.logged('connection_idle_closed')[0]?.seconds, 0.3);
  const busy = await door.login('demo', 'demo');
  const ch = await shell(busy);
  assert.equal(await closedWithin(busy, 1500), false, 'control: a login with its shell open stays');
  ch.close();
  assert.equal(await closedWithin(busy, 10_000), true, 'closed once its last channel closed and the grace passed');
  const account = await door.login('alice', key);
  assert.equal(await closedWithin(account, 10_000), true);
  assert.equal(w.logged('connection_idle_closed').at(-1)?.seconds, 0.6, 'an account login has its own grace');
});
