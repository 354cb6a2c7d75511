/**
 * The CLI's side of the control socket (control-socket.ts): sends one request to
 * the server running on a data directory and returns its answer. No server (no
 * socket, a stale one, or no permission) is CONTROL_UNAVAILABLE, never a hang.
 */
import { createConnection } from 'node:net';
import { IsletError } from '../core/islet-error.ts';
import { controlSocketPath, type ControlRequest } from './control-socket.ts';

const TIMEOUT_MS = 15_000;

export function controlRequest(dataDir: string, req: ControlRequest): Promise<Record<string, unknown>> {
  const path = controlSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.setEncoding('utf8');
    s.setTimeout(TIMEOUT_MS, () => {
      s.destroy();
      reject(new IsletError('CONTROL_UNAVAILABLE', `the ISLET server on ${dataDir} did not answer in time`));
    });
    s.once('connect', () => s.write(`${JSON.stringify(req)}\n`));
    s.on('data', (c: string) => {
      buf += c;
    });
    s.once('end', () => {
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch {
        reject(new IsletError('CONTROL_UNAVAILABLE', `the ISLET server on ${dataDir} gave no answer`));
      }
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EACCES' ? 'no permission to use its control socket (run as the user running islet serve)' : 'no server is running';
      reject(new IsletError('CONTROL_UNAVAILABLE', `${why}: ${path} (${err.code ?? err.message}); start islet serve, or pass its --data`));
    });
  });
}
