/**
 * The menu session driven through an in-memory terminal, on the fake driver
 * and the in-memory store: what a trainee types and sees from the banner to a
 * shell and back. The same walk runs over real SSH in test/e2e/.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { unitWorld, type UnitWorld } from '../../test/helpers/unit-world.ts';
import { prompts } from './prompts.ts';
import type { Identity } from './authenticator.ts';
import { MenuSession } from './menu-session.ts';

/** A session on a memory terminal with `expect` (waits for text after the last match) and `send` (types a line). */
function session(t: TestContext, w: UnitWorld, who: Identity = { method: 'gate' }) {
  const term = new MemoryTerminal();
  let mark = 0;
  const done = new MenuSession(w.menuDeps, term).run(who);
  return {
    term,
    done,
    async expect(text: string | RegExp, ms = 5000): Promise<void> {
      const re = typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text;
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(term.output.slice(mark));
        if (m) {
          mark += m.index + m[0].length;
          return;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output ends with ${JSON.stringify(term.output.slice(-400))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    send(line: string): void {
      term.type(`${line}\r`);
    },
  };
}

function world(t: TestContext, opts: Parameters<typeof unitWorld>[0] = {}): UnitWorld {
  const w = unitWorld(opts);
  t.after(() => w.close());
  return w;
}

test('a new trainee: account made, the menu lists environments and plugins, the shell runs, exit returns to the menu, Ctrl-D quits', async (t) => {
  const w = world(t);
  const s = session(t, w);
  await s.expect('Welcome to ISLET');
  await s.expect(prompts.newOrExisting);
  s.send('new');
  await s.expect(prompts.chooseUsername);
  s.send('alice');
  await s.expect(prompts.choosePassword(4));
  s.send('secret-pw');
  await s.expect(prompts.verifyPassword);
  s.send('secret-pw');
  await s.expect('Your account will expire on');
  assert.ok(await w.store.getAccount('alice'), 'the account exists');
  assert.doesNotMatch(s.term.output, /secret-pw/, 'the password is never echoed');
  await s.expect(/1\) demo\s+\| Demo shell/);
  await s.expect(/\d\) del_training\s+\| Delete a training environment/);
  await s.expect(prompts.choice);
  s.send('1');
  await s.expect('Enjoy yourself!');
  await s.expect(/student@demo:~\$ $/);
  s.send('echo in-shell-$((6*7))');
  await s.expect('in-shell-42');
  s.send('exit');
  await s.expect(prompts.choice);
  assert.equal((await w.store.getOwnership('alice', 'demo'))?.state, 'stopped');
  s.term.type('\x04');
  await s.expect(prompts.quit);
  await s.done;
  assert.deepEqual(
    w.logged('session_end').map((e) => [e.reason, e.account]),
    [['eof', 'alice']],
  );
  assert.equal(w.logged('account_created').length, 1);
});

test('an existing trainee: a wrong password is counted, the right one logs in; a wrong menu choice is counted and ends the session at the limit', async (t) => {
  const w = world(t);
  await w.accounts.create('bob', 'right-pw', { minPasswordLength: 4, days: 3, reserved: new Set(['demo']) });
  const s = session(t, w);
  await s.expect(prompts.newOrExisting);
  s.send('existing');
  await s.expect(prompts.username);
  s.send('bob');
  await s.expect(prompts.password);
  s.send('wrong-pw');
  await s.expect(prompts.loginFailed(1, 3), 10_000);
  await s.expect(prompts.username);
  s.send('bob');
  await s.expect(prompts.password);
  s.send('right-pw');
  await s.expect(prompts.success);
  await s.expect(prompts.choice);
  for (const [i, bad] of ['0', 'x', '99'].entries()) {
    s.send(bad);
    if (i < 2) await s.expect(prompts.invalidChoice(i + 1, 3));
  }
  await s.expect(prompts.invalidChoice(3, 3));
  await s.done;
  assert.deepEqual(
    w.logged('login_failed').map((e) => [e.account, e.reason]),
    [['bob', 'bad_password']],
  );
  assert.equal(w.logged('session_end')[0]?.reason, 'failures');
});

test('an environment that fails to start: the trainee reads why and stays in the menu (control: it starts once the engine recovers)', async (t) => {
  const w = world(t);
  await w.store.createAccount({ name: 'carol', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  w.engine.behaviour.fail = { create: 'RUNTIME_FAILED' };
  const s = session(t, w, { method: 'password', account: 'carol' });
  await s.expect(prompts.choice);
  s.send('1');
  await s.expect('could not be prepared');
  await s.expect(prompts.choice);
  assert.equal(w.logged('environment_failed')[0]?.code, 'RUNTIME_FAILED');
  w.engine.behaviour.fail = {};
  s.send('1');
  await s.expect(/\$ $/);
  s.term.close();
  await s.done;
});

test('a direct login to account+environment goes straight to the shell and ends when it exits; an unknown environment falls back to the menu', async (t) => {
  const w = world(t);
  await w.store.createAccount({ name: 'dave', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  const s = session(t, w, { method: 'publickey', account: 'dave', environment: 'demo' });
  await s.expect(/student@demo:~\$ $/);
  assert.doesNotMatch(s.term.output, /\[Choice\]/, 'no menu');
  s.send('exit 0');
  await s.done;
  assert.equal(w.logged('session_end')[0]?.reason, 'shell_exited');
  const u = session(t, w, { method: 'publickey', account: 'dave', environment: 'nope' });
  await u.expect('There is no environment named nope');
  await u.expect(prompts.choice);
  u.term.close();
  await u.done;
});

test('plugins: reset an environment (its container goes), delete the account (containers and account go, session ends)', async (t) => {
  const w = world(t);
  await w.store.createAccount({ name: 'erin', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  await w.runner.ensureRunning('erin', w.env('demo'));
  const s = session(t, w, { method: 'password', account: 'erin' });
  await s.expect(/(\d)\) del_training/);
  const number = (name: string) => new RegExp(`(\\d+)\\) ${name}\\b`).exec(s.term.output)![1]!;
  await s.expect(prompts.choice);
  s.send(number('del_training'));
  await s.expect(prompts.chooseToDelete);
  await s.expect('1) demo');
  s.send('1');
  await s.expect(prompts.containerRemoved);
  assert.equal(await w.driver.inspect('unit.demo.erin'), undefined);
  await w.runner.ensureRunning('erin', w.env('demo'));
  await s.expect(prompts.choice);
  s.send(number('del_user'));
  await s.expect(prompts.confirmDeleteUser('erin'));
  s.send('yes');
  await s.expect(prompts.accountRemoved);
  await s.done;
  assert.equal(await w.store.getAccount('erin'), undefined);
  assert.deepEqual(await w.driver.find({ 'islet.account': 'erin' }), []);
});
