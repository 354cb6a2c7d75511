/**
 * The composition root of `islet serve`: picks the concrete implementations
 * (SQLite store, Docker driver unless a test passes one, ssh2 front door) and
 * wires them: config → store (ownership claimed at start, lifecycle/ownership.ts)
 * → admission, warm pool, environment runner, lifecycle service → access
 * (throttling) and connection guard → accounts, authenticator → session
 * handler → SSH server. It refuses to start on a broken global config or on
 * another store's containers. The one-shot CLI commands make the same choices
 * in src/cli/admin-context.ts (admin) and src/cli/commands/check.ts.
 */
import { mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { AccountService } from './accounts/account-service.ts';
import { BackgroundHasher } from './accounts/background-hasher.ts';
import { applyPriority } from './server-priority.ts';
import { ConfigSource } from './config/config-source.ts';
import { formatIssue } from './config/config-issue.ts';
import { IsletError } from './core/islet-error.ts';
import { createLogger, type Logger } from './logger.ts';
import { type RuntimeDriver } from './runtime/runtime-driver.ts';
import { LABEL_INSTANCE, bridgeNetworkName } from './runtime/names.ts';
import { claimEngineAtStart } from './lifecycle/ownership.ts';
import { DockerDriver } from './runtime/docker/index.ts';
import { EnvironmentRunner } from './sessions/environment-runner.ts';
import { Admission } from './sessions/admission.ts';
import { LifecycleService } from './lifecycle/lifecycle-service.ts';
import { MenuSessionHandler } from './sessions/session-handler.ts';
import { Authenticator } from './sessions/authenticator.ts';
import { ContainerTools } from './runtime/container-tools.ts';
import { WarmPool } from './sessions/warm-pool.ts';
import { loadHostKeys } from './sshd/host-keys.ts';
import { SshServer } from './sshd/ssh-server.ts';
import { sshPublicKeys } from './sshd/public-keys.ts';
import { logCryptoBinding } from './sshd/crypto-binding.ts';
import { ConnectionGuard } from './sshd/connection-guard.ts';
import { accessFromConfig } from './access/access-from-config.ts';
import { effectiveMaxContainers } from './sessions/capacity.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { startWebDoor } from './web/start-web-door.ts';
import { Observability } from './metrics/observability.ts';

export interface IsletOptions {
  readonly configDir: string;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Container name prefix / islet.instance label; default "islet". */
  readonly instance?: string;
  readonly extraLabels?: Readonly<Record<string, string>>;
  readonly log?: Logger;
  readonly driver?: RuntimeDriver;
  readonly now?: () => Date;
  /** Run the reconciler and the runtime/idle checks (default true). */
  readonly lifecycle?: boolean;
  /** Take over containers of other stores found under this instance name instead of refusing to start (--take-over). */
  readonly takeOver?: boolean;
  /** The web door's address (islet serve --http); no web door when absent. */
  readonly http?: { readonly host: string; readonly port: number };
  /** The operator listener for /metrics and /healthz (islet serve --metrics); none when absent. */
  readonly metrics?: { readonly host: string; readonly port: number };
}

export interface RunningIslet {
  readonly host: string;
  readonly port: number;
  /** Where the web door listens, when started. */
  readonly web?: { readonly host: string; readonly port: number; readonly tls: boolean };
  /** Where /metrics and /healthz listen, when started. */
  readonly metrics?: { readonly host: string; readonly port: number };
  readonly log: Logger;
  close(): Promise<void>;
}

export async function startIslet(o: IsletOptions): Promise<RunningIslet> {
  const log = o.log ?? createLogger();
  const now = o.now ?? (() => new Date());
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(o.dataDir, 0o700);

  const config = new ConfigSource(o.configDir, (cfg) => {
    log.info({ event: 'config_loaded', environments: cfg.environments.map((e) => e.name), plugins: cfg.plugins.map((p) => p.name) }, 'configuration loaded');
    for (const i of cfg.issues) log[i.severity === 'critical' ? 'error' : 'warn']({ event: 'config_issue', code: i.code, file: i.file, line: i.line, option: i.option }, formatIssue(i));
  });
  const first = config.current();
  // A broken global file would silently fall back to defaults (gate demo/demo): refuse to start instead.
  const broken = first.issues.filter((i) => i.severity === 'critical' && /(^|\/)(islet\.yaml|islet\.conf|docker\.conf)$/.test(i.file));
  if (broken.length) throw new IsletError('CONFIG_INVALID', 'configuration invalid', broken.map(formatIssue).join('\n'));

  await applyPriority(config.current().global.server_priority, log);
  const store = new SqliteStore(join(o.dataDir, 'islet.db'));
  // Metrics (src/metrics/): decorators around the driver, the handler and the guard; the doors never call them.
  const obs = new Observability();
  const driver = obs.driver(o.driver ?? new DockerDriver());
  const instance = o.instance ?? 'islet';
  // Ownership is proved, not assumed: refuse to run beside another data directory's containers (src/lifecycle/ownership.ts).
  try { await claimEngineAtStart({ store, driver, instance, dataDir: o.dataDir, log, takeOver: o.takeOver ?? false, now }); } catch (err) { store.close(); throw err; }
  const admission = new Admission(store, () => {
    const c = config.current();
    const g = c.global;
    return { maxContainers: effectiveMaxContainers(g, c.environments), maxPerAccount: g.max_containers_per_account, waitSeconds: g.admission_wait };
  });
  const bridgeNetwork = bridgeNetworkName(instance);
  const pool = new WarmPool({ driver, store, config, log: log.child({ module: 'pool' }), instance, labels: o.extraLabels ?? {}, bridgeNetwork });
  const runner = new EnvironmentRunner({ driver, store, log: log.child({ module: 'runner' }), instance, admission, bridgeNetwork, pool, screenRestore: () => config.current().global.screen_restore, ...(o.extraLabels ? { extraLabels: o.extraLabels } : {}), now });
  const lifecycle = new LifecycleService({ store, driver, config, log: log.child({ module: 'lifecycle' }), instance, attached: runner.attached, admission, now, exportDir: join(o.dataDir, 'exports') });
  const access = accessFromConfig(config, store, log.child({ module: 'access' }));
  const guard = new ConnectionGuard(() => {
    const g = config.current().global;
    return { maxConnections: g.ssh_max_connections, maxPerIp: g.ssh_max_connections_per_ip, newPerIpPerMinute: g.ssh_new_connections_per_ip };
  }, Date.now, (ip) => access.addresses.lockedOut(ip));
  const hasher = new BackgroundHasher((msg, err) => log.warn({ event: 'hasher_warning', err }, msg));
  const accounts = new AccountService(store, now, (account, err) => log.error({ event: 'account_seal_failed', account, err }, 'a new account\'s password could not be stored; it cannot be logged in to'), (pw) => hasher.hash(pw));
  const auth = new Authenticator(config, accounts, store, access.throttle, sshPublicKeys);
  const tools = new ContainerTools(driver);
  const handler = new MenuSessionHandler({ config, accounts, auth, runner, store, driver, tools, log: log.child({ module: 'session' }), now, creation: access.creation });
  // Each door gets the handler and the guard wrapped for it, so metrics know the door without the door knowing.
  const doorParts = (door: string) => ({ handler: obs.handler(handler, door), guard: obs.guard(guard, door) });
  const ssh = new SshServer({ hostKeys: loadHostKeys(o.dataDir), config, ...doorParts('ssh'), auth, log: log.child({ module: 'sshd' }) });
  obs.wire({ store, driver, config, dataDir: o.dataDir, attached: () => runner.attached.all(), now });
  // Trainees on ISLET's bridge network must not reach ISLET's own port: refuse that subnet at the front door.
  // If the engine is not there yet, keep trying until it is.
  let netReady = false;
  const prepareNetwork = () => driver.ensureNetwork(bridgeNetwork, { ...o.extraLabels, [LABEL_INSTANCE]: instance })
    .then((n) => { guard.denySubnets(n.subnets); netReady = true; log.info({ event: 'trainee_network', network: bridgeNetwork, subnets: n.subnets }, 'trainee network ready'); })
    .catch((err: unknown) => log.warn({ event: 'trainee_network_failed', err }, 'could not prepare the trainee network; retrying'));
  await prepareNetwork();
  const netTimer = setInterval(() => { if (!netReady) void prepareNetwork(); }, 15_000);
  netTimer.unref();
  logCryptoBinding(log.child({ module: 'sshd' }));
  const addr = await ssh.listen(o.host, o.port);
  // The web door (src/web/): the same handler, authenticator, limits and attach registry as SSH.
  const web = o.http ? await startWebDoor({ config, ...doorParts('web'), operator: obs.doorRoutes(), auth, store, attached: runner.attached, log: log.child({ module: 'web' }) }, o.http.host, o.http.port)
    .catch(async (err: unknown) => { await ssh.close(); throw err; }) : undefined;
  if (o.lifecycle !== false) lifecycle.start();
  // Pools fill in the background at start and after every claim; an edit of warm_pool applies at the next claim or check.
  void pool.fill();
  const poolTimer = setInterval(() => { void pool.fill(); }, 30_000);
  poolTimer.unref();
  log.info({ event: 'capacity', max_containers: effectiveMaxContainers(config.current().global, config.current().environments), derived: config.current().global.max_containers === 0, max_containers_per_account: config.current().global.max_containers_per_account }, 'container capacity');
  log.info({ event: 'listening', host: addr.address, port: addr.port }, `ISLET listening on ${addr.address}:${addr.port}`);
  const metricsServer = o.metrics
    ? await obs.listen(o.metrics.host, o.metrics.port).catch(async (err: unknown) => { await web?.door.close(); await ssh.close(); throw err; })
    : undefined;
  const metricsAt = metricsServer ? { host: metricsServer.addr.address, port: metricsServer.addr.port } : undefined;
  if (metricsAt) {
    const token = config.current().global.metrics_token !== '';
    log.info({ event: 'metrics_listening', ...metricsAt, token }, `metrics and health on ${metricsAt.host}:${metricsAt.port}`);
  }
  return {
    host: addr.address, port: addr.port, log, ...(metricsAt ? { metrics: metricsAt } : {}),
    ...(web ? { web: { host: web.addr.address, port: web.addr.port, tls: web.door.tls } } : {}),
    async close() { await metricsServer?.close(); obs.close(); clearInterval(poolTimer); pool.close(); clearInterval(netTimer); lifecycle.stop(); await web?.door.close(); await ssh.close(); await accounts.stop(); await hasher.close(); store.close(); log.info({ event: 'stopped' }, 'ISLET stopped'); log.flush(); },
  };
}
