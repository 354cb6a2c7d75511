/**
 * Security: fuzzing the menu, the one place where trainee bytes meet ISLET's
 * own code before a container exists.
 *
 * In-process: MenuSession on MemoryTerminals with the real store (SQLite),
 * accounts (scrypt), config loader and EnvironmentRunner on the real Docker
 * driver. The only environment's image lives on a registry at 127.0.0.1:9,
 * where nothing listens: choosing it fails fast and never makes a container.
 * Over the wire: random bytes, sizes and terminal types through real ssh2
 * connections to the real `islet serve`.
 *
 * The PRNG is seeded; every failure message carries the seed. Replay with
 * ISLET_FUZZ_SEED=<seed>.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import ssh2, { Client, type ClientChannel } from 'ssh2';
import { AccountService } from '../../src/accounts/account-service.ts';
import { ConfigSource } from '../../src/config/config-source.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { EnvironmentRunner } from '../../src/sessions/environment-runner.ts';
import { MenuSession, type MenuDeps } from '../../src/sessions/menu-session.ts';
import { Authenticator, type Identity } from '../../src/sessions/authenticator.ts';
import { ContainerTools } from '../../src/runtime/container-tools.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { sshPublicKeys } from '../../src/sshd/public-keys.ts';
import { sshHints } from '../../src/sshd/ssh-hints.ts';
import type { DoorHints } from '../../src/sessions/door-hints.ts';
import { MemoryTerminal } from '../helpers/memory-terminal.ts';
import { IsletProcess } from '../helpers/islet-process.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { SeededRandom } from '../helpers/seeded-random.ts';
import { readableEd25519 } from '../../src/sshd/host-keys.ts';

const SEED = Number(process.env.ISLET_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const seedNote = `(seed ${SEED}; replay with ISLET_FUZZ_SEED=${SEED})`;
const runId = testRunId();
const GHOST_IMAGE = '127.0.0.1:9/islet-fuzz/none:latest';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// --- randomness ---------------------------------------------------------------

class Rng extends SeededRandom {
  alnum(n: number): string {
    const a = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += a[this.int(a.length)];
    return s;
  }
  printable(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(0x5f));
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const ESCAPES = [
  '\x1b[A',
  '\x1b[B',
  '\x1b[C',
  '\x1b[D',
  '\x1b[1;5C',
  '\x1bOP',
  '\x1bOA',
  '\x1b[200~',
  '\x1b[201~',
  '\x1b]0;title\x07',
  '\x1b]52;c;ZXZpbA==\x07',
  '\x1b[6n',
  '\x1b[?1049h',
  '\x1bc',
  '\x1b',
  '\x1b[',
  '\x1bO',
  '\x1b[999999999999999999999;1H',
  '\x1bP+q544e\x1b\\',
  '\x1b[M !!',
  '\x1b[<0;1;1M',
  '\x9b31m',
  '\x1b\x1b\x1b[',
];
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0x80],
  [0xbf, 0xbf],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc3],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];
const UNICODE = [
  'é',
  '漢字',
  '😀',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ufffd',
  '\u0085',
  '\u2028',
  'a\u0301',
  '\ud7ff',
  'Ａ',
  '１',
  '\u{10ffff}',
  '\u00a0',
  'ß',
  'İ',
];
const NEWLINES = ['\r', '\n', '\r\n', '\n\r', '\r\r\n', '\r\0', '\n\n'];
const INJECTIONS = [
  "' OR 1=1 --",
  "a'; DROP TABLE accounts; --",
  '%s%s%n%x',
  '${USERNAME}${CLIENT}',
  '$(id)',
  '`id`',
  '../../etc/passwd',
  '\\x00',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  '{"a":1}',
  '<script>',
  'demo',
  'root',
  '0x1',
  '1e999',
];
/** Megabyte lines, with and without a line end. */
const MEGA = [Buffer.alloc(1024 * 1024, 'A'), Buffer.concat([Buffer.alloc(1024 * 1024, 'B'), Buffer.from('\r')])];
const WORDS = [
  'new',
  'n',
  'existing',
  'e',
  'yes',
  'y',
  'no',
  'NEW',
  ' new ',
  'Existing',
  'E',
  '1',
  '2',
  '3',
  '4',
  '5',
  '0',
  '99',
  '-1',
  '1.0',
  '000001',
  '１',
  '99999999999999999999',
];

/** One random chunk of trainee input. */
function chaosChunk(r: Rng): Buffer {
  const k = r.next();
  if (k < 0.14) return Buffer.from(r.printable(r.int(40)));
  if (k < 0.24)
    return Buffer.from(
      Array.from({ length: 1 + r.int(8) }, () => r.pick([...Array.from({ length: 32 }, (_, i) => i).filter((c) => c !== 3 && c !== 4), 0x7f])),
    );
  if (k < 0.34) return Buffer.from(r.pick(ESCAPES) + (r.chance(0.3) ? r.printable(r.int(6)) : ''), 'utf8');
  if (k < 0.39) return Buffer.alloc(1 + r.int(64));
  if (k < 0.48) return Buffer.from(r.pick(INVALID_UTF8));
  if (k < 0.55) return Buffer.from(Array.from({ length: 1 + r.int(5) }, () => r.pick(UNICODE)).join(''), 'utf8');
  if (k < 0.67) return Buffer.from(r.pick(NEWLINES));
  if (k < 0.82) return Buffer.from(r.pick(WORDS) + r.pick(NEWLINES));
  if (k < 0.88) return Buffer.from(r.pick(INJECTIONS) + (r.chance(0.7) ? r.pick(NEWLINES) : ''));
  if (k < 0.92) return Buffer.from(`u${r.alnum(1 + r.int(10))}\r`);
  if (k < 0.95) return r.bytes(1 + r.int(200));
  if (k < 0.978) return Buffer.from(r.printable(2000 + r.int(70_000)) + (r.chance(0.5) ? '\r' : ''));
  if (k < 0.985) return MEGA[r.int(2)]!;
  if (k < 0.992) return Buffer.from([0x15]); // Ctrl-U
  if (k < 0.996) return Buffer.from([0x03]); // Ctrl-C
  return Buffer.from([0x04]); // Ctrl-D
}

/** Harmless noise around guided answers: never a line end, ESC, Ctrl-C/D/U or erase (they would change the answer's meaning). */
function noise(r: Rng): Buffer {
  if (r.chance(0.5)) return Buffer.from(r.pick([[0x00], [0x01], [0x07], [0x1f], [0xff], [0xc3], [0x80]]));
  return Buffer.from(r.pick(UNICODE), 'utf8');
}

// --- the in-process rig ---------------------------------------------------------

/** Counts log events (bounded memory) and keeps the first few error lines whole. */
class LogSink extends Writable {
  readonly counts = new Map<string, number>();
  readonly errors: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      let o: { event?: string; level?: number } = {};
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        /* not JSON */
      }
      const e = o.event ?? '?';
      this.counts.set(e, (this.counts.get(e) ?? 0) + 1);
      if ((o.level ?? 0) >= 50 && e !== 'environment_failed' && this.errors.length < 5) this.errors.push(line.slice(0, 2000));
    }
    cb();
  }
}

/** A MemoryTerminal that tells the driver when the session wrote something. */
class FuzzTerminal extends MemoryTerminal {
  onWrite: (() => void) | undefined;
  override write(data: string | Uint8Array): boolean {
    const ok = super.write(data);
    this.onWrite?.();
    return ok;
  }
}

const PROMPTS: [string, RegExp][] = [
  ['newOrExisting', /\[new\/existing\]: $/],
  ['tryAgain', /Would you like to try again\? \[yes\/no\]: $/],
  ['deleteAccount', /Delete account .* \[yes\/no\]: $/],
  ['chooseUsername', /Choose a username: \[a-zA-Z0-9\]: $/],
  ['choosePassword', /Choose a password: \[[^\]]*\]: $/],
  ['verifyPassword', /Verify your password: $/],
  ['username', /Username: $/],
  ['password', /Password: $/],
  ['choice', /\[Choice\]: $/],
  ['addKey', /Enter:\r\n> $/],
];

/** Public key lines for the add_key plugin: a few real ones, and things that only look like keys. */
const REAL_KEYS = Array.from({ length: 3 }, () => readableEd25519().public);
const FAKE_KEYS = [
  'not a key',
  'ssh-ed25519 AAAA',
  'ssh-ed25519 !!!!',
  'ssh-dss AAAAB3NzaC1kc3MAAACBAP',
  `ssh-rsa ${'QUFB'.repeat(5000)}`,
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY=',
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\u0000',
  'command="/bin/sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 comment\x1b[31mred',
];
const PASSWORD_PROMPTS = new Set(['choosePassword', 'verifyPassword', 'password']);

interface Rig {
  deps: MenuDeps;
  store: SqliteStore;
  sink: LogSink;
  dir: string;
  hints: DoorHints;
}

function makeRig(): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'islet-fuzz-'));
  mkdirSync(join(dir, 'environments'));
  writeFileSync(join(dir, 'islet.yaml'), 'menu_timeout: 0.3s\nfailure_count: 3\nmin_password_length: 4\ndays: 3\n');
  writeFileSync(
    join(dir, 'environments', 'ghost.yaml'),
    `image: ${GHOST_IMAGE}\ndescription: Image on a registry that does not answer\nuser: student\nbanner: "Lab for \${USERNAME} from \${CLIENT}"\n`,
  );
  const sink = new LogSink();
  const log = pino({ level: 'debug' }, sink);
  const store = new SqliteStore(':memory:');
  const config = new ConfigSource(dir);
  assert.deepEqual(
    config.current().environments.map((e) => e.name),
    ['ghost'],
  );
  const driver = new DockerDriver();
  const runner = new EnvironmentRunner({ driver, store, log: log.child({ module: 'runner' }), instance: `f${runId}`, extraLabels: { 'islet.test': runId } });
  const accounts = new AccountService(store);
  const deps: MenuDeps = {
    config,
    accounts,
    auth: new Authenticator(config, accounts, store, undefined, sshPublicKeys),
    runner,
    driver,
    tools: new ContainerTools(driver),
    store,
    log: log.child({ module: 'session' }),
    now: () => new Date(),
  };
  return { deps, store, sink, dir, hints: sshHints(config) };
}

interface Outcome {
  inputs: number;
  ended: boolean;
  threw?: unknown;
  leaked: string[];
  secrets: number;
  output: string;
  deepest: Set<string>;
}

/** Known accounts (name -> password) created by guided sessions, for `existing` logins. */
const known = new Map<string, string>();
let userSeq = 0;

async function session(rig: Rig, r: Rng, guided: boolean, maxInputs: number): Promise<Outcome> {
  const term = new FuzzTerminal();
  if (r.chance(0.1)) term.resize({ cols: r.pick([0, 1, 20, 500, 100000]), rows: r.pick([0, 1, 5, 1000]) });
  const out: Outcome = { inputs: 0, ended: false, leaked: [], secrets: 0, output: '', deepest: new Set() };
  let settled = false;
  // A few sessions start as a direct login (`alice@host`, `alice+env@host`), as the SSH front door hands them over.
  const who: Identity =
    guided && known.size > 0 && r.chance(0.08)
      ? { method: 'password', account: r.pick([...known.keys()]), ...(r.chance(0.6) ? { environment: r.pick(['ghost', 'nope', 'ghost.x']) } : {}) }
      : { method: 'gate' };
  const run = new MenuSession(rig.deps, term, rig.hints).run(who).then(
    () => {
      settled = true;
    },
    (e: unknown) => {
      settled = true;
      out.threw = e;
    },
  );
  const tokens: string[] = [];
  if (!guided) {
    for (let i = 0; i < maxInputs && !settled && !term.closed; i++) {
      term.type(chaosChunk(r));
      out.inputs++;
      if (r.chance(0.03)) term.resize({ cols: r.int(3000), rows: r.int(3000) });
      if (r.chance(0.02)) {
        term.close();
        break;
      }
      await (r.chance(0.3) ? sleep(r.int(4)) : new Promise((res) => setImmediate(res)));
    }
  } else {
    let lastLen = -1;
    let user = '';
    let firstPw = '';
    let loginUser = '';
    while (!settled && out.inputs < maxInputs) {
      const prompt = await new Promise<string | undefined>((resolve) => {
        const check = () => {
          if (settled) return resolve(undefined);
          if (term.output.length <= lastLen) return;
          const tail = term.output.slice(-200);
          const p = PROMPTS.find(([, re]) => re.test(tail));
          if (p) resolve(p[0]);
        };
        term.onWrite = check;
        void run.then(() => resolve(undefined));
        const t = setTimeout(() => resolve(undefined), 5000);
        t.unref();
        check();
      });
      term.onWrite = undefined;
      if (!prompt) break;
      out.deepest.add(prompt);
      let answer: string;
      let secret = false;
      switch (prompt) {
        case 'newOrExisting':
          answer = r.chance(0.55) ? 'new' : r.chance(0.8) ? 'existing' : r.pick([...WORDS, ...INJECTIONS]);
          break;
        case 'tryAgain':
          answer = r.chance(0.7) ? 'yes' : r.pick(['no', 'n', 'maybe', '']);
          break;
        case 'deleteAccount':
          answer = r.chance(0.25) ? 'yes' : r.pick(['no', '', 'YES!', 'y e s']);
          if (answer === 'yes') known.delete(loginUser || user);
          break;
        case 'chooseUsername': {
          const k = r.next();
          user =
            k < 0.75
              ? `u${++userSeq}${r.alnum(4)}`
              : k < 0.85 && known.size > 0
                ? r.pick([...known.keys()])
                : r.pick(['demo', 'DEMO', 'bad name!', '', 'x'.repeat(33), 'ünï', ...INJECTIONS]);
          answer = user;
          break;
        }
        case 'choosePassword':
          firstPw = r.chance(0.85) ? `pw${r.alnum(10 + r.int(20))}` : r.chance(0.5) ? `pw${r.alnum(1)}` : `pw${r.alnum(1100)}`;
          answer = firstPw;
          secret = true;
          break;
        case 'verifyPassword':
          answer = r.chance(0.85) ? firstPw : `pw${r.alnum(12)}`;
          secret = true;
          if (answer === firstPw && firstPw.length >= 4) known.set(user, firstPw.slice(0, 1024));
          break;
        case 'username':
          loginUser = known.size > 0 && r.chance(0.75) ? r.pick([...known.keys()]) : r.pick([`u${r.alnum(6)}`, '', 'demo', ...INJECTIONS]);
          answer = loginUser;
          break;
        case 'password':
          answer = known.has(loginUser) && r.chance(0.7) ? known.get(loginUser)! : `pw${r.alnum(12)}`;
          secret = true;
          break;
        case 'addKey':
          answer = r.chance(0.4) ? `${r.pick(REAL_KEYS)}${r.chance(0.5) ? ` ${r.pick(INJECTIONS)}` : ''}` : r.pick([...FAKE_KEYS, ...INJECTIONS]);
          break;
        default:
          answer = r.chance(0.8) ? String(1 + r.int(6)) : r.pick(['0', '99', '', '-1', ' 1 ', '1.0', '1e0', '１', '1111111', 'abc', ...INJECTIONS]);
      }
      if (secret) tokens.push(answer);
      lastLen = term.output.length;
      const eol = r.pick(['\r', '\r', '\n', '\r\n']);
      const line = Buffer.concat([
        !secret && r.chance(0.15) ? noise(r) : Buffer.alloc(0),
        Buffer.from(answer, 'utf8'),
        !secret && r.chance(0.1) ? noise(r) : Buffer.alloc(0),
        Buffer.from(eol),
      ]);
      // Sometimes the line arrives in pieces (split anywhere, even inside a UTF-8 sequence, but never
      // between the CR and LF of one line end: a lone LF would answer the next prompt, not this one).
      const maxCut = line.length - eol.length;
      if (r.chance(0.15) && maxCut > 1) {
        const cut = 1 + r.int(maxCut - 1);
        term.type(line.subarray(0, cut));
        await sleep(r.int(3));
        term.type(line.subarray(cut));
      } else term.type(line);
      out.inputs++;
    }
  }
  // Every session must end by itself (menu_timeout 0.3 s, or a quit) within a generous bound.
  out.ended = await Promise.race([run.then(() => true), sleep(20_000).then(() => false)]);
  term.close();
  await run;
  out.output = term.output;
  for (const t of tokens) {
    if (t.length < 6) continue;
    out.secrets++;
    if (out.output.includes(t.slice(0, 12))) out.leaked.push(t);
  }
  return out;
}

describe('menu fuzz', { concurrency: false }, () => {
  let rig: Rig;
  before(() => {
    rig = makeRig();
  });
  after(async () => {
    await rig?.store.close();
    if (rig) rmSync(rig.dir, { recursive: true, force: true });
    await sweepTestContainers(runId);
  });

  test('at least 10,000 random inputs through MenuSession: nothing escapes run(), every session ends, no password echoed, memory bounded', async (ctx) => {
    ctx.diagnostic(`seed ${SEED}`);
    const r = new Rng(SEED);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    let inputs = 0,
      sessions = 0,
      guided = 0,
      notEnded = 0,
      secrets = 0;
    const threw: string[] = [];
    const leaks: string[] = [];
    const reached = new Map<string, number>();
    let wentWrong = 0;
    const started = Date.now();
    const CONCURRENCY = 32;
    const TARGET = 10_000;
    try {
      const worker = async () => {
        while (inputs < TARGET && Date.now() - started < 120_000) {
          const g = r.chance(0.3);
          // Each session draws from its own generator, seeded from the main one, so a replay is deterministic per session.
          const sr = new Rng(r.int(2 ** 31));
          const o = await session(rig, sr, g, g ? 40 : 4 + sr.int(24));
          sessions++;
          if (g) guided++;
          inputs += o.inputs;
          secrets += o.secrets;
          if (!o.ended) notEnded++;
          if (o.threw !== undefined && threw.length < 5) threw.push(String((o.threw as Error)?.stack ?? o.threw));
          if (o.leaked.length) leaks.push(...o.leaked.map((t) => t.slice(0, 40)));
          if (o.output.includes('Something went wrong on the server')) wentWrong++;
          for (const p of o.deepest) reached.set(p, (reached.get(p) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      clearInterval(sampler);
      process.off('unhandledRejection', onUnhandled);
    }
    await sleep(200);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    const counts = Object.fromEntries(
      [...rig.sink.counts].filter(([e]) =>
        /session_end|session_error|environment_failed|account_created|login_ok|login_failed|account_deleted|key_enrolled/.test(e),
      ),
    );
    ctx.diagnostic(
      `${inputs} inputs in ${sessions} sessions (${guided} guided, ${secrets} passwords typed at password prompts) in ${Date.now() - started} ms; prompts reached ${JSON.stringify(Object.fromEntries(reached))}; log events ${JSON.stringify(counts)}; heap ${mb(heapBefore)} -> ${mb(heapAfter)} MB, peak RSS ${mb(peakRss)} MB`,
    );

    assert.ok(inputs >= TARGET, `only ${inputs} inputs within the time limit ${seedNote}`);
    assert.deepEqual(threw, [], `exceptions escaped run() ${seedNote}`);
    assert.deepEqual(unhandled.map(String), [], `unhandled rejections ${seedNote}`);
    assert.equal(notEnded, 0, `${notEnded} sessions did not end within 20 s of their last input ${seedNote}`);
    assert.ok(secrets > 100, `only ${secrets} passwords were typed at password prompts ${seedNote}`);
    assert.deepEqual(leaks, [], `a password typed at a password prompt appeared in the output ${seedNote}`);
    assert.equal(rig.sink.counts.get('session_error') ?? 0, 0, `sessions failed with an internal error ${seedNote}:\n${rig.sink.errors.join('\n')}`);
    assert.equal(wentWrong, 0, `"Something went wrong" shown ${wentWrong} times ${seedNote}`);
    // The guided sessions really reached the deep states (account made, menu, environment, plugins).
    for (const p of ['chooseUsername', 'choosePassword', 'verifyPassword', 'choice', 'username', 'password', 'deleteAccount', 'addKey'])
      assert.ok((reached.get(p) ?? 0) > 0, `the fuzz never reached the ${p} prompt ${seedNote}`);
    assert.ok((rig.sink.counts.get('environment_failed') ?? 0) > 0, `the fuzz never picked the environment ${seedNote}`);
    assert.ok((rig.sink.counts.get('key_enrolled') ?? 0) > 0, `the fuzz never enrolled a key ${seedNote}`);
    assert.ok(heapAfter - heapBefore < 64 * 1024 * 1024, `heap grew by ${mb(heapAfter - heapBefore)} MB after every session ended ${seedNote}`);
    assert.ok(peakRss < 1536 * 1024 * 1024, `peak RSS ${mb(peakRss)} MB ${seedNote}`);
  });

  test('after the fuzz, a normal scripted session still completes', async () => {
    const term = new MemoryTerminal();
    const run = new MenuSession(rig.deps, term, rig.hints).run();
    const wait = async (s: string) => {
      await until(() => term.output.includes(s), 10_000, s, term);
    };
    const step = async (prompt: string, answer: string) => {
      await wait(prompt);
      const mark = term.output.length;
      term.type(`${answer}\r`);
      await until(() => term.output.length > mark, 10_000, `an answer to ${prompt}`, term);
    };
    await step('[new/existing]: ', 'new');
    await step('Choose a username: [a-zA-Z0-9]: ', 'aftermath');
    await wait('Your username is aftermath');
    await step('Choose a password: [a-zA-Z0-9{4,}]: ', 'finalpw1');
    await step('Verify your password: ', 'finalpw1');
    await wait('Your account will expire on');
    await wait('[Choice]: ');
    term.type('1\r');
    await wait("this environment's image is not available");
    await until(() => term.output.endsWith('[Choice]: '), 10_000, 'the menu again', term);
    term.type('\x03');
    await run;
    assert.match(term.output, /Quit by user\.\.\./);
    assert.ok(!term.output.includes('finalpw1'));
    assert.ok(await rig.store.getAccount('aftermath'), 'the account exists');
  });
});

async function until(pred: () => boolean, timeoutMs: number, what: string, term?: MemoryTerminal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output tail: ${JSON.stringify(term?.output.slice(-300))}`);
    await sleep(5);
  }
}

// --- over the wire -----------------------------------------------------------------

describe('over-the-wire fuzz (real ssh2 connections to the real server)', { concurrency: false }, () => {
  const islet = new IsletProcess(runId);
  before(async () => {
    const y = join(islet.configDir, 'islet.yaml');
    writeFileSync(y, readFileSync(y, 'utf8').replace(/^menu_timeout:.*$/m, 'menu_timeout: 1s'));
    rmSync(join(islet.configDir, 'environments', 'demo.yaml'));
    writeFileSync(
      join(islet.configDir, 'environments', 'ghost.yaml'),
      `image: ${GHOST_IMAGE}\ndescription: Image on a registry that does not answer\nuser: student\n`,
    );
    await islet.start();
  });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('200 random inputs over 20 connections; the server keeps serving and a normal trainee gets the menu', async (ctx) => {
    const r = new Rng(SEED ^ 0x5eed);
    let inputs = 0;
    const TERMS = ['xterm', '', 'x'.repeat(300), '\x1b]0;pwn\x07', '../../../bin/sh', 'vt100\nEVIL=1', 'dumb', '😀'];
    const one = async (k: number): Promise<string | undefined> => {
      const c = new Client();
      const closed = new Promise<void>((res) => c.once('close', () => res()));
      c.on('error', () => undefined);
      let stage = 'connect';
      try {
        await new Promise<void>((res, rej) =>
          c
            .once('ready', () => res())
            .once('error', rej)
            .connect({ host: '127.0.0.1', port: islet.port, username: 'demo', password: 'demo', hostVerifier: () => true, readyTimeout: 20_000 }),
        );
        stage = 'shell';
        const term = r.pick(TERMS),
          cols = r.pick([0, 1, 80, 5000, 2 ** 31]),
          rows = r.pick([0, 1, 24, 70000]);
        const ch = await new Promise<ClientChannel>((res, rej) => c.shell({ term, cols, rows }, (e, sh) => (e ? rej(e) : res(sh))));
        ch.on('data', () => undefined);
        stage = 'input';
        for (let i = 0; i < 10; i++) {
          if (r.chance(0.1)) ch.setWindow(r.int(100000), r.int(100000), 0, 0);
          // At most 512 bytes per chunk: the server writes one SSH packet per echoed byte, so big pastes stall
          // every session for seconds (ssh-abuse.test.ts tests that on its own); here it would only make this test flaky.
          const chunk = chaosChunk(r);
          ch.write(chunk.length > 512 ? chunk.subarray(chunk.length - 512) : chunk);
          inputs++;
          await sleep(r.int(30));
        }
        stage = 'close';
        if (k % 4 === 0)
          c.destroy(); // abrupt
        else {
          ch.end();
          c.end();
        }
        await Promise.race([closed, sleep(5000)]);
        return undefined;
      } catch (e) {
        return `connection ${k} failed at ${stage}: ${(e as Error).message}`;
      } finally {
        c.destroy();
      }
    };
    // Hostile login names first: each must simply fail to log in.
    const NAMES = [
      'demo+ghost',
      'a+b+c',
      'x'.repeat(2000),
      'alice+../../etc',
      'root',
      '',
      '😀',
      'alice\u0000',
      "' OR 1=1 --",
      'alice+ghost',
      '+ghost',
      'alice+',
      'DEMO',
    ];
    for (const name of NAMES) {
      const c = new Client();
      c.on('error', () => undefined);
      const ok = await new Promise<boolean>((res) => {
        c.once('ready', () => res(true)).once('close', () => res(false));
        c.connect({
          host: '127.0.0.1',
          port: islet.port,
          localAddress: '127.0.2.1',
          username: name,
          password: `pw${r.int(1e9)}`,
          hostVerifier: () => true,
          readyTimeout: 20_000,
        });
      });
      c.destroy();
      assert.equal(ok, false, `login name ${JSON.stringify(name.slice(0, 40))} got in ${seedNote}`);
    }
    // 20 connections, 5 at a time.
    const failures: string[] = [];
    for (let b = 0; b < 4; b++)
      failures.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => one(b * 5 + i)))).filter((f): f is string => f !== undefined));
    assert.deepEqual(
      failures,
      [],
      `${seedNote}; server log tail:\n${islet.logs
        .slice(-15)
        .map((l) => JSON.stringify(l).slice(0, 300))
        .join('\n')}`,
    );
    ctx.diagnostic(`${inputs} inputs over 20 connections ${seedNote}`);
    assert.equal(inputs, 200);

    const t = new SshTrainee();
    await t.connect(islet.port);
    await t.waitFor(/\[new\/existing\]: $/, 10_000);
    t.send('new\r');
    await t.waitFor(/Choose a username: \[a-zA-Z0-9\]: $/);
    t.send('afterwire\r');
    await t.waitFor(/Choose a password: .*: $/);
    t.send('wirepw1\r');
    await t.waitFor(/Verify your password: $/);
    t.send('wirepw1\r');
    await t.waitFor(/Available configurations:[\s\S]*1\) ghost[\s\S]*\[Choice\]: $/);
    t.end();
    assert.ok(!islet.logs.some((l) => l.event === 'session_error' || l.msg === 'session handler failed'), `no session failed inside the server ${seedNote}`);
    assert.equal(islet.stderr.filter((l) => /Error|uncaught/i.test(l)).length, 0, `server stderr: ${islet.stderr.join('\n')}`);
  });
});
