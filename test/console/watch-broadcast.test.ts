/**
 * Help one trainee and speak to all (issue 13.3, 13.4) through the whole stack: the real server, real
 * OpenSSH trainees in tmux, a browser trainee and the instructor's console in Chromium.
 * - the instructor watches an SSH trainee's shell: the screen that was there first, then live output; the
 *   trainee is told who watches; asking to type is refused (n) and nothing typed reaches the shell, then
 *   allowed (y) and the instructor's command runs, logged as the instructor's; Ctrl-] ends the watch;
 * - a broadcast from `islet broadcast` reaches an SSH trainee in a shell running vi (status line, then vi
 *   redraws: the server's terminal model shows vi's screen intact; the message comes back at the prompt),
 *   a browser trainee in a shell and an SSH trainee still in the menu; the console's form selects by
 *   environment (the menu trainee is left out) and by account;
 * - `islet broadcast` with no server on the data directory fails with CONTROL_UNAVAILABLE (the control: the
 *   same command against the running server's data directory succeeds).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { launchChromium, newAccountInShell, openPage, startWithWeb, typeLine, waitForScreen, type LaunchedBrowser } from '../browser/browser.ts';

const exec = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const INSTRUCTOR = 'ada';
const IPW = 'instructor-pw-1';
const users = { watched: `a${runId.slice(0, 7)}`, vi: `v${runId.slice(0, 7)}`, web: `b${runId.slice(0, 7)}`, menu: `m${runId.slice(0, 7)}` };
let base = '';
let chrome: LaunchedBrowser;
let browser: Browser;
let consoleCtx: BrowserContext;
let consolePage: Page;
/** Console errors and CSP violations of the console page, less the 401 of its session probe before login. */
let consoleErrors: string[] = [];
const realErrors = () => consoleErrors.filter((e) => !/status of 401/.test(e));

/** Polls the visible screen of an SSH trainee (notices are inserted above the prompt, not appended). */
async function screenShows(s: TmuxSsh, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await s.screen();
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`screen did not show ${re}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The console's watch terminal, one row per line. */
function watchText(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.watch-screen .xterm-rows > div'))
      .map((d) => (d.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd())
      .join('\n'),
  );
}

async function watchShows(page: Page, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await watchText(page);
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the console's watch did not show ${re}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function status(page: Page, re: RegExp): Promise<void> {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('.watch-status')?.textContent ?? ''), re.source, { timeout: 20_000 });
}

async function sshInShell(user: string): Promise<TmuxSsh> {
  const s = await gate(islet.port, { cols: 100, rows: 30 });
  await createAccount(s, user);
  await choose(s, 'demo');
  await s.waitFor(PROMPT, 90_000);
  return s;
}

async function watch(page: Page, account: string): Promise<void> {
  await page.click('button[data-feature="watch"]');
  await page.click('.watch-bar button:text("Refresh")');
  await page.selectOption('.watch-pick', JSON.stringify([account, 'demo']));
  await page.click('.watch-start');
}

describe('instructor console: watch, ask to type, broadcast', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', INSTRUCTOR, '--config', islet.configDir], { input: `${IPW}\n` });
    base = await startWithWeb(islet);
    chrome = await launchChromium();
    browser = chrome.browser;
    consoleCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const { page, errors } = await openPage(consoleCtx, `${base}/console`);
    consolePage = page;
    consoleErrors = errors;
    await page.fill('#login-name', INSTRUCTOR);
    await page.fill('#login-password', IPW);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('button[data-feature="watch"]');
    assert.deepEqual(realErrors(), [], 'no console error or CSP violation at login');
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await chrome?.close();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('watch an SSH trainee: screen first, then live; typing refused, then allowed; Ctrl-] ends it', async () => {
    const s = await sshInShell(users.watched);
    assert.equal(await sh(s, 'echo before-watch-$((6*7))'), 'before-watch-42');
    const page = consolePage;
    // Every binary frame (keys) the console page sends on the watch socket.
    const sent: unknown[] = [];
    page.on('websocket', (ws) => {
      if (ws.url().includes('/console/ws/watch')) ws.on('framesent', (f) => typeof f.payload !== 'string' && sent.push(f.payload));
    });
    await watch(page, users.watched);
    await watchShows(page, /before-watch-42/);
    await status(page, /Watching/);
    await screenShows(s, /\[ISLET\] ada \(instructor\) is watching your terminal/);
    assert.equal(await sh(s, 'echo live-$((7*6))'), 'live-42');
    await watchShows(page, /live-42/);
    // The trainee's program queries the terminal (DA, cursor position): only the trainee's terminal answers;
    // the watcher's sends nothing (the control: once typing is allowed, its keys are sent).
    await sh(s, "printf '\\033[c\\033[6n'; sleep 1; echo queried");
    await watchShows(page, /queried/);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sent, [], 'the watching page sent nothing');

    // Ask, refused: the instructor's keys go nowhere.
    await page.click('.watch-ask');
    await screenShows(s, /ada \(instructor\) asks to type in your terminal/);
    await s.type('n');
    await status(page, /refused/);
    await page.click('.watch-screen');
    await page.keyboard.type('echo sneaky-$((1+1))');
    await page.keyboard.press('Enter');
    // Ask again, allowed: the instructor's command runs in the trainee's shell.
    await page.click('.watch-ask');
    await status(page, /Asked the trainee/);
    await s.type('y');
    await status(page, /allowed typing/);
    await screenShows(s, /ada \(instructor\) is typing in your terminal/);
    await page.click('.watch-screen');
    await page.keyboard.type('echo typed-by-ada-$((2+3))');
    await page.keyboard.press('Enter');
    await screenShows(s, /^typed-by-ada-5$/m);
    assert.ok(sent.length > 0, 'allowed: the page sends keys (the probe of the check above)');
    await watchShows(page, /typed-by-ada-5/);
    assert.doesNotMatch(await s.history(), /sneaky-2/, 'what was typed before the yes never reached the shell');
    // The engine logs what the instructor typed as theirs (gathered per second), never as the trainee's.
    await islet.waitForLog((l) => l.event === 'instructor_input' && l.instructor === INSTRUCTOR && l.account === users.watched, 10_000);
    await islet.waitForLog((l) => l.event === 'console_audit' && l.action === 'watch_input' && l.instructor === INSTRUCTOR, 10_000);
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'type_refused'));
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'type_granted'));

    // The trainee ends it.
    await s.keys('C-]');
    await status(page, /The trainee ended watching/);
    await screenShows(s, /You ended watching by ada/);
    assert.equal(await sh(s, 'echo still-$((3*3))'), 'still-9', 'the shell goes on');
    assert.deepEqual(realErrors(), [], 'no console error or CSP violation (xterm.js in the console)');
  });

  test('a broadcast reaches a shell running vi (not corrupted), a browser shell and the menu; CLI and console form', async () => {
    const vi = await sshInShell(users.vi);
    const menu = await gate(islet.port, { cols: 100, rows: 30 });
    await createAccount(menu, users.menu);
    await menu.waitFor('[Choice]: ');
    const webCtx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const { page: web } = await openPage(webCtx, `${base}/`);
    await newAccountInShell(web, users.web);

    // vi on the alternate screen with some text.
    await vi.line('vi /tmp/notes');
    await screenShows(vi, /^~/m);
    await vi.type('ihello from vi');
    await vi.keys('Escape');
    await screenShows(vi, /^hello from vi/m);

    const { stdout } = await exec(join(repoRoot, 'bin/islet'), ['broadcast', '--data', islet.dataDir, 'Lunch', 'at', 'noon\x1b[2J']);
    // Three shells (the watched trainee of the test before, vi, the browser) and one menu session.
    assert.match(stdout, /broadcast shown in 3 shell\(s\) and 1 menu session\(s\)/);
    await waitForScreen(web, '[ISLET] admin: Lunch at noon [2J');
    await screenShows(menu, /\[ISLET\] admin: Lunch at noon \[2J\s*\n\[Choice\]:/);
    // vi: a status line on the bottom row, then vi redraws its screen.
    await screenShows(vi, /\[ISLET\] admin: Lunch at noon/);
    await screenShows(vi, /^hello from vi/m);
    const deadline = Date.now() + 20_000;
    while (/\[ISLET\]/.test(await vi.screen())) {
      if (Date.now() > deadline) throw new Error(`vi did not redraw:\n${await vi.screen()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(await vi.screen(), /^hello from vi/m);
    // The server's terminal model (what a watcher or a reattach is painted) holds vi's screen intact.
    await watch(consolePage, users.vi);
    const model = await watchShows(consolePage, /^hello from vi/m);
    assert.doesNotMatch(model, /\[ISLET\] admin/, "the model shows vi's screen, not the status line");
    assert.match(model, /^~/m);
    await consolePage.click('.watch-stop');
    // vi ends: the message is said again above the prompt.
    await vi.type(':q!');
    await vi.keys('Enter');
    // (with the watch notices that came while vi ran, in order) above the new prompt.
    await screenShows(vi, /\[ISLET\] admin: Lunch at noon \[2J\n[^$]*\[ISLET\] ada stopped watching your terminal\.\n[^\n]*\$\s*$/);

    // The console's form: by environment (shells only), then one account (the menu trainee).
    const page = consolePage;
    await page.click('button[data-feature="broadcast"]');
    await page.fill('.broadcast-message', 'Form to demo');
    await page.selectOption('.broadcast-scope', 'environment');
    await page.waitForSelector('.broadcast-which option[value="demo"]', { state: 'attached' });
    await page.selectOption('.broadcast-which', 'demo');
    await page.click('.broadcast-form button[type="submit"]');
    await page.waitForFunction(() => /Shown in 3 shell\(s\) and 0 menu/.test(document.querySelector('.broadcast-result')?.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    await waitForScreen(web, '[ISLET] ada: Form to demo');
    await screenShows(vi, /\[ISLET\] ada: Form to demo/);
    assert.doesNotMatch(await menu.screen(), /Form to demo/, 'a trainee in the menu is in no environment');
    await page.fill('.broadcast-message', 'Form to one');
    await page.selectOption('.broadcast-scope', 'account');
    await page.waitForSelector(`.broadcast-which option[value="${users.menu}"]`, { state: 'attached' });
    await page.selectOption('.broadcast-which', users.menu);
    await page.click('.broadcast-form button[type="submit"]');
    await screenShows(menu, /\[ISLET\] ada: Form to one\s*\n\[Choice\]:/);
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'broadcast' && l.instructor === INSTRUCTOR));
    await webCtx.close();
  });

  test('islet broadcast without a server fails with CONTROL_UNAVAILABLE', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'islet-no-server-'));
    try {
      const r = await exec(join(repoRoot, 'bin/islet'), ['broadcast', '--data', empty, 'hello']).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(r.code, 3);
      assert.match(r.stderr, /\[CONTROL_UNAVAILABLE\] no server is running: .*control\.sock/);
      // Control: the same command against the running server succeeds.
      const ok = await exec(join(repoRoot, 'bin/islet'), ['broadcast', '--data', islet.dataDir, 'hello']);
      assert.match(ok.stdout, /broadcast shown in/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
