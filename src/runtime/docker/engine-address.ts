/**
 * Where an engine is reached: a unix socket (`unix:///path` or `/path`), or TCP with mutual TLS
 * (`tcp://host:port` or `https://host:port`) using the Docker CLI's certificate layout — a directory with
 * `ca.pem`, `cert.pem` and `key.pem`, as `DOCKER_CERT_PATH` names it.
 *
 * Contract: an engine over TCP is always reached with TLS, verifying the engine's certificate against
 * `ca.pem` and presenting ISLET's client certificate. Plain TCP is refused: the Engine API is root on that
 * machine, and anyone who can reach a plain port has it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Connection options in dockerode's shape (the subset ISLET uses). */
export type EngineEndpoint =
  | { readonly socketPath: string }
  | {
      readonly host: string;
      readonly port: number;
      readonly protocol: 'https';
      readonly ca: Buffer;
      readonly cert: Buffer;
      readonly key: Buffer;
    };

/** A printable name for an endpoint (logs, errors): never the key material. */
export function endpointName(e: EngineEndpoint | undefined): string {
  if (e === undefined) return process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  return 'socketPath' in e ? e.socketPath : `tcp://${e.host}:${e.port} (TLS)`;
}

/**
 * Parses an engine address. `undefined` or '' gives undefined (dockerode's default: DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, else /var/run/docker.sock). `tlsDir` defaults to DOCKER_CERT_PATH. Throws a RangeError naming
 * the address (never key material) when the address is malformed, plain TCP, or its certificates cannot be read.
 */
export function parseEngineAddress(addr: string | undefined, tlsDir?: string): EngineEndpoint | undefined {
  if (addr === undefined || addr === '') return undefined;
  if (addr.startsWith('unix://')) return { socketPath: addr.slice('unix://'.length) };
  if (addr.startsWith('/')) return { socketPath: addr };
  const m = /^(tcp|https):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(addr);
  if (!m) throw new RangeError(`engine address ${addr}: expected unix:///path, /path, or tcp://host:port (with TLS)`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new RangeError(`engine address ${addr}: port ${port} is out of range`);
  const dir = tlsDir || process.env.DOCKER_CERT_PATH;
  if (!dir) {
    throw new RangeError(
      `engine address ${addr}: an engine over TCP needs TLS: set runtime.tls_dir (or DOCKER_CERT_PATH) ` +
        'to a directory with ca.pem, cert.pem and key.pem; plain TCP is refused',
    );
  }
  const read = (f: string): Buffer => {
    try {
      return readFileSync(join(dir, f));
    } catch (e) {
      throw new RangeError(`engine address ${addr}: cannot read ${join(dir, f)}: ${(e as Error).message}`);
    }
  };
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}
