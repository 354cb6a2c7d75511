/**
 * Every metric ISLET exports, declared in one place (Prometheus text format, prom-client).
 * They are fed from outside the doors: decorators around the engine driver, the session
 * handler and the connection guard (metered-*.ts), log events (log-metrics.ts), and
 * gauges read from the store and the attach registry at scrape time (`sources`).
 *
 * Contract: labels carry no usernames, addresses or passwords — only small fixed sets
 * (door, state, result, reason, path, operation, error code).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What gauges read when scraped; set once by the composition root (src/main.ts). */
export interface MetricSources {
  /** Live sessions per door and state ("menu", "shell", "command"). */
  sessions?(): readonly { door: string; state: string; count: number }[];
  /** Containers by recorded state ("running", "stopped", …). */
  containers?(): Promise<Readonly<Record<string, number>>>;
  /** Accounts whose password logins are paused right now. */
  throttledAccounts?(): Promise<number>;
}

export class IsletMetrics {
  readonly registry = new Registry();
  sources: MetricSources = {};

  readonly sessions = new Gauge({
    name: 'islet_sessions',
    help: 'Interactive sessions and commands open now, by door and state (menu, shell, command)',
    labelNames: ['door', 'state'] as const,
    registers: [this.registry],
    collect: () => {
      this.sessions.reset();
      for (const s of this.sources.sessions?.() ?? []) this.sessions.set({ door: s.door, state: s.state }, s.count);
    },
  });

  readonly logins = new Counter({
    name: 'islet_logins_total',
    help: 'Login attempts by door, kind (gate, account, menu), result (ok, failed) and reason',
    labelNames: ['door', 'kind', 'result', 'reason'] as const,
    registers: [this.registry],
  });

  readonly timeToShell = new Histogram({
    name: 'islet_time_to_shell_seconds',
    help: 'From choosing an environment to an attached shell, by path (new, warm, restart, reattach)',
    labelNames: ['path'] as const,
    buckets: [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly containerStarts = new Counter({
    name: 'islet_container_starts_total',
    help: 'Container starts asked of the engine, by result (ok, error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly containerStartSeconds = new Histogram({
    name: 'islet_container_start_duration_seconds',
    help: 'Duration of the engine call that starts a container',
    buckets: [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly containers = new Gauge({
    name: 'islet_containers',
    help: 'Containers recorded in the store, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      const counts = (await this.sources.containers?.()) ?? {};
      this.containers.reset();
      for (const [state, n] of Object.entries(counts)) this.containers.set({ state }, n);
    },
  });

  readonly engineCalls = new Counter({
    name: 'islet_engine_calls_total',
    help: 'Calls to the container engine driver, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly engineErrors = new Counter({
    name: 'islet_engine_errors_total',
    help: 'Failed engine driver calls, by operation and error code',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly connections = new Gauge({
    name: 'islet_connections',
    help: 'Open client connections admitted by the address guard, by door (ssh: TCP connections; web: WebSockets)',
    labelNames: ['door'] as const,
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'islet_connections_refused_total',
    help: 'Connections refused by the address guard, by door and reason',
    labelNames: ['door', 'reason'] as const,
    registers: [this.registry],
  });

  readonly throttles = new Counter({
    name: 'islet_account_throttles_total',
    help: "Times an account's password logins were paused after too many wrong passwords",
    registers: [this.registry],
  });

  readonly traineeCpuStarved = new Counter({
    name: 'islet_trainee_cpu_starved_total',
    help: "Times the trainee containers' idle CPU group was starved by other processes on the host and run at normal priority for a while",
    registers: [this.registry],
  });

  readonly throttled = new Gauge({
    name: 'islet_accounts_throttled',
    help: 'Accounts whose password logins are paused now',
    registers: [this.registry],
    collect: async () => {
      this.throttled.set((await this.sources.throttledAccounts?.()) ?? 0);
    },
  });

  constructor() {
    // Zero series exist from the start, so rates and absence alerts work before the first event.
    for (const path of ['new', 'warm', 'restart', 'reattach']) this.timeToShell.zero({ path });
    for (const result of ['ok', 'error']) this.containerStarts.inc({ result }, 0);
    for (const door of ['ssh', 'web']) this.connections.set({ door }, 0);
  }

  /** The Prometheus exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}
