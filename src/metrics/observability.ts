/**
 * Metrics and health as the composition root sees them: decorators for the engine
 * driver, the session handler and the address guard (one per door), gauges read from
 * the store and the attach registry at scrape time, log events, and the dedicated
 * listener. The doors receive decorated objects and never branch on metrics.
 */
import { join } from 'node:path';
import type { ConfigSource } from '../config/config-source.ts';
import type { Terminal } from '../core/terminal.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { SessionHandler } from '../sessions/index.ts';
import type { Store } from '../store/store.ts';
import { IsletMetrics } from './metrics.ts';
import { feedMetricsFromLog } from './log-metrics.ts';
import { meteredDriver } from './metered-driver.ts';
import { meteredGuard } from './metered-guard.ts';
import { SessionCounter } from './metered-handler.ts';
import { checkHealth } from './health.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { observe, type ObservabilityDeps, type Reply } from './observability-routes.ts';

export interface ObservedParts {
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly config: ConfigSource;
  readonly dataDir: string;
  /** The terminals in a shell now (EnvironmentRunner.attached.all). */
  readonly attached: () => readonly Terminal[];
  readonly now: () => Date;
}

export class Observability {
  readonly metrics = new IsletMetrics();
  readonly #sessions = new SessionCounter();
  readonly #stopLog = feedMetricsFromLog(this.metrics);
  #routes: ObservabilityDeps | undefined;

  driver(d: RuntimeDriver): RuntimeDriver {
    return meteredDriver(d, this.metrics);
  }
  handler(h: SessionHandler, door: string): SessionHandler {
    return this.#sessions.wrap(h, door);
  }

  /** The door an interactive terminal came through (the instructor console's roster). */
  doorOf(t: Terminal): string | undefined {
    return this.#sessions.doorOf(t);
  }
  guard<G extends { admit(ip: string): string | undefined; closed(ip: string): void }>(g: G, door: string): G {
    return meteredGuard(g, door, this.metrics);
  }

  /** Connects the scrape-time gauges and the health checks to the running parts. */
  wire(p: ObservedParts): ObservabilityDeps {
    this.metrics.sources = {
      sessions: () => this.#sessions.counts(p.attached()),
      containers: async () => {
        const n: Record<string, number> = { running: 0, stopped: 0 };
        for (const o of await p.store.listOwnership()) {
          const s = o.state ?? 'created';
          n[s] = (n[s] ?? 0) + 1;
        }
        return n;
      },
      throttledAccounts: async () => {
        const now = p.now().getTime();
        return (await p.store.listLoginThrottles()).filter((t) => (t.lockedUntil?.getTime() ?? 0) > now).length;
      },
    };
    this.#routes = {
      metrics: this.metrics,
      health: () => checkHealth({ driver: p.driver, config: p.config, writable: [p.dataDir, join(p.dataDir, 'islet.db')] }),
      token: () => p.config.current().global.metrics_token,
    };
    return this.#routes;
  }

  /** The operator endpoints for a door's HTTP server (the web door): /metrics there only with a token. */
  doorRoutes(): (path: string, authorization: string | undefined) => Promise<Reply | undefined> {
    return (path, authorization) => (this.#routes ? observe(this.#routes, path, authorization, false) : Promise.resolve(undefined));
  }

  /** Starts the dedicated listener (`--metrics HOST:PORT`); call wire() first. */
  listen(host: string, port: number): Promise<MetricsServer> {
    if (!this.#routes) throw new Error('Observability.listen before wire');
    return startMetricsServer(this.#routes, host, port);
  }

  close(): void {
    this.#stopLog();
  }
}
