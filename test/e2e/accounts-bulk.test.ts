/**
 * Accounts in bulk, whole stack (issue 13.6): `islet accounts create --count 30` writes a credential sheet
 * and a CSV (0600); real Chromium prints the sheet to PDF; the text pdftotext reads from that PDF is the
 * source of the credentials, and every one of the 30 accounts logs in with the real OpenSSH client
 * (password, a few at a time) and sees the menu. An account limited to one environment can use that one and
 * no other (a control account without the limit uses both).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eachLimited } from '../../src/console/each-limited.ts';
import { prompts } from '../../src/sessions/prompts.ts';
import { CHROMIUM, launchChromium } from '../browser/browser.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { islet as cli } from '../helpers/islet-cli.ts';
import { IsletProcess } from '../helpers/islet-process.ts';
import { OpensshPassword } from '../helpers/openssh-password.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-bulk-'));
let ssh: OpensshPassword;

const create = (args: string[]) =>
  cli(
    ['accounts', 'create', ...args, '--config', islet.configDir, '--data', islet.dataDir],
    { ISLET_INSTANCE: islet.instance, ISLET_TEST_RUN: runId },
    300_000,
  );

/** username → passphrase, as the CSV lists them. */
function csvCredentials(file: string): Map<string, string> {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\r\n');
  assert.equal(head, 'username,password,expires,environments,ssh,url');
  return new Map(rows.map((r) => r.split(',').slice(0, 2) as [string, string]));
}

describe('accounts in bulk: a printed sheet whose every account logs in', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(join(islet.configDir, 'environments/other.yaml'), 'image: islet/demo:latest\nuser: student\ndescription: The other one\n');
    await islet.start();
    ssh = new OpensshPassword(work, islet.port);
  });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('islet accounts create --count 30: sheet printed by Chromium to PDF; every account on it logs in over OpenSSH and sees the menu', async () => {
    const sheet = join(work, 's.html');
    const csv = join(work, 'c.csv');
    const r = await create(['--count', '30', '--prefix', 'bk', '--days', '2', '--sheet', sheet, '--csv', csv, '--address', `127.0.0.1:${islet.port}`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /created 30 account\(s\) bk01 \.\. bk30/);
    assert.equal(r.out, '', 'the passphrases went to the files only');
    for (const f of [sheet, csv]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    // Never overwritten: a second run naming the same file is refused before it creates anything.
    const again = await create(['--count', '1', '--prefix', 'zz', '--days', '1', '--csv', csv]);
    assert.equal(again.code, 3);
    assert.match(again.err, /exists; credential files are never overwritten/);

    const pdf = join(work, 's.pdf');
    const b = await launchChromium();
    try {
      const page = await b.browser.newPage();
      await page.goto(`file://${sheet}`);
      assert.equal(await page.locator('section.slip').count(), 30);
      assert.equal(await page.locator('section.slip img.qr').count(), 0, 'no --url and no web_origins: no QR code'); // the QR case: next test
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    } finally {
      await b.close();
    }
    const text = (await run('pdftotext', ['-layout', pdf, '-'])).stdout; // -layout: each printed line whole
    const fromPdf = new Map([...text.matchAll(/Username +(bk\d\d)\s+Password +([a-z]+(?:-[a-z]+){3,})/g)].map((m) => [m[1]!, m[2]!]));
    assert.equal(fromPdf.size, 30, text.slice(0, 800));
    assert.deepEqual(fromPdf, csvCredentials(csv), 'the PDF and the CSV agree');
    assert.ok(text.includes(`ssh -p ${islet.port} bk01@127.0.0.1`));
    console.log(`pdf: ${statSync(pdf).size} bytes, ${(await run('pdfinfo', [pdf])).stdout.match(/Pages:\s+(\d+)/)?.[1]} page(s), 30 slips read back`);

    // Control first: a wrong passphrase is refused, so a menu below means the passphrase worked.
    const wrong = await ssh.menu('bk01', 'not-the-pass-phrase', prompts.chooseNumber, 30_000);
    assert.ok(!wrong.out.includes(prompts.available), wrong.out);
    const t0 = Date.now();
    const outcomes = await eachLimited([...fromPdf], 5, 180_000, async ([name, password]) => {
      const m = await ssh.menu(name, password, prompts.chooseNumber);
      assert.ok(m.out.includes(prompts.available) && /\bdemo\b/.test(m.out) && /\bother\b/.test(m.out), `${name}: ${m.out.slice(-400)} ${m.err}`);
    });
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(
      failed.map((o) => `${o.item[0]}: ${(o as { error: Error }).error.message}`),
      [],
    );
    console.log(`30 OpenSSH password logins reached the menu in ${((Date.now() - t0) / 1000).toFixed(1)} s (5 at a time)`);
  });

  test('an account limited to one environment uses it and no other; without the limit both work', async () => {
    const csv = join(work, 'limited.csv');
    const sheet = join(work, 'limited.html');
    const r = await create([
      '--count',
      '1',
      '--prefix',
      'lim',
      '--days',
      '1',
      '--environments',
      'other',
      '--csv',
      csv,
      '--sheet',
      sheet,
      '--url',
      'http://127.0.0.1:9/',
    ]);
    assert.equal(r.code, 0, r.err);
    const free = await create(['--count', '1', '--prefix', 'free', '--days', '1', '--csv', join(work, 'free.csv')]);
    assert.equal(free.code, 0, free.err);
    const [[lim, limPw]] = [...csvCredentials(csv)] as [[string, string]];
    const [[fr, frPw]] = [...csvCredentials(join(work, 'free.csv'))] as [[string, string]];
    assert.ok(readFileSync(sheet, 'utf8').includes('<span class="k">Environments</span> <span class="v">other</span>'));
    assert.match(readFileSync(sheet, 'utf8'), /<img class="qr" alt="QR code of http:\/\/127\.0\.0\.1:9\/" src="data:image\/svg\+xml;base64,/);

    // Probe: the allowed environment runs a command; the control account runs it in demo too.
    const ok = await ssh.exec(`${lim}+other`, limPw, 'echo allowed-$((6*7))');
    assert.equal(ok.stdout, 'allowed-42\n', ok.stderr);
    const control = await ssh.exec(`${fr}+demo`, frPw, 'echo demo-$((6*7))');
    assert.equal(control.stdout, 'demo-42\n', control.stderr);
    // The limit: demo is refused for the limited account, as if it did not exist.
    const refused = await ssh.exec(`${lim}+demo`, limPw, 'echo should-not-run');
    assert.notEqual(refused.code, 0);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /islet: There is no environment named demo\./);
    // The menu lists only the allowed one; a direct login to the other says so and shows that menu.
    const menu = await ssh.menu(lim, limPw, prompts.chooseNumber);
    assert.ok(menu.out.includes(prompts.available), menu.out);
    assert.match(menu.out, /1\) other\s/);
    assert.doesNotMatch(menu.out, /\) demo\s/);
    const direct = await ssh.menu(`${lim}+demo`, limPw, prompts.chooseNumber);
    assert.match(direct.out, /There is no environment named demo; choose one from the menu\./);
    assert.doesNotMatch(direct.out, /\) demo\s/);
    const freeMenu = await ssh.menu(fr, frPw, prompts.chooseNumber);
    assert.match(freeMenu.out, /\) demo\s/, 'control: an account without the limit is offered demo');
  });
});

void CHROMIUM;
