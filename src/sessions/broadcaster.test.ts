/**
 * Broadcasts reach shells (placed by the terminal model: above the prompt on the normal screen; a status
 * line over a full-screen program, repaired by a redraw, said again when the program ends) and menu
 * sessions, selected by account or environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import headless from '@xterm/headless';
import { Broadcaster } from './broadcaster.ts';
import { MenuRoster } from './menu-roster.ts';
import { MenuSession } from './menu-session.ts';
import { ShellTaps } from './shell-taps.ts';
import { IsletError } from '../core/islet-error.ts';
import { ScreenModels } from '../terminal-model/screen-models.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { memoryLogger, unitWorld } from '../../test/helpers/unit-world.ts';
import { until } from '../../test/helpers/until.ts';

const { Terminal } = headless;
const size = { cols: 60, rows: 10 };

async function paint(out: string) {
  const t = new Terminal({ ...size, allowProposedApi: true });
  await new Promise<void>((r) => t.write(out, r));
  const b = t.buffer.active;
  const lines = Array.from({ length: size.rows }, (_, y) => b.getLine(b.viewportY + y)?.translateToString(true) ?? '');
  const r = { type: b.type, lines };
  t.dispose();
  return r;
}

/** A shell attached to a tap, whose output the test writes (what EnvironmentRunner's pipe does). */
function fakeShell(taps: ShellTaps, screens: ScreenModels, id: string, account: string, environment: string) {
  const term = new MemoryTerminal();
  term.resize(size);
  const model = screens.join(id, size)!;
  const tap = taps.join(id, { account, environment }, { term, input: () => undefined, model: (b) => model.feed(b) }, size);
  return {
    term,
    out(s: string) {
      const b = Buffer.from(s);
      term.write(b);
      model.feed(b);
      tap.output(b);
    },
  };
}

function world() {
  const screens = new ScreenModels({ enabled: () => true, redraw: () => undefined });
  const redraws: string[] = [];
  const taps = new ShellTaps({ screens, redraw: (id) => redraws.push(id), statusMs: 50 });
  const roster = new MenuRoster();
  const { log, events } = memoryLogger();
  return { screens, taps, roster, redraws, events, b: new Broadcaster(taps, roster, log) };
}

test('a shell at its prompt gets the message above the prompt line, which stays as it was', async () => {
  const w = world();
  const sh = fakeShell(w.taps, w.screens, 'c1', 'alice', 'demo');
  sh.out('line 1\r\nline 2\r\n~ $ make al');
  assert.deepEqual(await w.b.send('Break: \x1b[2Jback at 11:00', {}, 'ada'), { shells: 1, menus: 0 });
  sh.out('l');
  const s = await paint(sh.term.output);
  assert.deepEqual(s.lines.slice(0, 4), ['line 1', 'line 2', '[ISLET] ada: Break: [2Jback at 11:00', '~ $ make all'], 'no escape sequence passed');
  assert.equal(w.events.find((e) => e.event === 'broadcast')?.from, 'ada');
  w.screens.close();
});

test('a full-screen program keeps its screen: a status line, then a redraw; the message comes back at the prompt', async () => {
  const w = world();
  const sh = fakeShell(w.taps, w.screens, 'c1', 'alice', 'demo');
  sh.out('~ $ top\r\n\x1b[?1049h\x1b[H\x1b[2JMem: 100K used\r\n  PID USER');
  await w.b.send('five minutes left', { environment: 'demo' }, 'ada');
  let s = await paint(sh.term.output);
  assert.equal(s.type, 'alternate');
  assert.deepEqual(s.lines.slice(0, 2), ['Mem: 100K used', '  PID USER'], "top's rows untouched");
  assert.equal(s.lines[9], '[ISLET] ada: five minutes left', 'shown on the bottom row');
  await until('redraw asked', () => w.redraws.length === 1);
  // top redraws (as on SIGWINCH): the status line is gone, the model holds top's screen only.
  sh.out('\x1b[H\x1b[2JMem: 100K used\r\n  PID USER');
  const model = await w.screens.restore('c1', size);
  assert.doesNotMatch(model!, /five minutes/);
  // q: top leaves the alternate screen; the message is said at the prompt.
  sh.out('\x1b[?1049l~ $ ');
  await until('said at the prompt', async () => (await paint(sh.term.output)).lines.includes('[ISLET] ada: five minutes left'));
  s = await paint(sh.term.output);
  assert.equal(s.type, 'normal');
  assert.deepEqual(s.lines.slice(0, 3), ['~ $ top', '[ISLET] ada: five minutes left', '~ $ ']);
  w.screens.close();
});

test('selection: by account, by environment, everyone; menu sessions too (not by environment); bad messages refused', async (t) => {
  const w = world();
  fakeShell(w.taps, w.screens, 'c1', 'alice', 'demo');
  fakeShell(w.taps, w.screens, 'c2', 'bob', 'lab');
  const u = unitWorld();
  t.after(() => u.close());
  await u.store.createAccount({ name: 'carol', passwordHash: 'x', createdAt: u.now(), expiresAt: new Date(u.now().getTime() + 86_400_000) });
  const menu = new MemoryTerminal();
  const session = new MenuSession({ ...u.menuDeps, roster: w.roster }, menu).run({ method: 'password', account: 'carol' });
  await until('menu prompt', () => menu.output.endsWith('[Choice]: '));
  assert.deepEqual(await w.b.send('hi', {}, 'ada'), { shells: 2, menus: 1 });
  assert.match(menu.output, /\r\n\[ISLET\] ada: hi\r\n\[Choice\]: $/, 'the notice, then the prompt again');
  assert.deepEqual(await w.b.send('hi', { account: 'bob' }, 'ada'), { shells: 1, menus: 0 });
  assert.deepEqual(await w.b.send('hi', { account: 'carol' }, 'ada'), { shells: 0, menus: 1 });
  assert.deepEqual(await w.b.send('hi', { environment: 'demo' }, 'ada'), { shells: 1, menus: 0 });
  assert.deepEqual(await w.b.send('hi', { environment: 'none' }, 'ada'), { shells: 0, menus: 0 });
  const invalid = (e: unknown) => e instanceof IsletError && e.code === 'BROADCAST_INVALID';
  await assert.rejects(w.b.send('\x1b\x07 \r\n', {}, 'ada'), invalid);
  await assert.rejects(w.b.send('hi', { account: 'bob', environment: 'lab' }, 'ada'), invalid);
  menu.close();
  await session;
  assert.deepEqual(await w.b.send('hi', {}, 'ada'), { shells: 2, menus: 0 }, 'a closed session leaves the roster');
  w.screens.close();
});

test('a session on its way into a shell (its container starting) is told like a menu session, without a prompt; once attached, by its shell', () => {
  const roster = new MenuRoster();
  const term = new MemoryTerminal();
  const e = roster.add(term, () => 'alice');
  e.prompt = '[Choice]: ';
  e.inShell = true;
  assert.deepEqual(
    roster.select(undefined, () => false),
    [e],
    'not attached yet: still reached through the roster',
  );
  assert.deepEqual(
    roster.select('alice', (t) => t === term),
    [],
    'attached: its shell tells it',
  );
  MenuRoster.notify(e, 'x');
  assert.equal(term.output, '\r\n[ISLET] x\r\n', 'no prompt repeated while the shell is starting');
});
