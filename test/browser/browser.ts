/**
 * Real Chromium for the browser tests: Debian's `chromium` (scripts/setup.sh
 * --test installs it) driven by playwright-core through executablePath, with
 * a fresh profile per launch (playwright's own temporary --user-data-dir); nothing downloads a browser. Screenshots go to
 * .islet-test/browser/ (gitignored), and their paths are printed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot, type IsletProcess } from '../helpers/islet-process.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const artifactsDir = join(repoRoot, '.islet-test', 'browser');

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  // playwright-core gives every launch a fresh temporary --user-data-dir of its own (it refuses one passed in args).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** Starts ISLET with the web door on a loopback port; returns the door's base URL. */
export async function startWithWeb(islet: IsletProcess, env: Record<string, string> = {}): Promise<string> {
  await islet.start({ ISLET_HTTP: '127.0.0.1:0', ...env });
  const l = await islet.waitForLog((x) => x.event === 'web_listening', 30_000);
  return `http://127.0.0.1:${Number(l.port)}`;
}

/**
 * Chromium aborts requests, loopback ones included, when the host's network interfaces change: docker does
 * that whenever another test file creates or removes a network or a container on one. An event of the test
 * host, not of the page, so it is not counted as a page error; a load it hit is done again (ci10 of
 * 2026-12-01 failed on three such "Failed to load resource: net::ERR_NETWORK_CHANGED" lines).
 */
const NETWORK_CHANGED = 'ERR_NETWORK_CHANGED';

/** True for a console error that is the test host's network changing (see NETWORK_CHANGED), not the page's. */
export const hostNetworkChanged = (text: string): boolean => text.includes(NETWORK_CHANGED);

/** A page whose console errors and CSP violations are collected (a test asserts there are none). */
export async function openPage(ctx: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  let networkChanged = 0;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (hostNetworkChanged(m.text())) networkChanged++;
    else errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  for (let attempt = 1; ; attempt++) {
    const before = networkChanged;
    const loaded = await page.goto(url).then(
      () => true,
      (err: unknown) => {
        if (attempt < 3 && String(err).includes(NETWORK_CHANGED)) return false;
        throw err;
      },
    );
    if ((loaded && networkChanged === before) || attempt >= 3) break;
    console.log(`# ${url}: the host's network changed during the load (${NETWORK_CHANGED}); loading it again`);
    errors.length = 0; // what the aborted load broke is not the page's fault
  }
  return { page, errors };
}

/** Everything the terminal shows (scrollback included), one entry per logical line (wrapped rows joined), joined with \n. */
export function screenText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const b = (globalThis as any).islet.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const line = b.getLine(i);
      const text = line?.translateToString(true) ?? '';
      // A row the terminal wrapped continues the previous line.
      if (line?.isWrapped && out.length) out[out.length - 1] += text;
      else out.push(text);
    }
    return out.join('\n').replace(/\n+$/, '');
  });
}

/** Waits until the terminal's text matches; returns the match. */
export async function waitForScreen(page: Page, re: RegExp | string, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await screenText(page);
    const m = typeof re === 'string' ? (last.includes(re) ? ([re] as unknown as RegExpMatchArray) : null) : last.match(re);
    if (m) return m;
    if (Date.now() > deadline)
      throw new Error(`terminal did not show ${String(re)} within ${timeoutMs} ms; it shows:\n${last.split('\n').slice(-25).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Types a line into the terminal as a trainee would (keyboard events into xterm's textarea). */
export async function typeLine(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** Saves a screenshot under .islet-test/browser/ and prints its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`# screenshot: ${path}`);
  return path;
}

/** At the gate page: creates the account `user` (password `password`) in the terminal and chooses demo; returns at the shell's prompt. */
export async function newAccountInShell(page: Page, user: string, password = 'trainee1'): Promise<void> {
  await waitForScreen(page, 'Are you a new or existing user? [new/existing]:');
  for (const [answer, next] of [
    ['new', 'Choose a username'],
    [user, 'Choose a password'],
    [password, 'Verify your password'],
    [password, 'Your account will expire on'],
  ] as const) {
    await typeLine(page, answer);
    await waitForScreen(page, next);
  }
  const m = await waitForScreen(page, /(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/m);
  await typeLine(page, m[1]!);
  await waitForScreen(page, /student@[\w.-]+:[^\n]*\$ $/m, 90_000);
}
