/**
 * The roster's routes: GET /console/ws/roster (a WebSocket the hub pushes the
 * roster to: roster-hub.ts) and GET /console/api/roster (the same rows once,
 * as JSON, for scripts). Both need an instructor session; the WebSocket also
 * an exact Origin, and it is closed (4401) at the tick after its session ends.
 */
import type { FastifyRequest } from 'fastify';
import type { Terminal } from '../core/terminal.ts';
import { effectiveMaxContainers } from '../sessions/capacity.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleLogin } from './console-login.ts';
import type { ConsoleDeps } from './console-routes.ts';
import { RosterHub } from './roster-hub.ts';

export function rosterHub(deps: ConsoleDeps): RosterHub {
  const { graph, config } = deps;
  const runner = graph.runner;
  return new RosterHub({
    sources: {
      store: deps.store,
      attached: runner.attached,
      doorOf: deps.doorOf ?? ((_t: Terminal) => undefined),
      title: (id) => runner.screens.title(id),
      capacity: () => {
        const c = config.current();
        return { max: effectiveMaxContainers(c.global, c.environments), waiting: graph.admission.waiting };
      },
      menus: () => graph.roster.select(undefined, (t) => runner.attached.presence(t) !== undefined),
    },
    driver: deps.driver,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
}

export function rosterRoutes(login: ConsoleLogin, hub: RosterHub): WebRoutes {
  return (app) => {
    app.get('/console/ws/roster', { websocket: true, preValidation: login.authenticated }, (socket, req: FastifyRequest) => {
      const off = hub.subscribe({
        send: (text) => {
          if (socket.readyState === 1) socket.send(text);
        },
        buffered: () => socket.bufferedAmount,
        alive: () => login.alive(req),
        end: () => socket.close(4401, 'console session ended'),
      });
      socket.on('close', off);
      socket.on('error', () => undefined);
    });
    app.get('/console/api/roster', { preValidation: login.authenticated }, async (_req, reply) => {
      const s = await hub.snapshot();
      return reply.header('cache-control', 'no-store').send({ now: Date.now(), rows: s.rows, capacity: s.capacity });
    });
  };
}
