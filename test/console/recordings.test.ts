/**
 * Recordings (issue 13.7) through the whole stack: the real server, real OpenSSH (interactive, exec,
 * sftp), a real Chromium for the browser door and the console's player.
 * - an SSH session (gate login, menu, shell) and a browser session each give a valid asciicast v3 file
 *   in the account's folder holding what the trainee saw; input is recorded only once the config turns
 *   it on (the same trainee before and after: the control), with the notice on the trainee's screen;
 * - an exec command and an sftp upload are JSON events of the account;
 * - the console lists the recording and replays it in asciinema-player (text from the session on the
 *   player's screen) with no CSP violation; the same page under the door's strict CSP fails (the control
 *   for the player page's 'wasm-unsafe-eval');
 * - a server killed during a session leaves that recording listed as partial; `islet recordings export
 *   --v2` converts it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { islet as cli } from '../helpers/islet-cli.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { OPENSSH_BATCH } from '../helpers/openssh-args.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { PROMPT, choose, createAccount, gate, login, sh } from '../helpers/trainee.ts';
import { hostNetworkChanged, launchChromium, openPage, screenText, startWithWeb, typeLine, waitForScreen, type LaunchedBrowser } from '../browser/browser.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/web/security-headers.ts';

const exec = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-rec-e2e-'));
const key = join(work, 'key');
const USER = `r${runId.slice(0, 7)}`;
const PW = 'secret1';
const INSTRUCTOR = 'ada';
const IPW = 'instructor-pw-1';
const recDir = () => join(islet.dataDir, 'recordings');
let base = '';
let chrome: LaunchedBrowser;
let browser: Browser;

type Event = [number, string, string];
interface Cast {
  header: { version: number; term: { cols: number; rows: number }; timestamp: number; islet: { door: string; input: boolean; account: string } };
  events: Event[];
  output: string;
  input: string;
}

/** Parses and checks a v3 file: header fields, every event [interval ≥ 0, known code, string]; complete ones end with "x". */
function parseV3(text: string, complete = true): Cast {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const header = JSON.parse(lines[0]!) as Cast['header'];
  assert.equal(header.version, 3);
  assert.ok(Number.isInteger(header.term.cols) && Number.isInteger(header.term.rows), 'term cols and rows');
  assert.ok(Number.isInteger(header.timestamp) && Math.abs(header.timestamp - Date.now() / 1000) < 3600, 'timestamp');
  const events = lines.slice(1).map((l) => JSON.parse(l) as Event);
  for (const e of events) {
    assert.equal(e.length, 3);
    assert.ok(typeof e[0] === 'number' && e[0] >= 0, `interval ${e[0]}`);
    assert.ok(['o', 'i', 'r', 'm', 'x'].includes(e[1]), `code ${e[1]}`);
    assert.equal(typeof e[2], 'string');
  }
  if (complete) assert.equal(events.at(-1)?.[1], 'x', 'the exit event ends a complete recording');
  const join_ = (code: string) =>
    events
      .filter((e) => e[1] === code)
      .map((e) => e[2])
      .join('');
  return { header, events, output: join_('o'), input: join_('i') };
}

interface Listed {
  id: string;
  state: string;
  door: string;
  input: boolean;
  truncated: boolean;
}

async function listed(): Promise<Listed[]> {
  const r = await cli(['recordings', 'list', '--account', USER, '--json', '--data', islet.dataDir]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Listed[];
}

/** Waits for a recording (not in `known`) of the account matching `pred`. */
async function waitForRecording(known: ReadonlySet<string>, pred: (l: Listed) => boolean, timeoutMs = 30_000): Promise<Listed> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = (await listed()).find((x) => !known.has(x.id) && pred(x));
    if (l) return l;
    if (Date.now() > end) throw new Error(`no such recording of ${USER}: ${JSON.stringify(await listed())}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const castText = (id: string) => readFileSync(join(recDir(), id), 'utf8');

function setConfig(lines: string): void {
  const yaml = join(islet.configDir, 'islet.yaml');
  const original = readFileSync(yaml, 'utf8').replace(/\n# recordings test[\s\S]*$/, '\n');
  writeFileSync(yaml, `${original}# recordings test\n${lines}`);
}

function ssh(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec('ssh', ['-p', String(islet.port), ...OPENSSH_BATCH, '-i', key, ...args], { timeout: 60_000 });
}

/** A page of the console, logged in as the instructor (Chromium keeps the __Host- cookie on 127.0.0.1). */
async function consolePage(ctx: import('playwright-core').BrowserContext) {
  const opened = await openPage(ctx, `${base}/console`);
  await opened.page.fill('#login-name', INSTRUCTOR);
  await opened.page.fill('#login-password', IPW);
  await opened.page.click('#login-form [type=submit]');
  await opened.page.waitForSelector('#app:not([hidden])', { timeout: 30_000 });
  return opened;
}

/** GET from the page (with its cookie): status and text. */
const pageGet = (page: import('playwright-core').Page, path: string) =>
  page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: 'same-origin' });
    return { status: r.status, text: await r.text() };
  }, path);

describe('recordings through the whole stack', { concurrency: false, timeout: 900_000 }, () => {
  before(async () => {
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', INSTRUCTOR, '--config', islet.configDir], { input: `${IPW}\n` });
    setConfig('recording_input: false\nweb_resume: 1s\n');
    base = await startWithWeb(islet);
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await chrome?.close();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('an OpenSSH session (gate login, menu, shell) is a v3 recording in the account folder: what the trainee saw, no input', async () => {
    const s = await gate(islet.port, { cols: 100, rows: 30 });
    await createAccount(s, USER, PW);
    await choose(s, 'add_key');
    await s.waitFor('Paste one SSH public key line');
    await s.line(readFileSync(`${key}.pub`, 'utf8').trim());
    await s.waitFor('Key added.');
    await choose(s, 'demo');
    await s.waitFor(PROMPT, 90_000);
    assert.equal(await sh(s, 'echo rec-$((6*7))'), 'rec-42');
    await new Promise((r) => setTimeout(r, 2500)); // the gate recording finds its account (every 2 s)
    await s.close();
    const r = await waitForRecording(new Set(), (l) => l.door === 'ssh' && l.state === 'complete');
    assert.match(r.id, new RegExp(`^${USER}/\\d{8}T\\d{6}Z-ssh-[0-9a-f]{8}\\.cast$`));
    const c = parseV3(castText(r.id));
    assert.deepEqual([c.header.term.cols, c.header.term.rows], [100, 30]);
    assert.match(c.output, /Are you a new or existing user\?/, 'the menu is recorded');
    assert.match(c.output, /\r\nrec-42\r\n/, "the shell's output is recorded");
    assert.equal(c.header.islet.input, false);
    assert.deepEqual(
      c.events.filter((e) => e[1] === 'i'),
      [],
    );
    assert.ok(!castText(r.id).includes(PW), 'the password typed at the menu is not in the recording');
    assert.deepEqual(readdirSync(join(recDir(), '_gate')), [], 'nothing left under _gate');
  });

  test('with recording_input on, the trainee is told and what they type in the shell is recorded (never the password)', async () => {
    const before_ = new Set((await listed()).map((l) => l.id));
    setConfig('recording_input: true\nweb_resume: 1s\n');
    const s = await gate(islet.port);
    await s.waitFor('[ISLET] This session is recorded, including what you type in your shell.');
    await login(s, USER, PW);
    await choose(s, 'demo');
    await s.waitFor(PROMPT, 90_000);
    assert.equal(await sh(s, 'echo typed-$((7*6))'), 'typed-42');
    await new Promise((r) => setTimeout(r, 2500));
    await s.close();
    const r = await waitForRecording(before_, (l) => l.state === 'complete');
    const c = parseV3(castText(r.id));
    assert.equal(c.header.islet.input, true);
    assert.match(c.input, /echo typed-\$\(\(7\*6\)\)/);
    assert.ok(!castText(r.id).includes(PW), 'the password typed at the menu is not recorded (input only in a shell)');
    setConfig('recording_input: false\nweb_resume: 1s\n');
  });

  test('an exec command and an sftp upload are JSON events of the account', async () => {
    const out = await ssh([`${USER}+demo@127.0.0.1`, 'echo exec-$((40+2))']);
    assert.equal(out.stdout.trim(), 'exec-42');
    writeFileSync(join(work, 'up.txt'), 'hello\n');
    writeFileSync(join(work, 'put.batch'), `put ${join(work, 'up.txt')} up-${runId}.txt\n`);
    await exec('sftp', ['-P', String(islet.port), ...OPENSSH_BATCH, '-i', key, '-b', join(work, 'put.batch'), `${USER}+demo@127.0.0.1`], { timeout: 60_000 });
    const end = Date.now() + 10_000;
    let events: Record<string, unknown>[] = [];
    for (;;) {
      const files = readdirSync(join(recDir(), USER)).filter((f) => /^events-\d{4}-\d{2}-\d{2}\.jsonl$/.test(f));
      events = files.flatMap((f) =>
        readFileSync(join(recDir(), USER, f), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
      if (events.some((e) => e.type === 'file') || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const started = events.find((e) => e.type === 'exec_started');
    assert.deepEqual(
      { type: started?.type, command: started?.command, environment: started?.environment, door: started?.door },
      { type: 'exec_started', command: 'echo exec-$((40+2))', environment: 'demo', door: 'ssh' },
    );
    assert.equal(events.find((e) => e.type === 'exec_ended')?.exit_code, 0);
    const up = events.find((e) => e.type === 'file' && e.op === 'upload');
    assert.deepEqual(up?.paths, [`/home/student/up-${runId}.txt`]);
    assert.ok(events.every((e) => typeof e.time === 'string' && e.account === USER));
  });

  test('a browser session is a v3 recording of the web door holding what the page showed', async () => {
    const before_ = new Set((await listed()).map((l) => l.id));
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 650 } });
    try {
      const { page } = await openPage(ctx, `${base}/`);
      await waitForScreen(page, 'Are you a new or existing user? [new/existing]:');
      await typeLine(page, 'existing');
      await waitForScreen(page, 'Username:');
      await typeLine(page, USER);
      await waitForScreen(page, 'Password:');
      await typeLine(page, PW);
      const m = await waitForScreen(page, /(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/m);
      await typeLine(page, m[1]!);
      await waitForScreen(page, PROMPT, 90_000);
      await typeLine(page, 'echo web-rec-$((50-8))');
      await waitForScreen(page, /^web-rec-42$/m);
      assert.match(await screenText(page), /web-rec-42/);
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      await ctx.close();
    }
    const r = await waitForRecording(before_, (l) => l.door === 'web' && l.state === 'complete', 60_000);
    const c = parseV3(castText(r.id));
    assert.equal(c.header.islet.door, 'web');
    assert.match(c.output, /\r\nweb-rec-42\r\n/);
    assert.match(c.output, /Are you a new or existing user\?/);
  });

  test('a yes flood past the size cap: the trainee is not held up, the recording stops at the cap and says truncated', async () => {
    const before_ = new Set((await listed()).map((l) => l.id));
    setConfig('recording_input: false\nweb_resume: 1s\nrecording_max_size: 1m\n');
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${islet.pid}/status`, 'utf8'))?.[1] ?? 0);
    const rss0 = rss();
    let peak = rss0;
    const timer = setInterval(() => {
      peak = Math.max(peak, rss());
    }, 100);
    const s = await gate(islet.port);
    try {
      await login(s, USER, PW);
      await choose(s, 'demo');
      await s.waitFor(PROMPT, 90_000);
      // 5 MB through the terminal (the size cap is 1 MB), then the prompt answers again.
      await s.line('yes | head -c 5000000');
      assert.equal(await sh(s, 'echo done-$((1+1))', 180_000), 'done-2');
    } finally {
      clearInterval(timer);
      await s.close();
      setConfig('recording_input: false\nweb_resume: 1s\n');
    }
    const r = await waitForRecording(before_, (l) => l.state === 'complete');
    assert.equal(r.truncated, true);
    const text = castText(r.id);
    assert.ok(text.length < 1.2 * 1024 * 1024, `recording of ${text.length} bytes`);
    const c = parseV3(text);
    assert.ok(c.events.some((e) => e[1] === 'm' && e[2].startsWith('islet: truncated: size cap of 1048576 bytes')));
    console.log(`# ISLET RSS ${Math.round(rss0 / 1024)} MiB before, peak ${Math.round(peak / 1024)} MiB during a 5 MB flood`);
    assert.ok(peak - rss0 < 150 * 1024, `ISLET grew by ${Math.round((peak - rss0) / 1024)} MiB`);
  });

  test('the console lists the recording and plays it in asciinema-player (seekable, with speed), under a CSP that only adds wasm-unsafe-eval', async () => {
    const web = (await listed()).find((l) => l.door === 'web' && l.state === 'complete');
    assert.ok(web);
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const { page, errors } = await openPage(ctx, `${base}/console`);
      await page.fill('#login-name', INSTRUCTOR);
      await page.fill('#login-password', IPW);
      await page.click('#login-form button[type=submit], #login-form [type=submit]');
      await page.getByRole('tab', { name: 'Recordings' }).click();
      const row = page.locator(`tr.recording[data-id="${web.id}"]`);
      await row.waitFor({ timeout: 30_000 });
      assert.match((await row.textContent()) ?? '', new RegExp(`${USER}[\\s\\S]*web[\\s\\S]*complete`));
      const [player] = await Promise.all([ctx.waitForEvent('page'), row.getByRole('link', { name: 'Play' }).click()]);
      const playerErrors: string[] = [];
      player.on('console', (m) => {
        if (m.type() === 'error' && !hostNetworkChanged(m.text())) playerErrors.push(m.text());
      });
      player.on('pageerror', (e) => playerErrors.push(String(e)));
      await player.waitForLoadState();
      assert.equal(
        (await player.request.get(`${base}/console/recordings/play`)).headers()['content-security-policy'],
        CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"),
      );
      await player.selectOption('#speed', '8');
      await player.waitForFunction(() => document.querySelector('#player')?.textContent?.includes('web-rec-42'), undefined, { timeout: 60_000 });
      // Seek: back to the start, the text is gone from the player's screen.
      await player.evaluate(() => (window as unknown as { isletPlayer: { seek(t: number): Promise<void>; pause(): void } }).isletPlayer.seek(0));
      await player.waitForFunction(() => !document.querySelector('#player')?.textContent?.includes('web-rec-42'), undefined, { timeout: 20_000 });
      // The console page probes its session before the login (a 401 by design); nothing else may be reported.
      const consoleErrors = errors.filter((e) => !/status of 401/.test(e));
      assert.deepEqual([...consoleErrors, ...playerErrors], [], 'console errors (CSP violations are reported there)');
      // Control: the same page under the door's strict CSP cannot start the player (WebAssembly refused).
      const strict = await ctx.newPage();
      const strictErrors: string[] = [];
      strict.on('console', (m) => {
        if (m.type() === 'error' && !hostNetworkChanged(m.text())) strictErrors.push(m.text());
      });
      strict.on('pageerror', (e) => strictErrors.push(String(e)));
      await strict.route('**/console/recordings/play*', async (route) => {
        const res = await route.fetch();
        await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CONTENT_SECURITY_POLICY } });
      });
      await strict.goto(player.url());
      await strict.selectOption('#speed', '8');
      await new Promise((r) => setTimeout(r, 5000));
      assert.ok(!(await strict.textContent('#player'))?.includes('web-rec-42'), 'the player played under the strict CSP');
      assert.ok(
        strictErrors.some((e) => /WebAssembly|wasm|Content Security Policy/i.test(e)),
        `no CSP error under the strict policy: ${strictErrors.join(' | ')}`,
      );
    } finally {
      await ctx.close();
    }
  });

  test('a server killed during a session leaves its recording listed as partial; export --v2 converts it', async () => {
    const before_ = new Set((await listed()).map((l) => l.id));
    const s = await gate(islet.port);
    await login(s, USER, PW);
    await choose(s, 'demo');
    await s.waitFor(PROMPT, 90_000);
    assert.equal(await sh(s, 'echo killed-$((6*7))'), 'killed-42');
    const live = await waitForRecording(before_, (l) => l.state === 'live');
    await new Promise((r) => setTimeout(r, 4000)); // the output reaches the file (written every 3 s)
    // The console lists it as live and plays it up to now (no exit event yet).
    const ctx = await browser.newContext();
    try {
      const { page } = await consolePage(ctx);
      const list = JSON.parse((await pageGet(page, `/console/api/recordings?account=${USER}`)).text) as Listed[];
      assert.equal(list.find((l) => l.id === live.id)?.state, 'live');
      const now = await pageGet(page, `/console/api/recordings/cast?id=${encodeURIComponent(live.id)}`);
      assert.equal(now.status, 200);
      const c = parseV3(now.text, false);
      assert.match(c.output, /killed-42/);
      assert.notEqual(c.events.at(-1)?.[1], 'x');
      // Control: without the instructor's cookie the same request is refused.
      assert.equal(await (await fetch(`${base}/console/api/recordings/cast?id=${encodeURIComponent(live.id)}`)).status, 401);
    } finally {
      await ctx.close();
    }
    await islet.stop('SIGKILL');
    await s.close();
    const after_ = (await listed()).find((l) => l.id === live.id);
    assert.equal(after_?.state, 'partial');
    const c = parseV3(castText(live.id), false);
    assert.notEqual(c.events.at(-1)?.[1], 'x');
    assert.match(c.output, /killed-42/);
    const out = join(work, 'v2.cast');
    const r = await cli(['recordings', 'export', live.id, '--v2', '-o', out, '--data', islet.dataDir]);
    assert.equal(r.code, 0, r.err);
    const [h, ...ev] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.equal((h as { version: number }).version, 2);
    const times = (ev as Event[]).map((e) => e[0]);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'v2 times are absolute (never decreasing)',
    );
    assert.match((ev as Event[]).map((e) => e[2]).join(''), /killed-42/);
  });
});
