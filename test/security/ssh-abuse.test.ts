/**
 * Security: abuse of the SSH front door, against the real `islet serve`
 * (ssh2 server) with small limits, from the real OpenSSH client, node's ssh2
 * client and raw TCP sockets.
 *
 * Every test connects from its own loopback address (127.0.0.x, all of which
 * reach the server on 127.0.0.1), so per-address counters never leak from
 * one test into another.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2, { Client, type AnyAuthMethod, type ClientChannel } from 'ssh2';
import { IsletProcess, type LogLine } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { SSH_PROMPT, chooseSsh, newAccountSsh } from '../helpers/ssh-journey.ts';
import { readableEd25519 } from '../../src/sshd/host-keys.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIMITS = {
  ssh_auth_failures_per_ip: 5,
  ssh_lockout: '5s',
  ssh_login_grace: '2s',
  ssh_max_connections_per_ip: 5,
  ssh_max_sessions_per_connection: 2,
};

// --- raw TCP ----------------------------------------------------------------

interface Raw {
  readonly sock: Socket;
  data: Buffer;
  readonly openedAt: number;
  closedAt?: number;
  readonly closed: Promise<void>;
}

/** A raw TCP connection from `local`; sends an SSH identification line unless `ident` is false. */
function raw(local: string, ident: string | false = 'SSH-2.0-probe'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: islet.port, localAddress: local });
    let closedResolve!: () => void;
    const r: Raw = {
      sock,
      data: Buffer.alloc(0),
      openedAt: 0,
      closed: new Promise<void>((res) => {
        closedResolve = res;
      }),
    };
    sock.on('data', (b: Buffer) => {
      r.data = Buffer.concat([r.data, b]);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      r.closedAt = performance.now();
      closedResolve();
    });
    sock.once('connect', () => {
      (r as { openedAt: number }).openedAt = performance.now();
      if (ident !== false) sock.write(`${ident}\r\n`);
      resolve(r);
    });
    sock.once('error', reject);
  });
}

/** What came after the server's identification line. */
function afterIdent(r: Raw): Buffer {
  const i = r.data.indexOf('\r\n');
  return i < 0 ? Buffer.alloc(0) : r.data.subarray(i + 2);
}

/** True once the server's KEXINIT (SSH_MSG_KEXINIT = 20) arrived: the connection was admitted. */
const hasKexinit = (r: Raw) => {
  const p = afterIdent(r);
  return p.length >= 6 && p[5] === 20;
};

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Parses the name-lists of the server's KEXINIT. */
function kexinitLists(r: Raw): Record<string, string[]> {
  const p = afterIdent(r);
  const len = p.readUInt32BE(0);
  const payload = p.subarray(5, 4 + len);
  assert.equal(payload[0], 20, 'KEXINIT');
  let off = 17; // message number + 16-byte cookie
  const names = ['kex', 'hostKey', 'cipherC2S', 'cipherS2C', 'macC2S', 'macS2C', 'compressC2S', 'compressS2C', 'langC2S', 'langS2C'];
  const out: Record<string, string[]> = {};
  for (const n of names) {
    const l = payload.readUInt32BE(off);
    out[n] = payload
      .subarray(off + 4, off + 4 + l)
      .toString('ascii')
      .split(',')
      .filter(Boolean);
    off += 4 + l;
  }
  return out;
}

// --- ssh2 client --------------------------------------------------------------

interface Attempt {
  ready: boolean;
  /** How often the client was asked for an authentication. */
  attempts: number;
  /** Authentication requests really sent (ssh2 skips offers it cannot use). */
  sent: number;
  error?: string;
  client: Client;
  closed: Promise<void>;
}

/**
 * Connects with node's ssh2 client from `local` and offers `next(n)` as the
 * n-th authentication (1-based) for as long as the server keeps asking;
 * resolves once logged in or once the connection closed.
 */
/** An authentication to offer, or false to give up. */
type Offer = AnyAuthMethod | false;

function sshAttempt(local: string, next: (n: number) => Offer, timeoutMs = 15_000, username = 'demo'): Promise<Attempt> {
  const client = new Client();
  let closedResolve!: () => void;
  const res: Attempt = {
    ready: false,
    attempts: 0,
    sent: 0,
    client,
    closed: new Promise<void>((r) => {
      closedResolve = r;
    }),
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.error = 'timeout';
      client.destroy();
    }, timeoutMs);
    client.on('ready', () => {
      clearTimeout(timer);
      res.ready = true;
      resolve(res);
    });
    client.on('error', (e: Error) => {
      res.error ??= e.message;
    });
    client.on('close', () => {
      clearTimeout(timer);
      closedResolve();
      resolve(res);
    });
    client.connect({
      host: '127.0.0.1',
      port: islet.port,
      localAddress: local,
      username,
      readyTimeout: timeoutMs,
      hostVerifier: () => true,
      authHandler: (_methodsLeft, _partial, cb) => {
        res.attempts++;
        (cb as (o: Offer) => void)(next(res.attempts));
      },
      debug: (msg: string) => {
        if (msg.startsWith('Outbound: Sending USERAUTH_REQUEST')) res.sent++;
      },
    });
  });
}

const password = (pw: string, username = 'demo') => ({ type: 'password' as const, username, password: pw });

/** The server's log lines about connections from `ip`. */
const from = (ip: string, event: string, reason?: string) => (l: LogLine) =>
  l.client === ip && l.event === event && (reason === undefined || l.reason === reason);
const countLogs = (ip: string, event: string, reason?: string) => islet.logs.filter(from(ip, event, reason)).length;

describe('SSH front door abuse', { concurrency: false }, () => {
  before(async () => {
    appendFileSync(
      join(islet.configDir, 'islet.yaml'),
      `\n# security suite limits\n${Object.entries(LIMITS)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n`,
    );
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('the identification line is exactly "SSH-2.0-ISLET" (no software or version)', async () => {
    const r = await raw('127.0.0.11');
    await until(() => r.data.includes('\r\n'), 5000, 'the identification line');
    assert.equal(r.data.subarray(0, r.data.indexOf('\r\n')).toString('latin1'), 'SSH-2.0-ISLET');
    r.sock.destroy();
  });

  test('the server offers no weak algorithm in its KEXINIT', async () => {
    const r = await raw('127.0.0.11');
    await until(() => hasKexinit(r), 5000, 'KEXINIT');
    const lists = kexinitLists(r);
    r.sock.destroy();
    const weak = /sha1|cbc|3des|arcfour|rc4|blowfish|cast128|md5|umac-64|group1-|group-exchange-sha1|ssh-rsa$|ssh-dss|^none$/;
    for (const k of ['kex', 'hostKey', 'cipherC2S', 'cipherS2C', 'macC2S', 'macS2C']) {
      const names = lists[k]!.filter((n) => !/^(ext-info-s|kex-strict-s-v00@openssh\.com)$/.test(n));
      assert.ok(names.length > 0, `${k} offers something`);
      assert.deepEqual(
        names.filter((n) => weak.test(n)),
        [],
        `${k}: ${names.join(',')}`,
      );
    }
    assert.deepEqual(lists.compressC2S, ['none']);
  });

  describe('algorithms forced by the OpenSSH client', () => {
    const ssh = async (...opts: string[]) => {
      const args = [
        '-b',
        '127.0.0.21',
        ...opts.flatMap((o) => ['-o', o]),
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'ConnectTimeout=10',
        '-p',
        String(islet.port),
        'demo@127.0.0.1',
        'true',
      ];
      try {
        await run('ssh', args, { timeout: 20_000 });
        return { code: 0, err: '' };
      } catch (e) {
        const x = e as { code?: number; stderr?: string };
        return { code: x.code ?? -1, err: x.stderr ?? '' };
      }
    };
    for (const [opt, what] of [
      ['Ciphers=aes128-cbc', /no matching cipher/],
      ['MACs=hmac-sha1', /no matching MAC/],
      ['KexAlgorithms=diffie-hellman-group14-sha1', /no matching key exchange method/],
      ['HostKeyAlgorithms=ssh-rsa', /no matching host key type/],
    ] as const) {
      test(`${opt} cannot connect`, async () => {
        // A MAC is negotiated only with a non-AEAD cipher: force one so the MAC list really matters.
        const extra = opt.startsWith('MACs=') ? ['Ciphers=aes128-ctr,aes256-ctr'] : [];
        const r = await ssh(opt, ...extra);
        assert.equal(r.code, 255, r.err);
        assert.match(r.err, what, r.err);
      });
    }
    test('MACs=hmac-sha1 alone: either refused, or an AEAD cipher is chosen and hmac-sha1 is never used', async () => {
      const r = await ssh('MACs=hmac-sha1', 'LogLevel=DEBUG1');
      assert.match(r.err, /no matching MAC|MAC: <implicit>/, r.err);
      assert.doesNotMatch(r.err, /MAC: hmac-sha1\b/);
    });
    test('the defaults negotiate and reach authentication', async () => {
      const r = await ssh('LogLevel=DEBUG1');
      assert.match(r.err, /Permission denied \(/, 'key exchange done; only the password is missing in batch mode');
      assert.match(r.err, /kex: algorithm: (curve25519-sha256|sntrup761x25519-sha512|ecdh-sha2-nistp256)/);
    });
  });

  test('at most 3 password attempts per connection, then it is closed (ssh2 client that never gives up)', async () => {
    const ip = '127.0.0.12';
    const r = await sshAttempt(ip, (n) => password(`wrong${n}`));
    await r.closed;
    assert.equal(r.ready, false);
    await islet.waitForLog(from(ip, 'gate_login_failed'));
    await sleep(200);
    assert.equal(countLogs(ip, 'gate_login_failed'), 3, 'the server checked exactly 3 passwords');
    assert.ok(r.sent <= 4, `the client was cut off (it sent ${r.sent} requests)`);
  });

  test('at most 3 password prompts per connection with OpenSSH; a 4th password is never checked', async () => {
    const ip = '127.0.0.13';
    const s = await TmuxSsh.connect({ port: islet.port, extraArgs: ['-b', ip, '-o', 'NumberOfPasswordPrompts=6', '-o', 'PreferredAuthentications=password'] });
    for (let i = 0; i < 3; i++) {
      await s.waitFor(/password: $/m);
      await s.line(`wrong${i}`);
    }
    // Should the client be asked a 4th time, answer, so that a 4th check would show in the server's log.
    const fourth = await s.waitFor(/password: $/m, 3000).then(
      () => true,
      () => false,
    );
    if (fourth) await s.line('wrong3');
    const exited = await s.waitExit(10_000).then(
      () => true,
      () => false,
    );
    await sleep(200);
    const checked = countLogs(ip, 'gate_login_failed');
    const screen = await s.history();
    await s.close();
    assert.equal(checked, 3, `the server checked ${checked} passwords on one connection (limit 3):\n${screen}`);
    assert.equal(fourth, false, `OpenSSH was asked for a 4th password (the server answered the 3rd failure with "try again" before disconnecting):\n${screen}`);
    assert.ok(exited, 'ssh exited');
  });

  test('auth attempts of any method count: a client offering public keys forever is cut off after 3', async () => {
    const ip = '127.0.0.22';
    const keys = Array.from({ length: 8 }, () => readableEd25519().private);
    const r = await sshAttempt(ip, (n) => (n <= keys.length ? { type: 'publickey', username: 'demo', key: keys[n - 1]! } : false), 10_000);
    await r.closed;
    assert.equal(r.ready, false);
    assert.ok(r.sent >= 3, `the client really sent its keys (${r.sent} requests)`);
    assert.ok(r.sent <= 4, `the server answered ${r.sent} public key requests on one connection (limit 3 attempts per connection)`);
  });

  test(`${LIMITS.ssh_auth_failures_per_ip} failed logins lock the address out for ssh_lockout (${LIMITS.ssh_lockout}), other addresses unaffected`, async () => {
    const ip = '127.0.0.14';
    const first = await sshAttempt(ip, (n) => password(`bad${n}`)); // 3 failures, then closed
    await first.closed;
    const second = await sshAttempt(ip, (n) => password(`bad-again${n}`)); // the 5th failure locks the address
    await second.closed;
    const lock = await islet.waitForLog(from(ip, 'address_locked_out'));
    const lockedAt = Date.now();
    assert.equal(countLogs(ip, 'gate_login_failed', 'bad_password'), 5);
    assert.ok(second.attempts <= 3, `the connection was closed at the 5th failure (client offered ${second.attempts})`);
    // The lock line follows the 5th failure: not the 4th (too early), and only once.
    const failuresBeforeLock = islet.logs.slice(0, islet.logs.indexOf(lock)).filter(from(ip, 'gate_login_failed', 'bad_password')).length;
    assert.equal(failuresBeforeLock, 5, `the address was locked out by its 5th failure (${failuresBeforeLock} before the lock)`);
    assert.equal(countLogs(ip, 'address_locked_out'), 1, 'locked out once');

    const refused = await sshAttempt(ip, () => password('demo'));
    await refused.closed;
    assert.equal(refused.ready, false, 'even the right password is refused while locked out');
    await islet.waitForLog(from(ip, 'connection_refused', 'locked_out'));
    assert.equal(countLogs(ip, 'gate_login_failed', 'bad_password'), 5, 'no password was checked while locked out');

    const other = await sshAttempt('127.0.0.15', () => password('demo'));
    assert.equal(other.ready, true, 'another address still gets in');
    other.client.end();

    await sleep(Math.max(0, lockedAt + 5000 + 500 - Date.now()));
    const later = await sshAttempt(ip, () => password('demo'));
    assert.equal(later.ready, true, 'accepted again once the lockout has passed');
    later.client.end();
  });

  test("direct logins (alice@host, alice+env@host): guessing a trainee's password is capped and locked out like the gate", async () => {
    const t = new SshTrainee();
    await t.connect(islet.port);
    await newAccountSsh(t, 'victim', 'victimpw1');
    t.end();
    const ip = '127.0.0.24';
    const guess = (user: string) => sshAttempt(ip, (n) => password(`guess${n}`, user), 15_000, user);
    const a = await guess('victim');
    await a.closed;
    const b = await guess('victim+demo');
    await b.closed;
    assert.equal(a.ready || b.ready, false);
    await islet.waitForLog(from(ip, 'address_locked_out'));
    assert.ok(countLogs(ip, 'account_login_failed') >= 5, 'the guesses were checked as account logins');
    for (const user of ['victim', 'victim+demo']) {
      const right = await sshAttempt(ip, () => password('victimpw1', user), 15_000, user);
      await right.closed;
      assert.equal(right.ready, false, `${user} with the right password is refused while the address is locked out`);
    }
    const elsewhere = await sshAttempt('127.0.0.25', () => password('victimpw1', 'victim'), 15_000, 'victim');
    assert.equal(elsewhere.ready, true, 'the trainee, from their own address, still gets in');
    elsewhere.client.end();
  });

  test('failed trainee-account logins in the menu count toward the same lockout', async () => {
    const ip = '127.0.0.16';
    const menuLogin = async (tries: number) => {
      const r = await sshAttempt(ip, () => password('demo'));
      assert.equal(r.ready, true);
      const ch = await new Promise<ClientChannel>((res, rej) => r.client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => (e ? rej(e) : res(c))));
      let out = '';
      ch.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const wait = (re: RegExp) => until(() => re.test(out), 10_000, String(re));
      await wait(/\[new\/existing\]: $/);
      ch.write('existing\r');
      for (let i = 0; i < tries; i++) {
        await wait(/Username: $/);
        out = '';
        ch.write('nobody\r');
        await wait(/Password: $/);
        out = '';
        ch.write(`guess${i}\r`);
        await wait(/Login failed|Too many failed attempts/);
      }
      r.client.end();
      await r.closed;
      return out;
    };
    // All within ssh_lockout (5 s), the window in which failures are counted.
    assert.match(await menuLogin(3), /Too many failed attempts! \(3\/3\)/); // failure_count 3 ends the session
    const last = await menuLogin(2); // failures 4 and 5 from this address: locked out
    assert.match(last, /Too many failed attempts/);
    await islet.waitForLog(from(ip, 'session_end', 'locked_out'));
    const refused = await sshAttempt(ip, () => password('demo'));
    await refused.closed;
    assert.equal(refused.ready, false, 'the gate now refuses the address');
  });

  test(`login grace (${LIMITS.ssh_login_grace}): a client that sends its identification and then nothing is disconnected`, async () => {
    const ip = '127.0.0.17';
    const r = await raw(ip);
    await Promise.race([r.closed, sleep(8000)]);
    assert.ok(r.closedAt !== undefined, 'disconnected');
    const ms = r.closedAt - r.openedAt;
    assert.ok(ms >= 1500 && ms <= 4000, `disconnected after ${Math.round(ms)} ms (grace 2 s)`);
    await islet.waitForLog(from(ip, 'login_grace_expired'));
  });

  test('a client that ignores the disconnect at the end of the login grace loses its connection anyway', async () => {
    const ip = '127.0.0.23';
    // Half-open clients: they read everything, keep their side open and never close.
    const hostile = await Promise.all(
      Array.from(
        { length: LIMITS.ssh_max_connections_per_ip },
        () =>
          new Promise<Raw>((resolve, reject) => {
            const sock = connect({ host: '127.0.0.1', port: islet.port, localAddress: ip, allowHalfOpen: true });
            let closedResolve!: () => void;
            const r: Raw = {
              sock,
              data: Buffer.alloc(0),
              openedAt: performance.now(),
              closed: new Promise<void>((res) => {
                closedResolve = res;
              }),
            };
            sock.on('data', (b: Buffer) => {
              r.data = Buffer.concat([r.data, b]);
            });
            sock.on('error', () => undefined);
            sock.on('close', () => {
              r.closedAt = performance.now();
              closedResolve();
            });
            sock.once('connect', () => {
              sock.write('SSH-2.0-probe\r\n');
              resolve(r);
            });
            sock.once('error', reject);
          }),
      ),
    );
    await until(() => hostile.every(hasKexinit), 1500, 'admission');
    await sleep(2000 + 1500); // the grace has expired for all of them
    const extra = await raw(ip);
    await until(() => hasKexinit(extra) || extra.closedAt !== undefined, 1500, 'an answer');
    const admitted = hasKexinit(extra);
    const closed = hostile.filter((h) => h.closedAt !== undefined).length;
    extra.sock.destroy();
    for (const h of hostile) h.sock.destroy();
    assert.equal(
      admitted,
      true,
      `after the login grace, ${LIMITS.ssh_max_connections_per_ip} clients that ignored the disconnect still hold every place of their address (${closed} closed)`,
    );
  });

  test(`${LIMITS.ssh_max_connections_per_ip} connections per address: the 6th concurrent one is refused, a 6th after one closed is admitted`, async () => {
    const ip = '127.0.0.19';
    const open = await Promise.all(Array.from({ length: LIMITS.ssh_max_connections_per_ip }, () => raw(ip)));
    await until(() => open.every(hasKexinit), 1500, 'the first five to be admitted (KEXINIT)');
    const sixth = await raw(ip);
    await Promise.race([sixth.closed, sleep(1000)]);
    assert.ok(sixth.closedAt !== undefined && !hasKexinit(sixth), 'the 6th was closed without a key exchange');
    await islet.waitForLog(from(ip, 'connection_refused', 'too_many_from_address'));
    open[0]!.sock.destroy();
    await open[0]!.closed;
    await sleep(100);
    const again = await raw(ip);
    await until(() => hasKexinit(again) || again.closedAt !== undefined, 1500, 'an answer');
    assert.ok(hasKexinit(again), 'admitted once a place was free');
    for (const r of [...open, again]) r.sock.destroy();
  });

  test('a client that never sends an SSH identification is dropped within the login grace and counts against the per-address cap', async () => {
    const ip = '127.0.0.18';
    const silent = await Promise.all(Array.from({ length: LIMITS.ssh_max_connections_per_ip }, () => raw(ip, false)));
    await sleep(200);
    const extra = await raw(ip);
    await until(() => hasKexinit(extra) || extra.closedAt !== undefined, 1500, 'an answer');
    const admitted = hasKexinit(extra);
    extra.sock.destroy();
    await Promise.race([Promise.all(silent.map((s) => s.closed)), sleep(5000)]);
    const stillOpen = silent.filter((s) => s.closedAt === undefined).length;
    for (const s of silent) s.sock.destroy();
    assert.equal(stillOpen, 0, `${stillOpen} of ${silent.length} silent connections still open 5 s after connecting (login grace 2 s)`);
    assert.equal(admitted, false, `a 6th connection was admitted while ${silent.length} silent ones were open (cap ${LIMITS.ssh_max_connections_per_ip})`);
  });

  test(`ssh_max_sessions_per_connection (${LIMITS.ssh_max_sessions_per_connection}): one connection cannot open more shells`, async () => {
    const r = await sshAttempt('127.0.0.20', () => password('demo'));
    assert.equal(r.ready, true);
    const shell = () => new Promise<ClientChannel | Error>((res) => r.client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => res(e ?? c)));
    const s1 = await shell();
    const s2 = await shell();
    assert.ok(!(s1 instanceof Error) && !(s2 instanceof Error), 'the first two shells open');
    const s3 = await shell();
    assert.ok(s3 instanceof Error, 'the third is refused');
    let out = '';
    s2.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await until(() => /\[new\/existing\]: $/.test(out), 5000, 'the menu in the second shell');
    s1.close();
    await sleep(300);
    const s4 = await shell();
    assert.ok(!(s4 instanceof Error), 'a shell can be opened again once one closed');
    r.client.end();
  });

  test("a flood of 200 connections does not slow a trainee's open shell; the server still admits a new trainee afterwards", async (ctx) => {
    const legit = new SshTrainee();
    await legit.connect(islet.port);
    await newAccountSsh(legit, 'steady');
    await chooseSsh(legit, 'demo');
    await legit.waitFor(SSH_PROMPT);
    let n = 0;
    const ping = async () => {
      const k = ++n;
      const t0 = performance.now();
      legit.send(`echo fl""ood-${k}\r`);
      await legit.waitFor(new RegExp(`\\nflood-${k}\\r?\\n`), 10_000);
      return performance.now() - t0;
    };
    const base = await ping();

    // 200 connections from 20 addresses (10 each, over the per-address cap of 5), opened all at once:
    // a third send garbage after the identification, a third only the identification, a third full
    // ssh2 handshakes with a wrong password. Each one's outcome is counted.
    const sockets: Raw[] = [];
    const clients: Client[] = [];
    type Outcome = 'admitted' | 'refused' | 'auth_failed' | 'logged_in' | 'ssh_closed_early';
    const openedAt = performance.now();
    /** Per raw socket: its address and when it held a place (KEXINIT seen) until it closed. */
    const held: { ip: string; from: number; to: number }[] = [];
    // Plus 10 from one more address that only identify and then wait (each holds its place until the 2 s grace),
    // all opened at once: at least 5 of them must meet the per-address cap whatever the timing of the rest.
    const HOLDERS = '127.0.1.99';
    const opening = Promise.allSettled(
      Array.from({ length: 210 }, async (_, i): Promise<Outcome> => {
        const local = i >= 200 ? HOLDERS : `127.0.1.${1 + (i % 20)}`;
        if (i < 200 && i % 3 === 2) {
          const a = await sshAttempt(local, (k) => (k <= 1 ? password('flood') : false), 10_000);
          clients.push(a.client);
          return a.ready ? 'logged_in' : a.attempts > 0 ? 'auth_failed' : 'ssh_closed_early';
        }
        const r = await raw(local);
        sockets.push(r);
        if (i < 200 && i % 3 === 0) r.sock.write(Buffer.alloc(4096, i));
        await until(() => hasKexinit(r) || r.closedAt !== undefined, 10_000, 'admission or refusal');
        if (!hasKexinit(r)) return 'refused';
        const from = performance.now();
        void r.closed.then(() => held.push({ ip: local, from, to: r.closedAt! }));
        return 'admitted';
      }),
    );
    const rtts: number[] = [];
    let done = false;
    void opening.then(() => {
      done = true;
    });
    const started = Date.now();
    while ((!done || rtts.length < 5) && Date.now() - started < 20_000) {
      rtts.push(await ping());
      await sleep(100);
    }
    const settled = await opening;
    const failed = settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    const count = (o: Outcome) => settled.filter((r) => r.status === 'fulfilled' && r.value === o).length;
    const counts = {
      admitted: count('admitted'),
      refused: count('refused'),
      auth_failed: count('auth_failed'),
      logged_in: count('logged_in'),
      ssh_closed_early: count('ssh_closed_early'),
    };
    const refusedLogged = islet.logs.filter((l) => l.event === 'connection_refused' && String(l.client).startsWith('127.0.1.')).length;
    // Every raw socket the server admitted is closed by it: garbage at once, the idle ones at the 2 s login grace.
    await Promise.race([Promise.all(sockets.map((r) => r.closed)), sleep(8000)]);
    const stillOpen = sockets.filter((r) => r.closedAt === undefined).length;
    ctx.diagnostic(
      `flood: ${JSON.stringify(counts)}, server logged ${refusedLogged} refusals, ${stillOpen} raw sockets open 8 s later (${Math.round(performance.now() - openedAt)} ms); baseline ${Math.round(base)} ms; during the flood ${rtts.map(Math.round).join(', ')} ms`,
    );
    assert.deepEqual(failed, [], 'every flood connection reached the server (no connect error)');
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      210,
      'every one of the 210 has an outcome',
    );
    assert.equal(counts.logged_in, 0, 'no flood connection logged in with a wrong password');
    const holdersRefused = settled.slice(200).filter((r) => r.status === 'fulfilled' && r.value === 'refused').length;
    assert.ok(
      holdersRefused >= 5,
      `the per-address cap refused at least 5 of 10 waiting connections from ${HOLDERS} (${holdersRefused}; ${JSON.stringify(counts)})`,
    );
    assert.ok(refusedLogged >= counts.refused, `each refusal the clients saw is in the server's log (${refusedLogged} logged, ${counts.refused} seen)`);
    assert.equal(stillOpen, 0, `${stillOpen} flood sockets were never closed by the server`);
    // At no moment did one address hold more than its 5 places with raw sockets alone.
    for (const ip of new Set(held.map((h) => h.ip))) {
      const mine = held.filter((h) => h.ip === ip);
      const peak = Math.max(...mine.map((h) => mine.filter((o) => o.from <= h.from && h.from < o.to).length));
      assert.ok(peak <= LIMITS.ssh_max_connections_per_ip, `${ip} held ${peak} connections at once (cap ${LIMITS.ssh_max_connections_per_ip})`);
    }
    assert.ok(Math.max(...rtts) < 1000, `round trips during the flood: ${rtts.map(Math.round).join(', ')} ms`);
    for (const r of sockets) r.sock.destroy();
    for (const c of clients) c.destroy();
    legit.end();

    const next = new SshTrainee();
    await next.connect(islet.port);
    await next.waitFor(/\[new\/existing\]: $/, 10_000);
    next.end();
  });
  test('a trainee pasting 256 KB at a menu prompt does not stall the server for everyone else', async (ctx) => {
    const b = new SshTrainee();
    await b.connect(islet.port);
    await newAccountSsh(b, 'bystander');
    await chooseSsh(b, 'demo');
    await b.waitFor(SSH_PROMPT);
    const a = await sshAttempt('127.0.0.26', () => password('demo'));
    assert.equal(a.ready, true);
    const ch = await new Promise<ClientChannel>((res, rej) => a.client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => (e ? rej(e) : res(c))));
    let out = '';
    ch.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.length > 4096) out = out.slice(-4096);
    });
    await until(() => /\[new\/existing\]: $/.test(out), 10_000, 'the menu');
    ch.write(Buffer.alloc(256 * 1024, 'A')); // one paste, no line end
    await sleep(200);
    const t0 = performance.now();
    b.send('echo pa""ste-1\r');
    await b.waitFor(/\npaste-1\r?\n/, 30_000);
    const rtt = performance.now() - t0;
    const h0 = performance.now();
    const fresh = await sshAttempt('127.0.0.27', () => password('demo'), 30_000);
    const handshake = performance.now() - h0;
    fresh.client.end();
    a.client.destroy();
    b.end();
    ctx.diagnostic(`after the paste: another trainee's echo took ${Math.round(rtt)} ms, a new login ${Math.round(handshake)} ms`);
    assert.ok(
      rtt < 1000 && handshake < 3000,
      `one trainee's paste froze ISLET: another trainee's echo took ${Math.round(rtt)} ms and a new login ${Math.round(handshake)} ms`,
    );
  });
});
