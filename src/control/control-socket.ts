/**
 * The running server's control socket: `<data dir>/control.sock`, a Unix socket
 * only its owner can use (mode 0600 in a 0700 data directory), so admin commands
 * that must act on live sessions (`islet broadcast`) reach the process that holds
 * them. The CLI is another process: without a server there is no socket and the
 * command fails with CONTROL_UNAVAILABLE (control-client.ts) instead of pretending.
 *
 * Protocol: one JSON request line per connection, one JSON answer line, then the
 * server closes. Requests are at most MAX_REQUEST bytes. Operations: `broadcast`
 * ({ message, account?, environment? } -> { ok, shells, menus }). Errors answer
 * { ok: false, code, message } with a stable code.
 *
 * Several front doors sharing one store (issue 14) each have their own socket;
 * docs/console.md says how a broadcast then reaches all of them.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { IsletError } from '../core/islet-error.ts';
import type { Logger } from '../logger.ts';

export const CONTROL_SOCKET = 'control.sock';
const MAX_REQUEST = 16 * 1024;

export interface ControlRequest {
  readonly op: string;
  readonly [k: string]: unknown;
}

/** Answers one request (throw an IsletError to refuse it with its code). */
export type ControlHandler = (req: ControlRequest) => Promise<Record<string, unknown>>;

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, CONTROL_SOCKET);
}

/** Is a server answering on this socket path? */
function answering(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function listenControl(dataDir: string, handler: ControlHandler, log: Logger): Promise<{ close(): Promise<void> }> {
  const path = controlSocketPath(dataDir);
  if (await answering(path)) {
    log.warn({ event: 'control_socket_busy', path }, 'another ISLET answers on this data directory’s control socket; not taking it');
    return { close: async () => undefined };
  }
  try {
    unlinkSync(path); // a stale socket of a server that died
  } catch {
    /* none */
  }
  const server: Server = createServer((s) => serve(s, handler, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  log.info({ event: 'control_listening', path }, 'control socket ready');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          unlinkSync(path);
        } catch {
          /* gone */
        }
      }),
  };
}

function serve(s: Socket, handler: ControlHandler, log: Logger): void {
  let buf = '';
  let done = false;
  const answer = (o: Record<string, unknown>) => {
    if (done) return;
    done = true;
    s.end(`${JSON.stringify(o)}\n`);
  };
  s.setEncoding('utf8');
  s.on('error', () => undefined);
  s.setTimeout(10_000, () => s.destroy());
  s.on('data', (chunk: string) => {
    if (done) return;
    buf += chunk;
    if (buf.length > MAX_REQUEST) return answer({ ok: false, code: 'ADMIN_INVALID', message: 'request too long' });
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    let req: ControlRequest;
    try {
      req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
      if (typeof req !== 'object' || req === null || typeof req.op !== 'string') throw new Error('no op');
    } catch {
      return answer({ ok: false, code: 'ADMIN_INVALID', message: 'not a control request' });
    }
    handler(req).then(
      (r) => answer({ ok: true, ...r }),
      (err: unknown) => {
        if (err instanceof IsletError) return answer({ ok: false, code: err.code, message: err.userMessage });
        log.error({ event: 'control_failed', op: req.op, err }, 'control request failed');
        answer({ ok: false, code: 'ADMIN_INVALID', message: 'the server could not do that; see its log' });
      },
    );
  });
}
