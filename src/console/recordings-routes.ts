/**
 * The console's recordings (issue 13.7): the list per account and a player page.
 *
 * - GET /console/api/recordings[?account=A] (authenticated): recordings with size, start, duration and
 *   state (complete, live, partial, truncated: src/recordings/recording-files.ts).
 * - GET /console/api/recordings/cast?id=<account/file.cast> (authenticated, audited): the recording's
 *   complete lines now (a live one plays up to now).
 * - GET /console/recordings/play?id=… : the player page (no data in it; it fetches the cast above), with
 *   asciinema-player served from node_modules under /console/static/player/.
 *
 * CSP: asciinema-player runs its terminal emulator as WebAssembly, which the door's policy forbids
 * (script-src 'self' has no 'wasm-unsafe-eval'). The smallest honest fix: the player page alone gets
 * `script-src 'self' 'wasm-unsafe-eval'` (compiling WebAssembly only; still no inline script or eval
 * of JavaScript, no inline style), so the console page and the trainees' page keep the strict policy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordingsDir } from '../compose.ts';
import { listRecordings, playableText, recordingPath } from '../recordings/recording-files.ts';
import { CONTENT_SECURITY_POLICY } from '../web/security-headers.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard } from './console-guard.ts';
import { CONSOLE_PUBLIC } from './console-page.ts';

export const PLAYER_CSP = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");

const playerDist = join(dirname(createRequire(import.meta.url).resolve('asciinema-player/dist/bundle/asciinema-player.min.js')));

const ACCOUNT = /^[A-Za-z0-9_]{1,40}$/;

export function recordingsRoutes(guard: ConsoleGuard, deps: { readonly dataDir: string }): WebRoutes {
  const dir = recordingsDir(deps.dataDir);
  const files: Array<[string, string, string]> = [
    ['/console/static/player/asciinema-player.min.js', join(playerDist, 'asciinema-player.min.js'), 'text/javascript; charset=utf-8'],
    ['/console/static/player/asciinema-player.css', join(playerDist, 'asciinema-player.css'), 'text/css; charset=utf-8'],
    ['/console/static/player/recordings-player.js', join(CONSOLE_PUBLIC, 'recordings-player.js'), 'text/javascript; charset=utf-8'],
    ['/console/static/player/recordings-player.css', join(CONSOLE_PUBLIC, 'recordings-player.css'), 'text/css; charset=utf-8'],
  ];
  const playerCsp = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('content-security-policy', PLAYER_CSP);
  };
  return (app) => {
    for (const [url, path, type] of files) {
      const body = readFileSync(path);
      app.get(url, async (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
    }
    app.get('/console/recordings/play', { onSend: playerCsp }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(readFileSync(join(CONSOLE_PUBLIC, 'recordings-player.html'))),
    );
    app.get('/console/api/recordings', { preHandler: guard.authenticated }, async (req, reply) => {
      const account = (req.query as { account?: string }).account;
      if (account !== undefined && !ACCOUNT.test(account)) return reply.code(400).send({ error: 'bad account' });
      const list = await listRecordings(dir, account ? { account } : {});
      return list.map(({ path: _path, start, ...r }) => ({ ...r, start: start.toISOString() }));
    });
    app.get('/console/api/recordings/cast', { preHandler: guard.authenticated }, async (req, reply) => {
      const id = String((req.query as { id?: string }).id ?? '');
      const path = recordingPath(dir, id);
      const text = path ? await playableText(path).catch(() => undefined) : undefined;
      if (text === undefined) return reply.code(404).type('text/plain').send('no such recording\n');
      guard.audit(guard.instructorOf(req), 'recording_played', { id });
      return reply.type('application/x-asciicast; charset=utf-8').header('cache-control', 'no-store').send(text);
    });
  };
}
