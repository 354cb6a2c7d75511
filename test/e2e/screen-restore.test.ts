/**
 * Issue 12.4 over real OpenSSH under tmux: a trainee runs `top` (busybox, refreshing
 * only every 30 s), drops the client and reconnects with `ssh alice+demo@host`; the
 * pane shows top's screen at once, before top redraws. The control runs the same
 * journey with `screen_restore: false`: the pane stays blank (busybox top does not
 * redraw on the size nudge), which proves the probe. Busybox top draws on the normal
 * screen, so a program that switches to the alternate screen and parks its cursor (as
 * vim does) checks the alternate screen and the cursor, over SSH (tmux's own state)
 * and through the web door's protocol (test/browser/ws-client.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate } from '../helpers/trainee.ts';
import { WebClient } from '../browser/ws-client.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const runId = testRunId();
const islet = new IsletProcess(runId);
let web = '';
const TOP_HEADER = /PID\s+PPID\s+USER/;

function setScreenRestore(on: boolean): void {
  const f = join(islet.configDir, 'islet.yaml');
  const text = readFileSync(f, 'utf8').replace(/\nscreen_restore: \w+\n/g, '\n');
  writeFileSync(f, `${text.trimEnd()}\nscreen_restore: ${on}\n`);
}

/** A program that draws on the alternate screen, parks the cursor and waits (as vim does). */
const ALT_PROGRAM = "printf '\\033[?1049h\\033[H\\033[2JALT-%s-MARK\\033[12;30H' screen; sleep 600";
const ALT_MARK = 'ALT-screen-MARK';

/** Creates an account, starts `top -d 30` (or `cmd`) in its demo shell and drops the client abruptly. */
async function topThenDrop(user: string, cmd = 'top -d 30', drawn: RegExp | string = TOP_HEADER): Promise<void> {
  const s = await gate(islet.port);
  await createAccount(s, user, 'secret1');
  await choose(s, 'demo');
  await s.waitFor(PROMPT, 60_000);
  await s.line(cmd);
  await s.waitFor(drawn);
  await new Promise((r) => setTimeout(r, 300)); // the model is fed after the client: let it parse
  await s.close();
}

/** Reconnects straight to the shell; returns the session and when the password was sent. */
async function reattach(user: string): Promise<{ s: TmuxSsh; sent: number }> {
  const s = await TmuxSsh.connect({ port: islet.port, user: `${user}+demo` });
  await s.waitFor(/password:/i);
  const sent = performance.now();
  await s.line('secret1');
  return { s, sent };
}

describe('the screen comes back on reattach (real OpenSSH)', { concurrency: false }, () => {
  before(async () => {
    setScreenRestore(false);
    await islet.start({ ISLET_HTTP: '127.0.0.1:0' });
    web = `http://127.0.0.1:${Number((await islet.waitForLog((x) => x.event === 'web_listening')).port)}`;
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('control: with screen_restore off the reattached pane is blank while top waits for its next refresh', async () => {
    setScreenRestore(false);
    await topThenDrop('carol');
    const { s } = await reattach('carol');
    await s.waitFor('Welcome back!');
    await islet.waitForLog((l) => l.event === 'environment_attached' && l.account === 'carol', 20_000);
    await new Promise((r) => setTimeout(r, 2000)); // the size nudge has been sent; top has not redrawn
    const screen = await s.screen();
    assert.doesNotMatch(screen, TOP_HEADER, `top's screen must not be there without the model:\n${screen}`);
    // top is alive, just silent: a key makes it draw (so the blank above is not a dead top).
    await s.type(' ');
    await s.waitFor(TOP_HEADER, 10_000);
    await s.close();
  });

  test("top's screen is painted at once on reattach, before top redraws", async (t) => {
    setScreenRestore(true);
    await topThenDrop('alice');
    const { s, sent } = await reattach('alice');
    // top refreshes every 30 s and the control shows it does not redraw on the nudge: seen well before that = restored.
    await s.waitFor(TOP_HEADER, 10_000);
    const ms = Math.round(performance.now() - sent);
    t.diagnostic(`password sent -> top's screen painted: ${ms} ms (includes SSH auth, login and attach)`);
    const attached = await islet.waitForLog((l) => l.event === 'environment_attached' && l.account === 'alice' && l.path === 'reattach');
    t.diagnostic(`server side, environment chosen -> shell attached with the screen painted (reattach): ${String(attached.ms)} ms`);
    const screen = await s.screen();
    assert.match(screen, /^Mem: /m, `top's first line is on the first row:\n${screen}`);
    assert.doesNotMatch(screen, /Welcome back!/, 'the client screen was cleared before the paint');
    // Alternate screen: quitting top returns to the shell's normal screen with the command that started it.
    await s.type('q');
    await s.waitFor(PROMPT);
    assert.match(await s.screen(), /top -d 30/);
    await s.close();
  });

  test('a program on the alternate screen comes back there with its cursor in place (SSH)', async () => {
    setScreenRestore(true);
    await topThenDrop('dave', ALT_PROGRAM, ALT_MARK);
    const { s } = await reattach('dave');
    await s.waitFor(ALT_MARK, 10_000);
    const tmux = async (fmt: string) => (await run('tmux', ['display-message', '-p', '-t', s.name, fmt])).stdout.trim();
    assert.equal(await tmux('#{alternate_on}'), '1', 'the pane is on the alternate screen');
    assert.equal(await tmux('#{cursor_y},#{cursor_x}'), '11,29', 'the cursor is where the program left it');
    await s.close();
  });

  test('the web door paints the screen too when the trainee reattaches in the browser', async () => {
    setScreenRestore(true);
    await topThenDrop('bob', ALT_PROGRAM, ALT_MARK);
    const c = new WebClient(web, { origin: web });
    try {
      c.hello({ login: 'bob+demo', cols: 120, rows: 40 });
      await c.waitText("bob's password:");
      const from = c.text.length;
      c.type('secret1\r');
      // Seen well within top's 30 s refresh: painted from the model (the SSH control shows the nudge draws nothing).
      await c.waitText(ALT_MARK, 10_000, from);
      assert.match(c.text.slice(from), /\x1b\[\?1049h[\s\S]*ALT-screen-MARK/, 'the paint switches the page to the alternate screen first');
    } finally {
      c.ws.terminate();
    }
  });
});
