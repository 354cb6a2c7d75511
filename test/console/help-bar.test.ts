/**
 * The help bar of a browser trainee (issue 13.3: "a button in the page for browser trainees"), whole stack:
 * the real server, a browser trainee in a shell and the instructor's console, both in Chromium.
 * The instructor watches: the trainee's page shows who; asks to type: the page offers Allow and Refuse;
 * Refuse refuses, Allow allows (the instructor's command runs in the trainee's shell, logged as the
 * instructor's); End ends the watch. Each answer is proved to be the button's: the trainee's page sent no
 * key (no binary frame) and sent the `watch-answer` control frame (the probe: typing in the page does send
 * binary frames). The bar's module is not fetched by the first load.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import {
  hostNetworkChanged,
  launchChromium,
  newAccountInShell,
  openPage,
  screenshot,
  startWithWeb,
  typeLine,
  waitForScreen,
  type LaunchedBrowser,
} from '../browser/browser.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const INSTRUCTOR = 'ada';
const IPW = 'instructor-pw-1';
const trainee = `h${runId.slice(0, 7)}`;
let base = '';
let chrome: LaunchedBrowser;
let browser: Browser;

async function consoleStatus(page: Page, re: RegExp): Promise<void> {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('.watch-status')?.textContent ?? ''), re.source, { timeout: 20_000 });
}

async function barText(page: Page, re: RegExp): Promise<void> {
  await page.waitForFunction(
    (src) => {
      const bar = document.getElementById('helpbar');
      return !!bar && !bar.hidden && new RegExp(src).test(bar.textContent ?? '');
    },
    re.source,
    { timeout: 20_000 },
  );
}

describe('help bar: a browser trainee answers an instructor with buttons', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', INSTRUCTOR, '--config', islet.configDir], { input: `${IPW}\n` });
    base = await startWithWeb(islet);
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  after(async () => {
    await chrome?.close();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('watching shown; Refuse refuses, Allow allows (instructor input recorded as theirs), End ends it; no key was sent', async () => {
    // The trainee, in a browser, in a shell.
    const webCtx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const requested: string[] = [];
    webCtx.on('request', (r) => requested.push(new URL(r.url()).pathname));
    const web = await webCtx.newPage();
    const webErrors: string[] = [];
    web.on('console', (msg) => msg.type() === 'error' && !hostNetworkChanged(msg.text()) && webErrors.push(msg.text()));
    web.on('pageerror', (e) => webErrors.push(String(e)));
    /**
     * What the trainee's page sends on its terminal socket: keys (binary) and control frames (listened to before
     * boot.js opens it). `typed()` leaves out the terminal's own answers to the shell's queries (busybox's line editor
     * asks for the cursor position at a new prompt; xterm.js answers ESC [ row ; col R on the same socket, whenever the
     * query arrives). A CI run saw one 8-byte frame during the Allow click, the size of such an answer (the content
     * was not recorded then; it is now, in `keys`).
     */
    const keys: string[] = [];
    const TERMINAL_REPORT = /^\x1b\[[0-9;?]*[Rc]$/;
    const typed = () => keys.filter((k) => !TERMINAL_REPORT.test(k));
    const controls: string[] = [];
    web.on('websocket', (ws) => {
      if (!new URL(ws.url()).pathname.endsWith('/ws')) return;
      ws.on('framesent', (f) => (typeof f.payload === 'string' ? controls.push(f.payload) : keys.push(Buffer.from(f.payload).toString('latin1'))));
    });
    await web.goto(`${base}/`);
    await newAccountInShell(web, trainee);
    assert.ok(!requested.some((p) => p.endsWith('/help-bar.js')), 'the first load does not fetch the help bar');
    assert.equal(await web.locator('#helpbar').count(), 0, 'no bar while nobody watches');

    // The instructor logs in and watches.
    const consoleCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const { page: con } = await openPage(consoleCtx, `${base}/console`);
    await con.fill('#login-name', INSTRUCTOR);
    await con.fill('#login-password', IPW);
    await con.click('#login-form button[type="submit"]');
    await con.click('button[data-feature="watch"]');
    await con.click('.watch-bar button:text("Refresh")');
    await con.selectOption('.watch-pick', JSON.stringify([trainee, 'demo']));
    await con.click('.watch-start');
    await consoleStatus(con, /Watching/);
    await barText(web, /Watching your terminal: ada \(instructor\)/);
    assert.ok(await web.locator('#helpbar button[data-answer="end"]').isVisible(), 'the trainee can end it');
    assert.equal(await web.locator('#helpbar button[data-answer="allow"]').isVisible(), false, 'nothing to allow yet');

    // Ask; the trainee clicks Refuse.
    await con.click('.watch-ask');
    await barText(web, /ada \(instructor\) asks to type in your terminal\. Allow\?/);
    await screenshot(web, 'help-bar-ask');
    keys.length = 0;
    controls.length = 0;
    await web.getByRole('button', { name: 'Refuse' }).click();
    await consoleStatus(con, /refused/);
    await waitForScreen(web, 'You refused ada typing in your terminal.');
    assert.deepEqual(typed(), [], 'no key was sent: the button answered');
    assert.ok(
      controls.some((c) => JSON.parse(c).t === 'watch-answer' && JSON.parse(c).answer === 'refuse'),
      controls.join(' '),
    );
    await barText(web, /Watching your terminal: ada/);
    assert.equal(await web.locator('#helpbar button[data-answer="refuse"]').isVisible(), false, 'the ask is over');
    // The probe of "no key was sent": typing in the page does send binary frames (focus is back in the terminal).
    await typeLine(web, 'echo probe-$((5*5))');
    await waitForScreen(web, /^probe-25$/m);
    assert.ok(typed().length > 0, 'typing sends binary frames');
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'type_refused' && l.instructor === INSTRUCTOR));

    // Ask again; the trainee clicks Allow; the instructor types.
    await con.click('.watch-ask');
    await consoleStatus(con, /Asked the trainee/);
    await barText(web, /asks to type/);
    keys.length = 0;
    controls.length = 0;
    await web.getByRole('button', { name: 'Allow' }).click();
    await consoleStatus(con, /allowed typing/);
    assert.deepEqual(typed(), [], 'no key was sent: the button answered');
    assert.ok(
      controls.some((c) => JSON.parse(c).answer === 'allow'),
      controls.join(' '),
    );
    await barText(web, /ada \(instructor\) is typing in your terminal/);
    await con.click('.watch-screen');
    await con.keyboard.type('echo typed-by-ada-$((2+3))');
    await con.keyboard.press('Enter');
    await waitForScreen(web, /^typed-by-ada-5$/m);
    await islet.waitForLog((l) => l.event === 'instructor_input' && l.instructor === INSTRUCTOR && l.account === trainee, 10_000);
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'type_granted' && l.instructor === INSTRUCTOR));

    // The trainee ends it with the bar's button.
    keys.length = 0;
    await web.locator('#helpbar button[data-answer="end"]').click();
    await consoleStatus(con, /The trainee ended watching/);
    await waitForScreen(web, 'You ended watching by ada.');
    await web.waitForFunction(() => document.getElementById('helpbar')?.hidden === true, undefined, { timeout: 20_000 });
    assert.deepEqual(typed(), [], 'ended by the button, not Ctrl-]');
    await typeLine(web, 'echo still-$((3*3))');
    await waitForScreen(web, /^still-9$/m);
    assert.deepEqual(webErrors, [], "no error or CSP violation in the trainee's page");
    await consoleCtx.close();
    await webCtx.close();
  });
});
