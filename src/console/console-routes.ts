/**
 * Every route of the instructor console, for the web door (WebDoorOptions.routes):
 * the login (console-login.ts, which is also the ConsoleGuard every feature
 * uses), the page, the roster, and one line per feature.
 *
 * A feature adds ONE line to the list below: `<feature>Routes(guard, deps)`
 * from its own src/console/<feature>-routes.ts, and one entry to
 * public/features.json for its page module. `deps` holds what ISLET is made
 * of; a feature needing more adds a field to ConsoleDeps (and main.ts fills it).
 */
import type { IsletGraph } from '../compose.ts';
import type { ConfigSource } from '../config/config-source.ts';
import type { Terminal } from '../core/terminal.ts';
import type { Logger } from '../logger.ts';
import type { IsletMetrics } from '../metrics/metrics.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { Store } from '../store/store.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard } from './console-guard.ts';
import { ConsoleLogin } from './console-login.ts';
import { consolePageRoutes } from './console-page.ts';
import { watchRoutes } from './watch-routes.ts';
import { broadcastRoutes } from './broadcast-routes.ts';
import { accountsRoutes } from './accounts-routes.ts';
import { adminService } from '../compose.ts';
import { recordingsRoutes } from './recordings-routes.ts';
import { rosterHub, rosterRoutes } from './roster-routes.ts';

export interface ConsoleDeps {
  readonly config: ConfigSource;
  readonly log: Logger;
  readonly store: Store;
  /** The engine (metered): containers' stats come from here. */
  readonly driver: RuntimeDriver;
  /** Runner (who is attached, shells), admission (capacity), lifecycle, accounts, access, auth. */
  readonly graph: IsletGraph;
  readonly instance: string;
  readonly dataDir: string;
  readonly now: () => Date;
  /** ISLET's metrics registry (charts); absent in unit tests. */
  readonly metrics?: IsletMetrics;
  /** The door (`ssh`, `web`) a trainee's terminal came through (Observability.doorOf); absent: unknown. */
  readonly doorOf?: (t: Terminal) => string | undefined;
}

export interface Console {
  readonly guard: ConsoleGuard;
  readonly routes: readonly WebRoutes[];
  /** Stops the console's timers (roster sampling); the door closes its sockets. */
  close(): void;
}

export function consoleRoutes(deps: ConsoleDeps): Console {
  const log = deps.log.child({ module: 'console' });
  const login = new ConsoleLogin({ config: deps.config, addresses: deps.graph.access.addresses, store: deps.store, log });
  const guard: ConsoleGuard = login;
  const d = { ...deps, log };
  const hub = rosterHub(d);
  const closers: Array<() => void> = [() => hub.close()];
  // Every console route, listed once registered (debug log `console_routes`): the security test probes each one.
  const listed: string[] = [];
  const routes: WebRoutes[] = [
    (app) => {
      app.addHook('onRoute', (r) => {
        const methods = Array.isArray(r.method) ? r.method : [r.method];
        const ws = (r as { websocket?: boolean }).websocket;
        for (const m of methods) if (m !== 'HEAD' && r.url.startsWith('/console')) listed.push(`${ws ? 'WS' : m} ${r.url}`);
      });
    },
    login.routes(),
    consolePageRoutes(),
    rosterRoutes(login, hub),
    // Features, one line each: <feature>Routes(guard, d),
    watchRoutes(guard, { taps: d.graph.runner.taps }),
    broadcastRoutes(guard, { broadcaster: d.graph.broadcaster, taps: d.graph.runner.taps, roster: d.graph.roster, config: d.config }),
    accountsRoutes(guard, { admin: adminService(d), store: d.store, config: d.config }),
    recordingsRoutes(guard, d),
  ];
  routes.push(() => log.debug({ event: 'console_routes', routes: listed }, 'console routes registered'));
  return {
    guard,
    routes,
    close: () => {
      for (const c of closers) c();
    },
  };
}
