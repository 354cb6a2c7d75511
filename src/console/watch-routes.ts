/**
 * Help one trainee (issue 13.3): the console's routes over the session engine's
 * ShellTaps (src/sessions/shell-taps.ts).
 *
 * - GET /console/api/shells: the live shells (account, environment, trainee
 *   terminals, who watches, who types, size).
 * - GET /console/ws/watch?account=A&environment=E (WebSocket, same Origin only,
 *   via the guard): the server sends {t:'size'}, then binary frames of terminal
 *   output (the current screen first, then live), {t:'typing', state} and
 *   {t:'end', why}; the page sends {t:'ask'} (ask the trainee to allow typing),
 *   {t:'stop-typing'}, and binary frames of keys, which reach the shell only
 *   while the trainee allows it. The page never sends a size: a watcher never
 *   resizes the trainee's terminal.
 *
 * Every step is an audit event with the instructor's name (watch_start,
 * watch_end, type_ask, type_granted, type_refused, type_expired, type_stopped,
 * watch_input with the byte count, gathered per INPUT_AUDIT_MS), so what an
 * instructor types is never recorded as the trainee's.
 *
 * A watcher too slow to take the output is dropped (WATCH_MAX_BUFFERED), never
 * the trainee slowed down.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ShellTaps, TypingState, Watch } from '../sessions/index.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard } from './console-guard.ts';

const WATCH_MAX_BUFFERED = 4 * 1024 * 1024;
const INPUT_AUDIT_MS = 2000;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export interface WatchDeps {
  readonly taps: ShellTaps;
}

export function watchRoutes(guard: ConsoleGuard, deps: WatchDeps): WebRoutes {
  return (app) => {
    app.get('/console/api/shells', { preHandler: guard.authenticated }, async () => ({
      shells: deps.taps.list().map(({ containerId: _id, ...s }) => s),
    }));
    app.get('/console/ws/watch', { websocket: true, preValidation: guard.authenticated }, (ws, req) => {
      void watchSocket(ws, req, guard, deps);
    });
  };
}

async function watchSocket(ws: WebSocket, req: FastifyRequest, guard: ConsoleGuard, deps: WatchDeps): Promise<void> {
  const instructor = guard.instructorOf(req);
  const q = req.query as Record<string, unknown>;
  const account = typeof q.account === 'string' && NAME.test(q.account) ? q.account : '';
  const environment = typeof q.environment === 'string' && NAME.test(q.environment) ? q.environment : '';
  const control = (m: Record<string, unknown>) => {
    if (ws.readyState === 1) ws.send(JSON.stringify(m));
  };
  const finish = (code: number, why: string) => {
    try {
      ws.close(code, why);
    } catch {
      /* gone */
    }
  };
  // Messages that arrive before the watch starts are dropped (the page waits for the first frame).
  let watch: Watch | undefined;
  let inputBytes = 0;
  let inputTimer: NodeJS.Timeout | undefined;
  const flushInput = () => {
    clearTimeout(inputTimer);
    inputTimer = undefined;
    if (inputBytes) guard.audit(instructor, 'watch_input', { account, environment, bytes: inputBytes });
    inputBytes = 0;
  };
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer, binary: boolean) => {
    const w = watch;
    if (!w) return;
    if (binary) {
      if (w.type(data)) {
        inputBytes += data.length;
        inputTimer ??= setTimeout(flushInput, INPUT_AUDIT_MS);
      }
      return;
    }
    let m: { t?: unknown };
    try {
      m = JSON.parse(data.toString()) as { t?: unknown };
    } catch {
      return finish(4400, 'protocol');
    }
    if (m.t === 'ask') {
      if (w.ask()) guard.audit(instructor, 'type_ask', { account, environment });
      else control({ t: 'typing', state: 'busy' });
    } else if (m.t === 'stop-typing') w.stopTyping();
    else finish(4400, 'protocol');
  });
  if (!account || !environment) {
    control({ t: 'error', code: 'ADMIN_INVALID', message: 'Name an account and an environment.' });
    return finish(4400, 'bad request');
  }
  let ended = false;
  watch = await deps.taps.watch(account, environment, instructor, {
    size: (s) => control({ t: 'size', cols: s.cols, rows: s.rows }),
    output: (b) => {
      if (ws.readyState !== 1) return;
      if (ws.bufferedAmount > WATCH_MAX_BUFFERED) {
        control({ t: 'end', why: 'slow' });
        watch?.close();
        return finish(4408, 'too slow');
      }
      ws.send(b, { binary: true });
    },
    typing: (state: TypingState) => {
      control({ t: 'typing', state });
      if (state !== 'asked') guard.audit(instructor, `type_${state}`, { account, environment });
    },
    end: (why) => {
      if (ended) return;
      ended = true;
      flushInput();
      guard.audit(instructor, 'watch_end', { account, environment, why });
      control({ t: 'end', why });
      finish(1000, why);
    },
  });
  if (!watch) {
    control({ t: 'error', code: 'ADMIN_NOT_FOUND', message: `${account} has no terminal attached to ${environment} right now.` });
    return finish(4404, 'not attached');
  }
  guard.audit(instructor, 'watch_start', { account, environment });
  control({ t: 'watching', account, environment });
  if (ws.readyState !== 1) watch.close();
  else ws.on('close', () => watch?.close());
}
