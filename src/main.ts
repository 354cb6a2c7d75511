/**
 * `islet serve`: the object graph of src/compose.ts (the same one every admin command opens: store,
 * driver, instance, labels, admission, warm pool, runner, lifecycle, access, accounts, authenticator),
 * plus what only the server has: ownership claimed at start (lifecycle/ownership.ts), the front doors
 * (SSH, web) with their connection guard, metrics, and the long-running services started and stopped
 * together (core/service.ts). It refuses to start on a broken global config or on another store's containers.
 */
import { mkdirSync, chmodSync } from 'node:fs';
import { applyPriority } from './server-priority.ts';
import { ConfigSource } from './config/config-source.ts';
import { formatIssue } from './config/config-issue.ts';
import type { Environment } from './config/schema.ts';
import { IsletError } from './core/islet-error.ts';
import { Services, periodic } from './core/service.ts';
import { composeGraph, dockerOptions, engineDriver, instanceName, openStore, recordingsDir, testRunLabels } from './compose.ts';
import { createLogger, type Logger } from './logger.ts';
import type { RuntimeDriver } from './runtime/runtime-driver.ts';
import { DockerDriver } from './runtime/docker/index.ts';
import { traineeGroupGuardService } from './runtime/docker/trainee-group-guard.ts';
import { LABEL_INSTANCE } from './runtime/names.ts';
import { claimEngineAtStart } from './lifecycle/ownership.ts';
import { MenuSessionHandler } from './sessions/session-handler.ts';
import { effectiveMaxContainers } from './sessions/capacity.ts';
import { loadHostKeys } from './sshd/host-keys.ts';
import { SshServer } from './sshd/ssh-server.ts';
import { sshHints } from './sshd/ssh-hints.ts';
import { webHints } from './web/web-hints.ts';
import { logCryptoBinding } from './sshd/crypto-binding.ts';
import { ConnectionGuard } from './sshd/connection-guard.ts';
import { startWebDoor } from './web/start-web-door.ts';
import { Observability } from './metrics/observability.ts';
import { ensureLab } from './catalogue/lab-network.ts';
import { recorderFromConfig } from './recordings/recorder-from-config.ts';
import { listenControl } from './control/control-socket.ts';
import { controlOps } from './control/control-ops.ts';
import { consoleRoutes } from './console/console-routes.ts';

export interface IsletOptions {
  readonly configDir: string;
  readonly dataDir: string;
  /** --store / ISLET_STORE: empty for SQLite in dataDir, or a postgres:// URL (src/compose.ts openStore). */
  readonly store?: string;
  readonly host: string;
  readonly port: number;
  /** Container name prefix / islet.instance label; default: the `instance` setting or ISLET_INSTANCE (src/compose.ts). */
  readonly instance?: string;
  /** Put on everything ISLET creates; default: islet.test=<run> under ISLET_TEST_RUN (src/compose.ts). */
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

  const config = new ConfigSource(
    o.configDir,
    (cfg) => {
      log.info({ event: 'config_loaded', environments: cfg.environments.map((e) => e.name), plugins: cfg.plugins.map((p) => p.name) }, 'configuration loaded');
      for (const i of cfg.issues)
        log[i.severity === 'critical' ? 'error' : 'warn'](
          { event: 'config_issue', code: i.code, file: i.file, line: i.line, option: i.option },
          formatIssue(i),
        );
    },
    { watch: true },
  );
  const first = config.current();
  // A broken global file would silently fall back to defaults (gate demo/demo): refuse to start instead.
  const broken = first.issues.filter((i) => i.severity === 'critical' && /(^|\/)(islet\.yaml|islet\.conf|docker\.conf)$/.test(i.file));
  if (broken.length) throw new IsletError('CONFIG_INVALID', 'configuration invalid', broken.map(formatIssue).join('\n'));

  await applyPriority(config.current().global.server_priority, log);
  const store = await openStore(o.dataDir, { url: o.store, log });
  // Metrics (src/metrics/): decorators around the driver, the handler and the guard; the doors never call them.
  const obs = new Observability();
  const engine = o.driver ?? engineDriver(dockerOptions(o.dataDir, first.global.runtime, log), first.global.runtime);
  const driver = obs.driver(engine);
  const instance = o.instance ?? instanceName(config);
  const extraLabels = o.extraLabels ?? testRunLabels();
  // Ownership is proved, not assumed: refuse to run beside another data directory's containers (src/lifecycle/ownership.ts).
  try {
    await claimEngineAtStart({ store, driver, instance, dataDir: o.dataDir, log, takeOver: o.takeOver ?? false, now });
  } catch (err) {
    await store.close();
    throw err;
  }
  // Relay sockets of containers removed while no server ran (src/runtime/docker/pty-relays.ts).
  if (engine instanceof DockerDriver) {
    // Where trainee containers will sit for the CPU (runtime.trainee_cpu), said once at start.
    engine
      .traineeCpuGroup()
      ?.then((g) =>
        'parent' in g
          ? log.info({ event: 'trainee_cpu_group', parent: g.parent }, 'trainee containers go under an idle CPU group')
          : log.warn({ event: 'trainee_cpu_group_unavailable', reason: g.reason }, "trainee containers go under the engine's own CPU group"),
      );
    engine.sweepRelays().catch((err: unknown) => log.warn({ event: 'relay_sweep_failed', err: String(err) }, 'could not sweep pty relay sockets'));
  }
  // Lab networks (src/catalogue/lab-network.ts): their subnets are refused at the front door like the bridge's.
  let bridgeSubnets: string[] = [];
  const labSubnets = new Set<string>();
  const labNetwork = async (env: Environment): Promise<string> => {
    const lab = await ensureLab({ instance, env, labels: extraLabels, log: (m) => log.info({ event: 'lab_network', environment: env.name }, m) });
    for (const sn of lab.subnets) labSubnets.add(sn);
    guard.denySubnets([...bridgeSubnets, ...labSubnets]);
    return lab.network;
  };
  // The object graph every admin command also uses (src/compose.ts).
  const graph = composeGraph({ config, store, driver, instance, dataDir: o.dataDir, log, now, extraLabels, labNetwork });
  const { bridgeNetwork, runner, accounts, auth, tools, access } = graph;
  const guard = new ConnectionGuard(
    () => {
      const g = config.current().global;
      return { maxConnections: g.ssh_max_connections, maxPerIp: g.ssh_max_connections_per_ip, newPerIpPerMinute: g.ssh_new_connections_per_ip };
    },
    Date.now,
    (ip) => access.addresses.lockedOut(ip),
  );
  const handler = new MenuSessionHandler({
    config,
    accounts,
    auth,
    runner,
    store,
    driver,
    tools,
    log: log.child({ module: 'session' }),
    now,
    creation: access.creation,
    roster: graph.roster,
  });
  // Recordings (src/recordings/, docs/recordings.md): one more decorator around the handler, outside the metrics one.
  const recorder = recorderFromConfig({
    dir: recordingsDir(o.dataDir),
    config,
    attached: runner.attached,
    log: log.child({ module: 'recordings' }),
    now,
  });
  // Each door gets the handler and the guard wrapped for it, so metrics know the door without the door knowing.
  const doorParts = (door: string) => ({ handler: recorder.wrap(obs.handler(handler, door), door), guard: obs.guard(guard, door) });
  const ssh = new SshServer({ hostKeys: loadHostKeys(o.dataDir), config, ...doorParts('ssh'), auth, log: log.child({ module: 'sshd' }) });
  obs.wire({ store, driver, config, dataDir: o.dataDir, attached: () => runner.attached.all(), now });
  // Trainees on ISLET's bridge network must not reach ISLET's own port: refuse that subnet at the front door.
  // If the engine is not there yet, keep trying until it is.
  // A driver without networks (Swarm: every trainee container has loopback only) has no subnet to refuse.
  let netReady = driver.unsupported?.has('ensureNetwork') ?? false;
  const prepareNetwork = () =>
    driver
      .ensureNetwork(bridgeNetwork, { ...extraLabels, [LABEL_INSTANCE]: instance })
      .then((n) => {
        bridgeSubnets = n.subnets;
        guard.denySubnets([...n.subnets, ...labSubnets]);
        netReady = true;
        log.info({ event: 'trainee_network', network: bridgeNetwork, subnets: n.subnets }, 'trainee network ready');
      })
      .catch((err: unknown) => log.warn({ event: 'trainee_network_failed', err }, 'could not prepare the trainee network; retrying'));
  if (!netReady) await prepareNetwork();
  // The long-running parts (src/core/service.ts), stopped in reverse order at close.
  const services = new Services().add(
    graph.services.hasher,
    periodic('trainee-network', 15_000, () => (netReady ? undefined : prepareNetwork()), { atStart: false }),
  );
  if (o.lifecycle !== false) services.add(graph.services.lifecycle);
  services.add(graph.services.pool);
  if (graph.services.drains) services.add(graph.services.drains);
  if (graph.services.cpuWeights) services.add(graph.services.cpuWeights);
  // A host job that keeps every CPU busy must not starve the idle trainee group (src/runtime/docker/trainee-group-guard.ts).
  if (engine instanceof DockerDriver) services.add(traineeGroupGuardService(() => engine.traineeCpuGroup(), log.child({ module: 'trainee-cpu' })));
  logCryptoBinding(log.child({ module: 'sshd' }));
  const addr = await ssh.listen(o.host, o.port);
  // The instructor console (src/console/) is served by the web door.
  const console_ = o.http
    ? consoleRoutes({ config, log, store, driver, graph, instance, dataDir: o.dataDir, now, metrics: obs.metrics, doorOf: (t) => obs.doorOf(t) })
    : undefined;
  // The web door (src/web/): the same handler, authenticator, limits and attach registry as SSH.
  const web = o.http
    ? await startWebDoor(
        {
          config,
          ...doorParts('web'),
          operator: obs.doorRoutes(),
          auth,
          shellsOf: (a, e) => runner.shellsOf(a, e),
          hints: (host) => webHints(sshHints(config, host ? `${host}:${addr.port}` : undefined)),
          log: log.child({ module: 'web' }),
          ...(console_ ? { routes: console_.routes } : {}),
        },
        o.http.host,
        o.http.port,
      ).catch(async (err: unknown) => {
        await ssh.close();
        throw err;
      })
    : undefined;
  // Admin commands that act on live sessions (islet broadcast) reach this process here (src/control/).
  const control = await listenControl(o.dataDir, controlOps(graph.broadcaster), log.child({ module: 'control' }));
  services.start();
  log.info(
    {
      event: 'capacity',
      max_containers: effectiveMaxContainers(config.current().global, config.current().environments),
      derived: config.current().global.max_containers === 0,
      max_containers_per_account: config.current().global.max_containers_per_account,
    },
    'container capacity',
  );
  log.info({ event: 'listening', host: addr.address, port: addr.port }, `ISLET listening on ${addr.address}:${addr.port}`);
  const metricsServer = o.metrics
    ? await obs.listen(o.metrics.host, o.metrics.port).catch(async (err: unknown) => {
        await web?.door.close();
        await ssh.close();
        throw err;
      })
    : undefined;
  const metricsAt = metricsServer ? { host: metricsServer.addr.address, port: metricsServer.addr.port } : undefined;
  if (metricsAt) {
    const token = config.current().global.metrics_token !== '';
    log.info({ event: 'metrics_listening', ...metricsAt, token }, `metrics and health on ${metricsAt.host}:${metricsAt.port}`);
  }
  return {
    host: addr.address,
    port: addr.port,
    log,
    ...(metricsAt ? { metrics: metricsAt } : {}),
    ...(web ? { web: { host: web.addr.address, port: web.addr.port, tls: web.door.tls } } : {}),
    async close() {
      await metricsServer?.close();
      obs.close();
      console_?.close();
      await web?.door.close();
      await control.close();
      await ssh.close();
      await recorder.close();
      await services.stop();
      engine.close?.();
      await store.close();
      config.close();
      log.info({ event: 'stopped' }, 'ISLET stopped');
      log.flush();
    },
  };
}
