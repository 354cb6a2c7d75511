/**
 * ISLET's algorithm list on the ssh2 server it runs on, including the two fixes ISLET carries in
 * patches/ssh2+1.17.0.patch (applied by `npm install`'s postinstall):
 *  - a client's guessed first key-exchange packet (RFC 4253 section 7, `first_kex_packet_follows`) is
 *    used when the guess is right and ignored when it is wrong. Unpatched ssh2 ignored every guess, so
 *    Dropbear's dbclient, whose first choices are ISLET's, waited for ever.
 *  - the advertised server-sig-algs list is well formed and SHA-2 only.
 * These run against a bare ssh2 server (no engine); test/e2e/client-matrix.test.ts runs the real clients
 * against the whole server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { modernAlgorithms } from './algorithms.ts';
import { loadHostKeys } from './host-keys.ts';

const MSG = { KEXINIT: 20, KEX_ECDH_INIT: 30, KEX_ECDH_REPLY: 31 } as const;

function nameList(names: readonly string[]): Buffer {
  const b = Buffer.from(names.join(','));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An unencrypted SSH binary packet (RFC 4253 section 6) around `payload`. */
function packet(payload: Buffer): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + pad);
  head[4] = pad;
  return Buffer.concat([head, payload, randomBytes(pad)]);
}

function kexinit(kex: readonly string[], hostKey: readonly string[], firstKexPacketFollows: boolean): Buffer {
  const cipher = ['aes128-ctr'],
    mac = ['hmac-sha2-256'],
    none = ['none'];
  return packet(
    Buffer.concat([
      Buffer.from([MSG.KEXINIT]),
      randomBytes(16),
      nameList(kex),
      nameList(hostKey),
      nameList(cipher),
      nameList(cipher),
      nameList(mac),
      nameList(mac),
      nameList(none),
      nameList(none),
      nameList([]),
      nameList([]),
      Buffer.from([firstKexPacketFollows ? 1 : 0, 0, 0, 0, 0]),
    ]),
  );
}

/** SSH_MSG_KEX_ECDH_INIT with a curve25519 public key of `len` bytes (32 is right; anything else is malformed). */
function ecdhInit(len = 32): Buffer {
  const pub = len === 32 ? generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32) : randomBytes(len);
  const l = Buffer.alloc(4);
  l.writeUInt32BE(pub.length);
  return packet(Buffer.concat([Buffer.from([MSG.KEX_ECDH_INIT]), l, pub]));
}

/**
 * Speaks the plaintext start of SSH as a guessing client: sends ident, KEXINIT with
 * first_kex_packet_follows and the guessed packet in one write (as dbclient does), then `after` once the
 * server's KEXINIT is in. Resolves with the message types the server sent, ending at the first
 * KEX_ECDH_REPLY, or at the socket's close or `timeoutMs`.
 */
function guessingClient(port: number, first: Buffer[], afterKexinit: Buffer[], timeoutMs = 15_000): Promise<{ types: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const types: number[] = [];
    let buf = Buffer.alloc(0);
    let identSeen = false;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ types, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('connect', () => s.write(Buffer.concat([Buffer.from('SSH-2.0-islet_guess_test\r\n'), ...first])));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!identSeen) {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        buf = buf.subarray(nl + 1);
        identSeen = true;
      }
      while (buf.length >= 6 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const type = buf[5]!;
        buf = buf.subarray(4 + buf.readUInt32BE(0));
        types.push(type);
        if (type === MSG.KEXINIT && afterKexinit.length) s.write(Buffer.concat(afterKexinit));
        if (type === MSG.KEX_ECDH_REPLY) return finish(false);
      }
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

describe('ISLET algorithms on ssh2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-alg-'));
  let server: ssh2.Server;
  let port = 0;
  const hostKeyAlgos = ['ssh-ed25519', 'ecdsa-sha2-nistp256'];

  before(async () => {
    server = new ssh2.Server({ hostKeys: loadHostKeys(dir), ident: 'ISLET', algorithms: modernAlgorithms }, (client) => {
      client.on('error', () => {});
      client.on('authentication', (ctx) => ctx.reject());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first choices are what a guessing client (dbclient) guesses: curve25519-sha256 and ssh-ed25519', () => {
    assert.equal((modernAlgorithms.kex as string[])[0], 'curve25519-sha256');
    assert.equal(loadHostKeys(dir).length, 2);
  });

  test('a right guess is answered: the guessed ECDH_INIT gets the reply without being sent again', async () => {
    const r = await guessingClient(port, [kexinit(['curve25519-sha256', 'ecdh-sha2-nistp256'], hostKeyAlgos, true), ecdhInit()], []);
    assert.deepEqual(r.types, [MSG.KEXINIT, MSG.KEX_ECDH_REPLY], `server sent ${r.types.join(',')} (closed: ${r.closed})`);
  });

  test('a wrong KEX guess is ignored: a malformed guessed packet is skipped and the real one answered', async () => {
    // Control: the same malformed packet, not announced as a guess, ends the handshake.
    const control = await guessingClient(
      port,
      [kexinit(['curve25519-sha256@libssh.org', 'curve25519-sha256'], hostKeyAlgos, false), ecdhInit(7)],
      [ecdhInit()],
    );
    assert.equal(control.closed, true, `a malformed ECDH_INIT that is not a guess is refused; got ${control.types.join(',')}`);
    assert.ok(!control.types.includes(MSG.KEX_ECDH_REPLY));
    const r = await guessingClient(port, [kexinit(['curve25519-sha256@libssh.org', 'curve25519-sha256'], hostKeyAlgos, true), ecdhInit(7)], [ecdhInit()]);
    assert.deepEqual(r.types, [MSG.KEXINIT, MSG.KEX_ECDH_REPLY], `server sent ${r.types.join(',')} (closed: ${r.closed})`);
  });

  test('a wrong host key guess is ignored too (RFC 4253: both first choices must match)', async () => {
    const r = await guessingClient(port, [kexinit(['curve25519-sha256'], ['ecdsa-sha2-nistp256', 'ssh-ed25519'], true), ecdhInit(7)], [ecdhInit()]);
    assert.deepEqual(r.types, [MSG.KEXINIT, MSG.KEX_ECDH_REPLY], `server sent ${r.types.join(',')} (closed: ${r.closed})`);
  });

  test('server-sig-algs is well formed and SHA-2 only (OpenSSH -vvv shows it)', async () => {
    const stderr = await new Promise<string>((resolve) => {
      execFile(
        'ssh',
        [
          '-vvv',
          '-p',
          String(port),
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'BatchMode=yes',
          '-o',
          'PreferredAuthentications=none',
          'nobody@127.0.0.1',
          'true',
        ],
        { timeout: 30_000 },
        (_err, _out, err) => resolve(err),
      );
    });
    const m = /server-sig-algs=<([^>]*)>/.exec(stderr);
    assert.ok(m, `no server-sig-algs in ssh -vvv output:\n${stderr.slice(-2000)}`);
    assert.deepEqual(m[1]!.split(','), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256']);
  });
});
