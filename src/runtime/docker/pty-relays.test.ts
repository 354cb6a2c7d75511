/**
 * PtyRelays with the real relay (native/pty-relay.c, built by scripts/build-pty-relay.sh) run on this machine
 * without an engine: the relay's protocol, one connection at a time, input before the relay connects, exit,
 * reconnection and takeover. The same relay in containers: the conformance suite's `pty relay` run
 * (docker-driver.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from '../conformance-io.ts';
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
function relay(relays: PtyRelays | string, token: string, opts: readonly string[] = []): { child: ChildProcess; exit: Promise<number | null> } {
  const base = typeof relays === 'string' ? relays : relays.dir;
  const child = spawn(PTY_RELAY_BINARY, [...opts, join(base, token, 'sock'), '/bin/sh'], { stdio: 'ignore', env: { PS1: '$ ', PATH: process.env.PATH } });
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

test('ISLET gone and back (a new PtyRelays on the same directory): the shell lives on and the relay connects again', async (t) => {
  const servers: PtyRelays[] = [];
  t.after(() => {
    for (const s of servers) s.close(); // a failure mid-way leaves no listener keeping the test process alive
  });
  const first = new PtyRelays(dir, PTY_RELAY_BINARY);
  servers.push(first);
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
  servers.push(second);
  const att2 = second.attach(token);
  const out2 = collect(att2);
  att2.input.write('echo $x\n');
  await out2.waitFor(/kept-25/);

  // A third server taking the socket over while the second still listens: the second lets go (it watches the
  // socket's directory) and the relay moves at once (its own check is a minute away: native/pty-relay.c CHECK_MS).
  const third = new PtyRelays(dir, PTY_RELAY_BINARY);
  servers.push(third);
  const att3 = third.attach(token);
  const out3 = collect(att3);
  await within(att2.ended, 3000, 'the second let go');
  att3.input.write('echo moved-$((2*4))\n');
  await out3.waitFor(/moved-8/, 3000);
  // The second attaching again listens anew and takes the terminal back, the same way.
  const att4 = second.attach(token);
  const out4 = collect(att4);
  await within(att3.ended, 3000, 'the third let go');
  att4.input.write('echo back-$((3+4))\n');
  await out4.waitFor(/back-7/, 3000);
  assert.equal(existsSync(join(dir, token, 'sock')), true, "closing the let-go listener left the newest one's socket file");
  att4.input.write('exit 5\n');
  assert.equal(await r.exit, 5);
  second.close();
  third.close();
});

/** A listener that takes the relay's connection and never lets go (a stuck server, or one too old to watch). */
async function stuckListener(token: string): Promise<{ accepted: Promise<Socket>; close: () => void }> {
  mkdirSync(join(dir, token), { recursive: true });
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((r) => {
    accept = r;
  });
  const held: Socket[] = [];
  const server = createServer((s) => {
    s.on('error', () => undefined);
    held.push(s);
    accept(s);
  });
  await new Promise<void>((r) => server.listen(join(dir, token, 'sock'), r));
  return {
    accepted,
    close: () => {
      for (const s of held) s.destroy();
      server.close();
    },
  };
}

test('a server whose socket was replaced by one that does not let go: the relay moves over at its own check (-w), not before', async (t) => {
  for (const [checkMs, movesWithinMs, moves] of [
    [300, 3000, true],
    [60_000, 1500, false], // control: the move above is the check's, not something else's
  ] as const) {
    const token = randomBytes(12).toString('hex');
    const stuck = await stuckListener(token);
    t.after(stuck.close);
    const r = relay(dir, token, ['-w', String(checkMs)]);
    await stuck.accepted;
    const relays = new PtyRelays(dir, PTY_RELAY_BINARY); // binds over the stuck listener's file
    t.after(() => relays.close());
    const att = relays.attach(token);
    const out = collect(att);
    att.input.write('echo moved-$((3*3))\n');
    const moved = await out.waitFor(/moved-9/, movesWithinMs).then(
      () => true,
      () => false,
    );
    assert.equal(moved, moves, `relay -w ${checkMs}: moved to the new listener within ${movesWithinMs} ms`);
    r.child.kill('SIGKILL');
    await r.exit;
  }
});

test('a socket directory that cannot be watched is reported once and the terminal still works (control: a real watch reports nothing)', async (t) => {
  const told: Record<string, string[]> = { failing: [], erroring: [], real: [] };
  const failing = (() => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
  }) as unknown as typeof watch;
  // A watch that is had, then fails (inotify's queue overflowing, the directory's filesystem going away).
  const erroring = ((...args: Parameters<typeof watch>) => {
    const w = watch(...args);
    setTimeout(() => w.emit('error', new Error('watch failed later')), 50);
    return w;
  }) as unknown as typeof watch;
  for (const [name, watchDir] of [
    ['failing', failing],
    ['erroring', erroring],
    ['real', undefined],
  ] as const) {
    const relays = new PtyRelays(dir, PTY_RELAY_BINARY, { onWatchUnavailable: (d) => told[name]!.push(d), ...(watchDir ? { watchDir } : {}) });
    t.after(() => relays.close());
    const tokens = [relays.prepare().token, relays.prepare().token];
    for (const token of tokens) {
      const att = relays.attach(token);
      const out = collect(att);
      const r = relay(relays, token);
      att.input.write('echo works-$((5*5))\n');
      await out.waitFor(/works-25/);
      att.input.write('exit 0\n');
      await r.exit;
    }
    await new Promise((res) => setTimeout(res, 100)); // the erroring stand-in's errors have come
  }
  assert.equal(told.failing!.length, 1, `a watch that cannot be had: told once for two sockets (${JSON.stringify(told)})`);
  assert.match(told.failing![0]!, /ENOSPC/);
  assert.equal(told.erroring!.length, 1, `a watch that fails later: told once (${JSON.stringify(told)})`);
  assert.deepEqual(told.real, [], 'a real watch: nothing told');
});

/** Voluntary context switches of `pid` (each a wake-up from a sleep). */
function wakeups(pid: number): number {
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

test('an idle relay connected to its server sleeps: no timed wake-up each second (probe: with -w 100 it wakes ten times a second)', async (t) => {
  const counts: Record<string, number> = {};
  for (const [name, opts] of [
    ['-w 100', ['-w', '100']],
    ['default', []],
  ] as const) {
    const relays = new PtyRelays(dir, PTY_RELAY_BINARY);
    t.after(() => relays.close());
    const { token } = relays.prepare();
    const att = relays.attach(token);
    const out = collect(att);
    const r = relay(relays, token, opts);
    att.input.write('echo ready-$((4*4))\n');
    await out.waitFor(/ready-16/);
    await new Promise((res) => setTimeout(res, 300)); // the shell's prompt and echo settle
    const before = wakeups(r.child.pid!);
    await new Promise((res) => setTimeout(res, 2500));
    counts[name] = wakeups(r.child.pid!) - before;
    att.input.write('exit 0\n');
    await r.exit;
  }
  assert.ok(counts['-w 100']! >= 15, `probe: the count sees a relay's timed wake-ups (${JSON.stringify(counts)})`);
  assert.ok(counts.default! <= 1, `an idle relay woke ${counts.default} times in 2.5 s (${JSON.stringify(counts)})`);
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
