/**
 * PtyRelays with the real relay (native/pty-relay.c, built by scripts/build-pty-relay.sh) run on this machine
 * without an engine: the relay's protocol, one connection at a time, input before the relay connects, exit,
 * reconnection and takeover. The same relay in containers: the conformance suite's `pty relay` run
 * (docker-driver.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attachment } from '../runtime-driver.ts';
import { PTY_RELAY_BINARY, PtyRelays, SWEEP_MIN_AGE_MS } from './pty-relays.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];

before(() => {
  execFileSync('bash', [join(repoRoot, 'scripts/build-pty-relay.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  dir = mkdtempSync(join(tmpdir(), 'islet-relay-unit-'));
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the relay as a container would, with `sh` under it, on the socket of `token` in `relays`. */
function relay(relays: PtyRelays, token: string): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(PTY_RELAY_BINARY, [join(relays.dir, token, 'sock'), '/bin/sh'], { stdio: 'ignore', env: { PS1: '$ ', PATH: process.env.PATH } });
  children.push(child);
  return { child, exit: new Promise((r) => child.once('exit', (code) => r(code))) };
}

function collect(att: Attachment): { text: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void> } {
  let text = '';
  att.output.on('data', (b: Buffer) => {
    text += b.toString('latin1');
  });
  return {
    text: () => text,
    waitFor: async (re, ms = 5000) => {
      const until = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(text.slice(-300))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

test('the relay binary exists after the build', () => {
  assert.ok(existsSync(PTY_RELAY_BINARY), PTY_RELAY_BINARY);
});

test('input written before the relay connects reaches the shell; resize applies; the exit status is the shell’s and ends the attachment', async () => {
  const relays = new PtyRelays(dir, PTY_RELAY_BINARY);
  const { token } = relays.prepare();
  const att = relays.attach(token);
  const out = collect(att);
  relays.resize(token, { rows: 31, cols: 93 });
  att.input.write('stty size; echo in-$((6*7))\n');
  const r = relay(relays, token);
  await out.waitFor(/31 93\r\nin-42/);
  relays.resize(token, { rows: 40, cols: 120 });
  att.input.write('stty size\n');
  await out.waitFor(/40 120/);
  att.input.write('exit 3\n');
  assert.equal(await r.exit, 3);
  await att.ended;
  relays.close();
});

test('a second connection while the relay holds the socket is closed at once and changes nothing', async () => {
  const relays = new PtyRelays(dir, PTY_RELAY_BINARY);
  const { token } = relays.prepare();
  const att = relays.attach(token);
  const out = collect(att);
  const r = relay(relays, token);
  att.input.write('echo first-$((1+1))\n');
  await out.waitFor(/first-2/);
  // An intruder (a trainee's program) connecting to the same socket: closed by ISLET, its bytes never reach the screen.
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect(join(dir, token, 'sock'));
    s.on('connect', () => s.write('intruder-output\n'));
    s.on('close', () => resolve(true));
    s.on('error', () => undefined);
    setTimeout(() => resolve(false), 3000);
  });
  assert.equal(closed, true, 'the second connection was closed');
  att.input.write('echo still-$((2+1))\n');
  await out.waitFor(/still-3/);
  assert.doesNotMatch(out.text(), /intruder-output/);
  att.input.write('exit 0\n');
  assert.equal(await r.exit, 0);
  relays.close();
});

test('ISLET gone and back (a new PtyRelays on the same directory): the shell lives on and the relay connects again', async () => {
  const first = new PtyRelays(dir, PTY_RELAY_BINARY);
  const { token } = first.prepare();
  const att = first.attach(token);
  const out = collect(att);
  const r = relay(first, token);
  att.input.write('x=kept-$((5*5))\n');
  att.input.write('echo set\n');
  await out.waitFor(/set\r\n/);
  first.close(); // the server stops: its listener and the relay's connection close
  await att.ended;

  const second = new PtyRelays(dir, PTY_RELAY_BINARY);
  const att2 = second.attach(token);
  const out2 = collect(att2);
  att2.input.write('echo $x\n');
  await out2.waitFor(/kept-25/);

  // A third server taking the socket over while the second still listens: the relay moves to it within a second.
  const third = new PtyRelays(dir, PTY_RELAY_BINARY);
  const att3 = third.attach(token);
  const out3 = collect(att3);
  await att2.ended;
  att3.input.write('echo moved-$((2*4))\n');
  await out3.waitFor(/moved-8/);
  att3.input.write('exit 5\n');
  assert.equal(await r.exit, 5);
  second.close();
  third.close();
});

test('forget removes the directory; sweep removes only unknown tokens that are not live', (t) => {
  const own = mkdtempSync(join(dir, 'sweep-'));
  const relays = new PtyRelays(own, PTY_RELAY_BINARY);
  const later = new PtyRelays(own, PTY_RELAY_BINARY);
  const other = new PtyRelays(own, PTY_RELAY_BINARY);
  t.after(() => {
    for (const r of [relays, later, other]) r.close();
  });
  const a = relays.prepare().token;
  const b = relays.prepare().token;
  relays.forget(a);
  assert.equal(existsSync(join(own, a)), false);
  assert.equal(existsSync(join(own, b)), true);
  relays.close();
  // Another process: b is neither live nor its own, but young (its container may be in creation elsewhere): kept.
  const live = later.prepare().token;
  assert.equal(other.sweep(new Set([live])), 0);
  assert.equal(existsSync(join(own, b)), true);
  // Old enough, it goes; a live one stays.
  assert.equal(other.sweep(new Set([live]), Date.now() + SWEEP_MIN_AGE_MS), 1);
  assert.equal(existsSync(join(own, b)), false);
  assert.equal(existsSync(join(own, live)), true);
  // The process that prepared a token never sweeps it, even when the engine does not list it yet.
  assert.equal(later.sweep(new Set(), Date.now() + SWEEP_MIN_AGE_MS), 0);
  assert.equal(existsSync(join(own, live)), true);
});
