/**
 * Throwaway X.509 material for tests, made with the openssl CLI (P-256 keys, valid one day): a self-signed
 * certificate (a web door's TLS), or a CA and the leaves it signs (mutual TLS to an engine).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function ssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed certificate for `cn`, written to `certFile` with its key in `keyFile`. */
export function selfSigned(keyFile: string, certFile: string, cn: string): void {
  execFileSync('openssl', ['req', '-x509', ...KEY, '-days', '1', '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
}

/**
 * In `dir`: a new CA (`<ca>-ca.pem`, `<ca>-ca-key.pem`) and a certificate it signs, `<leaf>.pem` with `<leaf>-key.pem`:
 * a server certificate for IP 127.0.0.1, or a client certificate (clientAuth).
 */
export function caAndLeaf(dir: string, ca: string, leaf: string, kind: 'server' | 'client'): void {
  ssl(dir, ['req', '-x509', ...KEY, '-keyout', `${ca}-ca-key.pem`, '-out', `${ca}-ca.pem`, '-days', '1', '-subj', `/CN=${ca} test CA`]);
  ssl(dir, ['req', ...KEY, '-keyout', `${leaf}-key.pem`, '-out', `${leaf}.csr`, '-subj', `/CN=${leaf}`]);
  writeFileSync(join(dir, `${leaf}.ext`), kind === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  ssl(dir, [
    'x509',
    '-req',
    '-in',
    `${leaf}.csr`,
    '-CA',
    `${ca}-ca.pem`,
    '-CAkey',
    `${ca}-ca-key.pem`,
    '-CAcreateserial',
    '-out',
    `${leaf}.pem`,
    '-days',
    '1',
    '-extfile',
    `${leaf}.ext`,
  ]);
}
