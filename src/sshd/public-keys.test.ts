import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { parsePublicKey, signatureAccepted, verifyKeySignature, type PublicKeyLine } from './public-keys.ts';
import { readableEd25519 } from './host-keys.ts';

function pair(type: 'rsa' | 'ed25519' | 'ecdsa'): { line: PublicKeyLine; priv: ParsedKey } {
  const kp =
    type === 'rsa'
      ? ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 })
      : type === 'ecdsa'
        ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 })
        : readableEd25519();
  const line = parsePublicKey(kp.public);
  assert.ok(typeof line !== 'string', String(line));
  return { line, priv: ssh2.utils.parseKey(kp.private) as ParsedKey };
}

test('an RSA key signs in with SHA-2 only: rsa-sha2-256/512 verify, SHA-1 ssh-rsa does not', () => {
  const { line, priv } = pair('rsa');
  const blob = randomBytes(64);
  // Control: the same key and data verify with SHA-2, so a refusal below is the algorithm's.
  assert.equal(verifyKeySignature(line, blob, priv.sign(blob, 'sha256'), 'sha256'), true);
  assert.equal(verifyKeySignature(line, blob, priv.sign(blob, 'sha512'), 'sha512'), true);
  const sha1 = priv.sign(blob, 'sha1');
  assert.equal(ssh2.utils.parseKey(`${line.algo} ${line.data}`) instanceof Error, false);
  assert.equal((ssh2.utils.parseKey(`${line.algo} ${line.data}`) as ParsedKey).verify(blob, sha1, 'sha1'), true, 'the SHA-1 signature itself is valid');
  assert.equal(verifyKeySignature(line, blob, sha1, undefined), false, 'ssh-rsa (SHA-1) is refused');
  assert.equal(verifyKeySignature(line, blob, sha1, 'sha1'), false);
});

test('ed25519 and ECDSA keys verify; a wrong signature does not', () => {
  for (const t of ['ed25519', 'ecdsa'] as const) {
    const { line, priv } = pair(t);
    const blob = randomBytes(64);
    assert.equal(verifyKeySignature(line, blob, priv.sign(blob), undefined), true, t);
    assert.equal(verifyKeySignature(line, randomBytes(64), priv.sign(blob), undefined), false, t);
  }
});

test("the key type a client names must be the enrolled key's own, and RSA must name SHA-2", () => {
  const { line } = pair('rsa');
  assert.equal(signatureAccepted(line, 'ssh-rsa', 'sha256'), true);
  assert.equal(signatureAccepted(line, 'ssh-rsa', 'sha512'), true);
  assert.equal(signatureAccepted(line, 'ssh-rsa', undefined), false);
  assert.equal(signatureAccepted(line, 'ssh-ed25519', undefined), false);
  const ed = pair('ed25519').line;
  assert.equal(signatureAccepted(ed, 'ssh-ed25519', undefined), true);
  assert.equal(signatureAccepted(ed, 'ssh-rsa', 'sha256'), false);
});

test('enrollment: ed25519, ECDSA and RSA lines are taken; security keys, DSA and mislabelled keys are not', () => {
  const rsa = pair('rsa').line;
  assert.match(String(parsePublicKey(`ssh-dss ${rsa.data}`)), /key type ssh-dss is not accepted/);
  assert.match(String(parsePublicKey(`sk-ssh-ed25519@openssh.com ${rsa.data}`)), /is not accepted/);
  assert.equal(typeof parsePublicKey(`ssh-ed25519 ${rsa.data}`), 'string');
});
