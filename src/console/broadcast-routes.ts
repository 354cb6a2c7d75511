/**
 * Speak to all, or some (issue 13.4): the console's routes over the session
 * engine's Broadcaster (src/sessions/broadcaster.ts), the same one `islet
 * broadcast` reaches through the control socket.
 *
 * - GET /console/api/broadcast/targets: the enabled environments and the accounts
 *   with a terminal open now (for the form's selection).
 * - POST /console/api/broadcast {message, account?, environment?} (CSRF): shows the
 *   message, prefixed with the instructor's name, on every selected terminal;
 *   answers how many shells and menu sessions it reached. Audited as `broadcast`.
 */
import { IsletError } from '../core/islet-error.ts';
import type { ConfigSource } from '../config/config-source.ts';
import type { Broadcaster, MenuRoster, ShellTaps } from '../sessions/index.ts';
import { MESSAGE_MAX } from '../sessions/index.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard } from './console-guard.ts';

export interface BroadcastDeps {
  readonly broadcaster: Broadcaster;
  readonly taps: ShellTaps;
  readonly roster: MenuRoster;
  readonly config: ConfigSource;
}

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

export function broadcastRoutes(guard: ConsoleGuard, deps: BroadcastDeps): WebRoutes {
  return (app) => {
    app.get('/console/api/broadcast/targets', { preHandler: guard.authenticated }, async () => {
      const accounts = new Set([...deps.taps.accounts(), ...deps.roster.select().flatMap((e) => e.account() ?? [])]);
      return {
        environments: deps.config
          .current()
          .environments.filter((e) => e.enabled)
          .map((e) => e.name),
        accounts: [...accounts].sort(),
        maxLength: MESSAGE_MAX,
      };
    });
    app.post('/console/api/broadcast', { preHandler: guard.change }, async (req, reply) => {
      const instructor = guard.instructorOf(req);
      const b = (req.body ?? {}) as Record<string, unknown>;
      const message = str(b.message, 4 * MESSAGE_MAX);
      const account = str(b.account, 64);
      const environment = str(b.environment, 64);
      try {
        if (!message) throw new IsletError('BROADCAST_INVALID', `Write a message (at most ${MESSAGE_MAX} characters).`);
        const r = await deps.broadcaster.send(message, { ...(account ? { account } : {}), ...(environment ? { environment } : {}) }, instructor);
        guard.audit(instructor, 'broadcast', { account, environment, chars: message.length, ...r });
        return r;
      } catch (err) {
        if (err instanceof IsletError) return reply.code(400).send({ code: err.code, message: err.userMessage });
        throw err;
      }
    });
  };
}
