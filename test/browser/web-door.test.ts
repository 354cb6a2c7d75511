/**
 * The web door in a real Chromium (Debian's chromium through playwright-core):
 * the trainee journey in the page; SSH, then the browser, then SSH again on
 * the same shell (background job and files kept, the browser taking the shell
 * over); a killed WebSocket that resumes without losing output; a phone
 * viewport with the key bar. Screenshots are kept under .islet-test/browser/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { IsletProcess } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { launchChromium, openPage, screenText, screenshot, startWithWeb, typeLine, waitForScreen, type LaunchedBrowser } from './browser.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const user = `w${runId.slice(0, 7)}`;
const sshUser = `s${runId.slice(0, 7)}`;
const PW = 'trainee1';
const SHELL = /student@[\w.-]+:[^\n]*\$ $/m;
let base = '';
let chrome: LaunchedBrowser;
let browser: Browser;

/** Runs a command in the page's shell and returns what it printed between two markers. */
async function pageSh(page: Page, cmd: string): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 8);
  await typeLine(page, `echo B${tag}B; ${cmd}; echo E${tag}E`);
  const m = await waitForScreen(page, new RegExp(`\\nB${tag}B\\n([\\s\\S]*?)E${tag}E`));
  return m[1]!.trimEnd();
}

describe('the web door in Chromium', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    base = await startWithWeb(islet);
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await chrome?.close();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('the trainee journey in the page: banner, new account, environment menu, shell; no CSP violation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    try {
      const t0 = Date.now();
      const { page, errors } = await openPage(ctx, `${base}/`);
      await waitForScreen(page, 'Are you a new or existing user? [new/existing]:');
      console.log(`# page load to first menu prompt: ${Date.now() - t0} ms (including Chromium's first page)`);
      assert.match(await screenText(page), /Welcome to ISLET/);
      await typeLine(page, 'new');
      await waitForScreen(page, 'Choose a username');
      await typeLine(page, user);
      await waitForScreen(page, 'Choose a password');
      await typeLine(page, PW);
      await waitForScreen(page, 'Verify your password');
      await typeLine(page, PW);
      await waitForScreen(page, 'Your account will expire on');
      const m = await waitForScreen(page, /(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/m);
      await typeLine(page, m[1]!);
      await waitForScreen(page, SHELL, 90_000);
      assert.equal(await pageSh(page, 'echo web-$((6*7)); whoami'), 'web-42\nstudent');
      // xterm.js is served as published: DECRQM (requestMode) answers instead of freezing the terminal (xterm.js#5800).
      await typeLine(page, `printf '\\033[?2004$p'; read -r x; echo "got-$(printf %s "$x" | tr -dc '0-9;?$y')"`);
      await new Promise((r) => setTimeout(r, 500));
      await page.keyboard.press('Enter');
      await waitForScreen(page, /^got-\?2004;[12]\$y$/m);
      // The password typed in the terminal was never echoed.
      assert.doesNotMatch(await screenText(page), new RegExp(`Choose a password:.*${PW}`));
      await screenshot(page, 'journey-shell');
      assert.deepEqual(errors, [], 'console errors (CSP violations are reported there)');
      const cookies = await ctx.cookies();
      const resume = cookies.find((c) => c.name === '__Host-islet-resume');
      assert.ok(resume, 'resume cookie set');
      assert.equal(resume.httpOnly, true);
      assert.equal(resume.secure, true);
      assert.equal(resume.sameSite, 'Strict');
      assert.equal(resume.path, '/');
      await page.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }
  });

  test('a killed WebSocket reconnects by itself to the same shell without losing output', async () => {
    const ctx = await browser.newContext();
    try {
      const { page } = await openPage(ctx, `${base}/#/${user}+demo`);
      await waitForScreen(page, `${user}'s password:`);
      await typeLine(page, PW);
      await waitForScreen(page, SHELL, 60_000);
      const before = islet.logs.filter((l) => l.event === 'web_session_resumed').length;
      await typeLine(page, 'i=1; while [ $i -le 300 ]; do echo L$i-ok; i=$((i+1)); sleep 0.01; done; echo DONE$((1+1))');
      await waitForScreen(page, /L20-ok/);
      // Kill the socket twice while output flows: the page must come back by itself each time.
      await page.evaluate(() => (globalThis as any).islet.conn.blip());
      await waitForScreen(page, /L120-ok/, 60_000);
      await page.evaluate(() => (globalThis as any).islet.conn.blip());
      await waitForScreen(page, 'DONE2', 60_000);
      const text = await screenText(page);
      const seen = [...text.matchAll(/^L(\d+)-ok$/gm)].map((x) => Number(x[1]));
      assert.deepEqual(
        seen,
        Array.from({ length: 300 }, (_, i) => i + 1),
        'every line exactly once, in order',
      );
      const resumes = () => islet.logs.filter((x) => x.event === 'web_session_resumed').length;
      await islet.waitForLog((l) => l.event === 'web_session_resumed' && resumes() >= before + 2, 30_000);
      assert.equal(await pageSh(page, 'echo still-$((2+3))'), 'still-5');
      await screenshot(page, 'resume-after-blips');
      await page.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }
  });

  test('SSH, then the browser (taking the shell over), then SSH again: the same shell, its background job and files', async () => {
    const s1 = await gate(islet.port);
    await createAccount(s1, sshUser, PW);
    await choose(s1, 'demo');
    await s1.waitFor(PROMPT, 90_000);
    await s1.line('sleep 4321 & echo from-ssh > ~/door.txt');
    const pid = await sh(s1, 'echo $!');
    assert.match(pid, /^\d+$/);

    const ctx = await browser.newContext();
    try {
      const { page } = await openPage(ctx, `${base}/#/${sshUser}+demo`);
      await waitForScreen(page, `${sshUser}'s password:`);
      await typeLine(page, PW);
      // The shell is open over SSH: the page asks, the trainee takes it over.
      await waitForScreen(page, '[share/take]');
      await typeLine(page, 'take');
      await s1.waitFor('This shell was taken over from another window.');
      await s1.waitExit(20_000);
      await typeLine(page, '');
      await waitForScreen(page, SHELL, 60_000);
      assert.equal(await pageSh(page, 'cat ~/door.txt'), 'from-ssh');
      assert.match(await pageSh(page, 'jobs -l'), new RegExp(`${pid}.*sleep 4321`));
      await typeLine(page, 'echo from-web >> ~/door.txt');
      await screenshot(page, 'ssh-then-browser');
      await page.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }

    const s2 = await TmuxSsh.connect({ port: islet.port, user: `${sshUser}+demo` });
    await s2.waitFor(/password:/i);
    await s2.line(PW);
    await s2.waitFor(PROMPT, 60_000);
    assert.equal(await sh(s2, 'cat ~/door.txt'), 'from-ssh\nfrom-web');
    assert.match(await sh(s2, 'jobs -l'), new RegExp(`${pid}.*sleep 4321`));
    await s2.close();
  });

  test("a page of another site cannot open the door's WebSocket (the same script on the door's own page can)", async () => {
    const probe = (url: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('refused');
      });
    const wsUrl = `${base.replace('http:', 'ws:')}/ws`;
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    const ctx = await browser.newContext();
    try {
      const other = await ctx.newPage();
      await other.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      assert.equal(await other.evaluate(probe, wsUrl), 'refused');
      await islet.waitForLog((l) => l.event === 'web_origin_refused' && String(l.origin).startsWith('http://localhost:'));
      // Control: the door's own page opens it.
      const { page: own } = await openPage(ctx, `${base}/`);
      assert.equal(await own.evaluate(probe, wsUrl), 'open');
      await own.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
      evil.close();
    }
  });

  test('a reload at the gate comes back where it was, mid-dialogue (control: without the resume cookie, the banner again)', async () => {
    const ctx = await browser.newContext();
    const name = `g${runId.slice(0, 7)}`;
    try {
      const { page, errors } = await openPage(ctx, `${base}/`);
      await waitForScreen(page, '[new/existing]:');
      await typeLine(page, 'new');
      await waitForScreen(page, 'Choose a username');
      await typeLine(page, name);
      await waitForScreen(page, 'Choose a password');
      const id = await page.evaluate(() => (globalThis as any).islet.conn.saved?.id);
      assert.ok(id, 'the session is resumable (the page has its id and the cookie)');
      await page.reload();
      await waitForScreen(page, /Choose a password[^\n]*: $/, 15_000);
      await islet.waitForLog((l) => l.event === 'web_session_resumed' && String(id).startsWith(String(l.session)));
      assert.equal(await page.evaluate(() => (globalThis as any).islet.conn.saved?.id), id, 'the same session');
      assert.equal((await screenText(page)).match(/Welcome to ISLET/g)?.length, 1, 'the banner once: replayed, not restarted');
      // The dialogue goes on from there: the next line typed is the password.
      await typeLine(page, PW);
      await waitForScreen(page, 'Verify your password');
      await screenshot(page, 'reload-at-gate');
      assert.deepEqual(errors, []);
      // Control: the same reload without the resume cookie cannot resume and starts at the banner.
      await ctx.clearCookies();
      await page.reload();
      await waitForScreen(page, /could not be resumed[\s\S]*Welcome to ISLET[\s\S]*\[new\/existing\]: $/, 15_000);
      await page.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }
  });

  test('a reload mid-top paints top at once, without asking the password again', async () => {
    const ctx = await browser.newContext();
    try {
      const { page } = await openPage(ctx, `${base}/#/${user}+demo`);
      await waitForScreen(page, `${user}'s password:`);
      await typeLine(page, PW);
      await waitForScreen(page, SHELL, 60_000);
      await typeLine(page, 'top');
      await waitForScreen(page, /PID\s+PPID\s+USER/);
      await page.reload();
      // Nothing typed: the reloaded page must show top's screen by itself.
      const t0 = Date.now();
      await waitForScreen(page, /PID\s+PPID\s+USER/, 15_000);
      console.log(`# reload to top painted: ${Date.now() - t0} ms after the reload returned`);
      assert.doesNotMatch(await screenText(page), /password:/);
      await islet.waitForLog((l) => l.event === 'web_session_reopened');
      await screenshot(page, 'reload-mid-top');
      await page.keyboard.type('q');
      await waitForScreen(page, SHELL);
      await page.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }
  });

  test('a second tab that chooses to share mirrors the same shell: what one types, both see', async () => {
    const ctx = await browser.newContext();
    try {
      const { page: one } = await openPage(ctx, `${base}/#/${user}+demo`);
      await waitForScreen(one, `${user}'s password:`);
      await typeLine(one, PW);
      await waitForScreen(one, SHELL, 60_000);
      const { page: two } = await openPage(ctx, `${base}/#/${user}+demo`);
      await waitForScreen(two, `${user}'s password:`);
      await typeLine(two, PW);
      await waitForScreen(two, '[share/take]');
      await typeLine(two, 'share');
      // The shell's screen is painted on attach (it may replace what the page showed): wait for its prompt.
      await waitForScreen(two, SHELL, 60_000);
      await typeLine(two, 'echo mirrored-$((20+3))');
      await waitForScreen(two, /^mirrored-23$/m);
      await waitForScreen(one, /^mirrored-23$/m);
      await typeLine(one, 'echo back-$((1+1))');
      await waitForScreen(two, /^back-2$/m);
      await screenshot(two, 'second-tab-shared');
      for (const p of [one, two]) await p.evaluate(() => (globalThis as any).islet.conn.bye());
    } finally {
      await ctx.close();
    }
  });

  test('a phone (390x844, touch): the key bar sends Ctrl-C, arrows, Tab, |, ~, /, copies and pastes; IME text arrives; the terminal fits and rotates', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    try {
      const { page, errors } = await openPage(ctx, `${base}/#/${user}+demo`);
      await waitForScreen(page, `${user}'s password:`);
      assert.equal(await page.locator('#keybar').isVisible(), true, 'the key bar shows on a touch screen');
      await typeLine(page, PW);
      await waitForScreen(page, SHELL, 60_000);
      const cols = await page.evaluate(() => (globalThis as any).islet.term.cols as number);
      assert.ok(cols >= 30 && cols <= 60, `fits a phone's width: ${cols} columns`);
      assert.equal(await pageSh(page, 'stty size | cut -d" " -f2'), String(cols), 'the shell got the page size');
      // Ctrl then c interrupts a running command.
      await typeLine(page, 'sleep 600; echo NOT-INTERRUPTED');
      await new Promise((r) => setTimeout(r, 500));
      await page.locator('#keybar button[data-key="Ctrl"]').tap();
      await page.keyboard.type('c');
      await waitForScreen(page, /\^C[\s\S]*\$ $/m, 15_000);
      // Up arrow recalls the last command.
      assert.equal(await pageSh(page, 'echo phone-$((40+2))'), 'phone-42');
      await page.locator('#keybar button[data-key="↑"]').tap();
      await page.keyboard.press('Enter');
      await waitForScreen(page, /^phone-42$[\s\S]*^phone-42$/m);
      // Text committed by an input method (IME, autocorrect) arrives through the same onData path.
      await page.keyboard.insertText('echo ime-$((3*3))');
      await page.keyboard.press('Enter');
      await waitForScreen(page, /^ime-9$/m);
      // | from the bar.
      await page.keyboard.type('echo abc ');
      await page.locator('#keybar button[data-key="|"]').tap();
      await typeLine(page, ' tr a-z A-Z');
      await waitForScreen(page, /^ABC$/m);
      assert.doesNotMatch(await screenText(page), /^NOT-INTERRUPTED$/m);
      // Tab from the bar completes; ~ and / come from the bar too.
      await page.keyboard.type('ech');
      await page.locator('#keybar button[data-key="Tab"]').tap();
      await page.keyboard.type(' tab-');
      await page.locator('#keybar button[data-key="~"]').tap();
      await page.locator('#keybar button[data-key="/"]').tap();
      await page.keyboard.press('Enter');
      await waitForScreen(page, /^tab-~\/$/m);
      // Copy the selection and paste it back with the bar's buttons.
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await pageSh(page, 'echo copy-$((5*5))');
      const row = await page.evaluate(() => {
        const t = (globalThis as any).islet.term;
        const b = t.buffer.active;
        for (let y = b.length - 1; y >= 0; y--)
          if (b.getLine(y).translateToString(true) === 'copy-25') {
            t.select(0, y, 7);
            return y;
          }
        return -1;
      });
      assert.ok(row >= 0);
      await page.locator('#keybar button[data-key="Copy"]').tap();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'copy-25');
      await page.keyboard.type('echo pasted-');
      await page.locator('#keybar button[data-key="Paste"]').tap();
      await waitForScreen(page, /\$ echo pasted-copy-25$/m); // the clipboard is read asynchronously
      await page.keyboard.press('Enter');
      await waitForScreen(page, /^pasted-copy-25$/m);
      await screenshot(page, 'phone-portrait');
      // Rotation: the terminal refits to the landscape width and the shell follows.
      await page.setViewportSize({ width: 844, height: 390 });
      await page.waitForFunction((c) => (globalThis as any).islet.term.cols > c + 20, cols, { timeout: 10_000 });
      const wide = await page.evaluate(() => (globalThis as any).islet.term.cols as number);
      await new Promise((r) => setTimeout(r, 600)); // resizes reach the shell at most 4 times a second
      assert.equal(await pageSh(page, 'stty size | cut -d" " -f2'), String(wide));
      await screenshot(page, 'phone-landscape');
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });
});
