/**
 * The one composition root: the concrete choices (SQLite store, Docker driver, the instance name) and the
 * object graph behind them — admission, warm pool, environment runner, lifecycle, access limits, accounts
 * with their background hasher, authenticator — built the one way for `islet serve` (src/main.ts, which
 * adds the front doors and starts the long-running services) and for every admin command
 * (src/cli/admin-context.ts). So an admin command sees the same labels, instance and services as the server.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { accessFromConfig, type Access } from './access/access-from-config.ts';
import { AccountService } from './accounts/account-service.ts';
import { BackgroundHasher } from './accounts/background-hasher.ts';
import { QuietGate } from './os/host-quiet.ts';
import type { ConfigSource, LoadedConfig } from './config/config-source.ts';
import type { Environment, GlobalConfig } from './config/schema.ts';
import { instancePattern } from './config/schema.ts';
import { IsletError } from './core/islet-error.ts';
import { periodic, type Service } from './core/service.ts';
import { LABEL_TEST } from './runtime/names.ts';
import { CpuWeightGovernor, GOVERNOR_TICK_MS, governedContainers } from './lifecycle/cpu-weight-governor.ts';
import { LeaderLease } from './lifecycle/leader-lease.ts';
import { LifecycleService } from './lifecycle/lifecycle-service.ts';
import type { Logger } from './logger.ts';
import { ContainerTools } from './runtime/container-tools.ts';
import { DockerDriver, type DockerDriverOptions } from './runtime/docker/index.ts';
import { PTY_RELAY_BINARY } from './runtime/docker/pty-relays.ts';
import { SwarmDriver } from './runtime/swarm/index.ts';
import { bridgeNetworkName } from './runtime/names.ts';

import type { RuntimeDriver } from './runtime/runtime-driver.ts';
import { Admission, type AdmissionLimits } from './sessions/admission.ts';
import { Authenticator } from './sessions/authenticator.ts';
import { effectiveMaxContainers } from './sessions/capacity.ts';
import { EnvironmentRunner } from './sessions/environment-runner.ts';
import { MenuRoster } from './sessions/menu-roster.ts';
import { Broadcaster } from './sessions/broadcaster.ts';
import { DRAIN_CHECK_MS, DrainNotices } from './sessions/drain-notices.ts';
import { WarmPool } from './sessions/warm-pool.ts';
import { sweepRecordings } from './recordings/retention.ts';
import { AdminService } from './admin/admin-service.ts';
import { sweepIdleLabs } from './catalogue/lab-sweep.ts';
import { sshPublicKeys } from './sshd/public-keys.ts';
import { PostgresStore, redactUrl } from './store/postgres-store.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import type { Store } from './store/store.ts';

/** This ISLET's name on the engine: `ISLET_INSTANCE` when set, else the `instance` setting. Read here only. */
export function instanceName(config: ConfigSource): string {
  const name = process.env.ISLET_INSTANCE || config.current().global.instance;
  if (!instancePattern.test(name)) {
    const why = `ISLET_INSTANCE ${JSON.stringify(name.slice(0, 80))} is not a valid instance name (${instancePattern})`;
    throw new IsletError('CONFIG_INVALID', 'configuration invalid', why);
  }
  return name;
}

/**
 * Labels put on everything this ISLET creates: `islet.test=<run>` under the test suite (ISLET_TEST_RUN), so
 * a test run sweeps only what it made. Read here only.
 */
export function testRunLabels(): Record<string, string> {
  const run = process.env.ISLET_TEST_RUN;
  return run ? { [LABEL_TEST]: run } : {};
}

/**
 * The container engine: Docker, or Swarm when `runtime.driver` says so (the one place a driver is built; a
 * test may pass its own to startIslet).
 */
export function engineDriver(opts: DockerDriverOptions = {}, runtime?: GlobalConfig['runtime']): RuntimeDriver {
  if (runtime?.driver === 'swarm') {
    return new SwarmDriver({
      ...(runtime.manager ? { manager: runtime.manager } : {}),
      nodes: runtime.nodes,
      constraints: runtime.constraints,
      drainGraceSeconds: runtime.drain_grace,
      ...(runtime.tls_dir ? { tlsDir: runtime.tls_dir } : {}),
      ...(opts.callTimeoutMs ? { callTimeoutMs: opts.callTimeoutMs } : {}),
    });
  }
  return new DockerDriver(opts);
}

/**
 * The Docker driver's options for a data directory and `runtime`: network-off containers' hosts files, the mutation cap, and the pty relay
 * (src/runtime/docker/pty-relays.ts) when `runtime.terminal` is `relay`, refused at start when its binary is
 * missing or the data directory's path is too long for its sockets. With `log`, a relay socket directory that cannot
 * be watched is logged once (`pty_relay_watch_unavailable`, a warning).
 */
export function dockerOptions(dataDir: string, runtime: GlobalConfig['runtime'], log?: Logger): DockerDriverOptions {
  const hostsDir = hostsFilesDir(dataDir);
  const traineeCpuGroup = runtime.trainee_cpu === 'idle';
  // 0: the driver's default, 8 (src/runtime/docker/engine-mutations.ts).
  const base = { hostsDir, traineeCpuGroup, ...(runtime.engine_mutations > 0 ? { maxConcurrentMutations: runtime.engine_mutations } : {}) };
  if (runtime.terminal !== 'relay' || runtime.driver !== 'docker') return base;
  if (!existsSync(PTY_RELAY_BINARY)) {
    throw new IsletError(
      'CONFIG_INVALID',
      'configuration invalid',
      `runtime.terminal is relay, but ${PTY_RELAY_BINARY} is missing: run scripts/build-pty-relay.sh`,
    );
  }
  const dir = join(resolve(dataDir), 'pty-relay');
  // Each socket is bound as <dir>/<24 hex>/sock.<pid in base 36, up to 5> (src/runtime/docker/pty-relays.ts), and a
  // unix socket's path has at most 107 bytes.
  if (Buffer.byteLength(dir) + 36 > 107) {
    throw new IsletError(
      'CONFIG_INVALID',
      'configuration invalid',
      `runtime.terminal is relay, but the data directory's path is too long for its sockets: ${dir}`,
    );
  }
  const onWatchUnavailable = log
    ? (detail: string) =>
        log.warn(
          { event: 'pty_relay_watch_unavailable', detail },
          "cannot watch a terminal's socket directory (inotify): another server taking a terminal over waits for the relay's own check, up to a minute",
        )
    : undefined;
  return {
    ...base,
    ptyRelay: { dir, binary: PTY_RELAY_BINARY, sliceUs: runtime.terminal_slice_us, ...(onWatchUnavailable ? { onWatchUnavailable } : {}) },
  };
}

/** Network-off containers' /etc/hosts files (src/runtime/docker/hosts-files.ts): kept, since stopped containers bind them. */
export function hostsFilesDir(dataDir: string): string {
  return join(dataDir, 'etc-hosts');
}

/** Where session recordings and their event files live (src/recordings/, docs/recordings.md). */
export function recordingsDir(dataDir: string): string {
  return join(dataDir, 'recordings');
}

/**
 * The store (docs/store.md): PostgreSQL when `url` (--store, ISLET_STORE) is a postgres:// URL, shared by
 * several front doors; otherwise SQLite in the data directory (islet.db), the default. The URL's password
 * is never logged: errors carry the redacted URL.
 */
export async function openStore(dataDir: string, o: { url?: string | undefined; log?: Logger } = {}): Promise<Store> {
  const url = o.url ?? process.env.ISLET_STORE ?? '';
  if (url === '' || url === 'sqlite') return new SqliteStore(join(dataDir, 'islet.db'));
  if (!/^postgres(ql)?:\/\//.test(url)) {
    const why = `--store / ISLET_STORE: expected a postgres://user:password@host:port/database URL, or nothing for SQLite; got ${redactUrl(url)}`;
    throw new IsletError('CONFIG_INVALID', 'configuration invalid', why);
  }
  const log = o.log;
  return PostgresStore.open(
    url,
    log ? { onError: (err) => log.warn({ event: 'store_connection_error', err: err.message }, 'a PostgreSQL connection failed') } : {},
  );
}

export interface GraphOptions {
  readonly config: ConfigSource;
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly instance: string;
  readonly dataDir: string;
  readonly log: Logger;
  readonly now: () => Date;
  /** Put on everything ISLET creates (tests: islet.test=<run>). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Prepares an environment's lab network (src/catalogue/lab-network.ts); the server's refuses its subnets at the doors. */
  readonly labNetwork?: (env: Environment) => Promise<string>;
}

export interface IsletGraph {
  readonly bridgeNetwork: string;
  readonly admission: Admission;
  readonly pool: WarmPool;
  readonly runner: EnvironmentRunner;
  readonly lifecycle: LifecycleService;
  readonly access: Access;
  readonly hasher: BackgroundHasher;
  readonly accounts: AccountService;
  readonly auth: Authenticator;
  readonly tools: ContainerTools;
  /** Sessions in the menu and the broadcaster that reaches them and every live shell (issue 13.4). */
  readonly roster: MenuRoster;
  readonly broadcaster: Broadcaster;
  /**
   * The long-running parts, for the server to start (src/core/service.ts): the background hasher (and the
   * accounts' sealing), the reconciler with its runtime checks, the warm-pool filler. Admin commands start none.
   */
  /**
   * `drains`: telling trainees of a machine being retired (drivers with RuntimeDriver.retiring only). `cpuWeights`:
   * busy containers at a lower CPU weight (src/lifecycle/cpu-weight-governor.ts; drivers that set weights on this
   * machine only).
   */
  readonly services: {
    readonly hasher: Service;
    readonly lifecycle: Service;
    readonly pool: Service;
    readonly drains?: Service;
    readonly cpuWeights?: Service;
  };
  /** Stops the accounts' sealing and the hasher (the caller closes the store and stops services it started). */
  close(): Promise<void>;
}

/** Every admin operation (src/admin/admin-service.ts) over a graph: the one construction for the CLI and the console. */
export function adminService(o: Pick<GraphOptions, 'config' | 'store' | 'driver' | 'instance' | 'dataDir' | 'log'> & { graph: IsletGraph }): AdminService {
  const { graph: g, store, driver, instance, config, log } = o;
  const deps = { store, driver, runner: g.runner, lifecycle: g.lifecycle, instance, config, auth: g.auth, accounts: g.accounts, log };
  // Lab networks exist on one engine only (Swarm refuses lab_network environments).
  const labs = config.current().global.runtime.driver === 'docker' ? (dryRun: boolean) => sweepIdleLabs(instance, dryRun) : undefined;
  return new AdminService({ ...deps, exportDir: join(o.dataDir, 'exports'), ...(labs ? { labs } : {}) });
}

export function composeGraph(o: GraphOptions): IsletGraph {
  const { config, store, driver, instance, log, now } = o;
  const labels = o.extraLabels ?? {};
  // Worked out once per configuration: the line asks at every wake-up (a room in line asks thousands of times).
  let limits: { of: LoadedConfig; lim: AdmissionLimits } | undefined;
  const admission = new Admission(store, () => {
    const c = config.current();
    if (limits?.of !== c) {
      const g = c.global;
      limits = {
        of: c,
        lim: { maxContainers: effectiveMaxContainers(g, c.environments), maxPerAccount: g.max_containers_per_account, waitSeconds: g.admission_wait },
      };
    }
    return limits.lim;
  });
  const bridgeNetwork = bridgeNetworkName(instance);
  const pool = new WarmPool({ driver, store, config, log: log.child({ module: 'pool' }), instance, labels, bridgeNetwork });
  // Made once the runner exists (it needs the runner's shells); the runner asks it at every reattach.
  let drains: DrainNotices | undefined;
  // Several front doors share a PostgreSQL store: one reconciles and governs CPU weights at a time (src/lifecycle/leader-lease.ts).
  const leader = store.shared ? new LeaderLease({ store, log: log.child({ module: 'leader' }) }) : undefined;
  // Made before the runner, which tells it of every trainee's keys (the typing weight).
  const cpuWeights = cpuWeightService(o, leader);
  const governor = cpuWeights?.governor;
  const runner = new EnvironmentRunner({
    driver,
    store,
    log: log.child({ module: 'runner' }),
    instance,
    admission,
    bridgeNetwork,
    pool,
    now,
    screenRestore: () => config.current().global.screen_restore,
    retiringNotice: (id) => drains?.loginNotice(id),
    ...(governor ? { typed: (id: string, b: Buffer) => governor.typed(id, b) } : {}),
    ...(o.labNetwork ? { labNetwork: o.labNetwork } : {}),
    ...(o.extraLabels ? { extraLabels: o.extraLabels } : {}),
  });
  const exportDir = join(o.dataDir, 'exports');
  let sweptAt = Number.NEGATIVE_INFINITY;
  const recordingSweep = async () => {
    if (performance.now() - sweptAt < 3_600_000) return;
    sweptAt = performance.now();
    await sweepRecordings(recordingsDir(o.dataDir), config.current().global.recording_retention, now());
  };
  const lifecycle = new LifecycleService({
    store,
    driver,
    config,
    log: log.child({ module: 'lifecycle' }),
    instance,
    attached: runner.attached,
    admission,
    now,
    exportDir,
    ...(leader ? { leader } : {}),
    ...(governor ? { heldBack: (id: string, withinMs: number) => governor.heldBack(id, withinMs) } : {}),
    // At most once an hour (a walk of every recording): retention is counted in days.
    retention: () => recordingSweep(),
  });
  const access = accessFromConfig(config, store, log.child({ module: 'access' }));
  // Seals wait for an idle CPU (src/os/host-quiet.ts): a login storm is when accounts are made and CPU is short.
  const quiet = new QuietGate();
  const hasher = new BackgroundHasher((msg, err) => log.warn({ event: 'hasher_warning', err }, msg), { quiet: (signal) => quiet.wait(signal) });
  const sealFailed = (account: string, err: unknown) =>
    log.error(
      { event: 'account_seal_failed', account, err },
      "a new account's full-cost password hash could not be stored; it keeps its interim hash (it still logs in, and its next login seals it)",
    );
  const accounts = new AccountService(store, now, sealFailed, (pw) => hasher.hash(pw));
  const auth = new Authenticator(config, accounts, store, access.throttle, sshPublicKeys, now);
  const sealing = async () => {
    await accounts.stop();
    await hasher.close();
  };
  // Pools fill at start and every 30 s (and after every claim); an edit of warm_pool applies at the next claim or check.
  const filler = periodic('pool', 30_000, () => pool.fill());
  // A drained machine (Swarm) under live shells: their trainees are told (only drivers that know machines).
  const notices = driver.retiring
    ? new DrainNotices({ driver, attached: runner.attached, taps: runner.taps, store, log: log.child({ module: 'drains' }) })
    : undefined;
  drains = notices;
  const drainCheck = notices ? periodic('drains', DRAIN_CHECK_MS, () => notices.tick()) : undefined;
  const services = {
    ...(drainCheck ? { drains: drainCheck } : {}),
    ...(cpuWeights ? { cpuWeights: cpuWeights.service } : {}),
    hasher: { name: 'hasher', start: () => hasher.prepare(), stop: sealing },
    lifecycle: { name: 'lifecycle', start: () => lifecycle.start(), stop: () => lifecycle.stop() },
    pool: {
      name: 'pool',
      start: () => filler.start(),
      stop: () => {
        filler.stop();
        pool.close();
      },
    },
  };
  const tools = new ContainerTools(driver);
  const roster = new MenuRoster();
  const broadcaster = new Broadcaster(runner.taps, roster, log.child({ module: 'broadcast' }));
  return { bridgeNetwork, admission, pool, runner, lifecycle, access, hasher, accounts, auth, tools, roster, broadcaster, services, close: sealing };
}

/**
 * The CPU-weight governor over the running containers the store names (and its service, which ticks it), or
 * undefined where the driver cannot set weights cheaply on this machine (an engine elsewhere, Swarm).
 */
function cpuWeightService(
  o: Pick<GraphOptions, 'config' | 'store' | 'driver' | 'log'>,
  leader: LeaderLease | undefined,
): { governor: CpuWeightGovernor; service: Service } | undefined {
  const { config, store, driver } = o;
  const { setCpuWeight, groupCpuTime } = driver;
  // usageLocal: the driver reads CPU time from this machine's cgroup files, cheap enough for every container each tick.
  if (!driver.usageLocal || !setCpuWeight) return undefined;
  const governor = new CpuWeightGovernor({
    driver: {
      cpuTime: (id) => driver.cpuTime(id),
      setCpuWeight: (id, shares) => setCpuWeight.call(driver, id, shares),
      ...(groupCpuTime ? { groupCpuTime: () => groupCpuTime.call(driver) } : {}),
    },
    settings: () => {
      const g = config.current().global;
      return { busyShares: g.busy_cpu_shares, busyPercent: g.busy_cpu_percent, typingShares: g.typing_cpu_shares };
    },
    targets: () => governedContainers(store, config),
    log: o.log.child({ module: 'cpu-weights' }),
    // The lifecycle service renews the lease; the governor only reads it.
    ...(leader ? { leads: () => leader.isLeader() } : {}),
  });
  const ticks = periodic('cpu-weights', GOVERNOR_TICK_MS, () => governor.tick());
  return {
    governor,
    service: {
      name: 'cpu-weights',
      start: () => ticks.start(),
      stop: async () => {
        ticks.stop();
        await governor.close();
      },
    },
  };
}
