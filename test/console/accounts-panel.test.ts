/**
 * The console's Accounts panel (src/console/public/accounts.js) in real Chromium under the door's strict CSP:
 * an instructor makes accounts with the bulk form and gets slips with QR codes (data: images that load),
 * downloads the CSV, prints the slips (only the slips reach the PDF), and acts on ticked accounts
 * (extend; a stop without a container reported; remove after a confirm). No console error, no CSP violation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, openPage, startWithWeb, type LaunchedBrowser } from '../browser/browser.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-acct-panel-'));
let chrome: LaunchedBrowser;
let page: Page;
let errors: string[] = [];

const results = () => page.$$eval('.acct-results li', (l) => l.map((x) => `${x.className}|${x.textContent}`));
/** Ticks exactly `names`. Locators, not element handles: the panel re-renders its rows after each action's reload. */
async function tick(names: string[]) {
  const all = await page.$$eval('.acct-table tbody input[type=checkbox]', (bs) => bs.map((b) => (b as HTMLInputElement).value));
  for (const n of all) await page.locator(`.acct-table tbody input[data-account="${n}"]`).setChecked(names.includes(n));
}

describe('console Accounts panel in Chromium', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', 'ada', '--config', islet.configDir], { input: 'instructor-pw-1\n' });
    const base = await startWithWeb(islet);
    chrome = await launchChromium();
    const ctx = await chrome.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    ({ page, errors } = await openPage(ctx, `${base}/console`));
    await page.waitForSelector('#login-form');
    await page.fill('#login-name', 'ada');
    await page.fill('#login-password', 'instructor-pw-1');
    await page.click('#login-form button[type="submit"]');
    await page.click('button[data-feature="accounts"]');
    await page.waitForSelector('.bulk-form');
  });
  after(async () => {
    await chrome?.close();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('bulk form: three slips with loaded QR codes, a CSV download, and a print with only the slips', async () => {
    await page.fill('.bulk-prefix', 'pa');
    await page.fill('.bulk-count', '3');
    await page.fill('.bulk-days', '1');
    await page.check('.bulk-envs input[data-environment="demo"]');
    await page.click('.bulk-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('.acct-slips .slip').length === 3);
    const slips = await page.$$eval('.acct-slips .slip', (s) =>
      s.map((x) => ({ text: x.textContent ?? '', qr: (x.querySelector('img.qr') as HTMLImageElement | null)?.naturalWidth ?? 0 })),
    );
    for (const [i, s] of slips.entries()) {
      assert.match(s.text, new RegExp(`Username pa0${i + 1}Password [a-z]+(-[a-z]+){3}`));
      assert.match(s.text, /Environments demo/);
      assert.ok(s.qr > 0, 'the QR data: image loaded under the CSP');
    }
    const passwords = slips.map((s) => /Password ([a-z-]+)SSH/.exec(s.text)![1]!);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download CSV')]);
    const csvFile = join(work, 'c.csv');
    await download.saveAs(csvFile);
    const rows = readFileSync(csvFile, 'utf8').trim().split('\r\n');
    assert.equal(rows.length, 4);
    for (const [i, p] of passwords.entries()) assert.ok(rows[i + 1]!.startsWith(`pa0${i + 1},${p},`));

    // Printing shows the slips only (the class the Print button sets for window.print()); control: without it the whole page prints.
    const whole = join(work, 'whole.pdf');
    await page.pdf({ path: whole, format: 'A4' });
    assert.ok((await run('pdftotext', ['-layout', whole, '-'])).stdout.includes('Create accounts'));
    await page.evaluate(() => document.body.classList.add('acct-printing'));
    const pdf = join(work, 'panel.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    await page.evaluate(() => document.body.classList.remove('acct-printing'));
    const text = (await run('pdftotext', ['-layout', pdf, '-'])).stdout;
    for (const p of passwords) assert.ok(text.includes(p), `the PDF holds ${p}`);
    assert.ok(!text.includes('Create accounts') && !text.includes('ISLET console'), 'nothing but the slips is printed');
  });

  test('acting on ticked accounts: extend, a stop without a container is reported, remove after a confirm', async () => {
    await page.waitForSelector('.acct-table tr[data-account="pa01"]');
    await tick(['pa01']);
    await page.selectOption('.acct-action', 'extend');
    await page.fill('.acct-days', '2');
    await page.click('.acct-apply');
    await page.waitForFunction(() => /pa01: now expires/.test(document.querySelector('.acct-results')?.textContent ?? ''));
    assert.deepEqual(
      (await results()).map((r) => r.split('|')[0]),
      ['ok'],
    );

    await tick(['pa02']);
    await page.selectOption('.acct-action', 'stop');
    await page.click('.acct-apply');
    await page.waitForFunction(() => /pa02: pa02 has no container yet/.test(document.querySelector('.acct-results')?.textContent ?? ''));
    assert.equal((await results())[0]!.split('|')[0], 'bad');

    page.once('dialog', (d) => void d.accept());
    await tick(['pa03']);
    await page.selectOption('.acct-action', 'remove');
    await page.click('.acct-apply');
    await page.waitForFunction(() => !document.querySelector('.acct-table tr[data-account="pa03"]'));
    assert.ok(await page.$('.acct-table tr[data-account="pa02"]'), 'the others stay');
    assert.ok(islet.logs.some((l) => l.event === 'console_audit' && l.action === 'account_remove' && l.account === 'pa03' && l.instructor === 'ada'));
    assert.deepEqual(
      errors.filter((e) => !/status of 40[13]/.test(e)),
      [],
      'no console error or CSP violation',
    );
  });
});
