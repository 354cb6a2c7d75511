/**
 * The part of ISLET that looks after itself while nobody watches:
 * - reconcile() (at start-up and every `reconcile_interval`): adopts live
 *   containers it owns, removes those of expired or deleted accounts and
 *   orphans, repairs rows whose container vanished, deletes expired accounts;
 * - check() (every `check_interval`): warns attached trainees 5 and 1 minutes
 *   before the maximum running time, stops containers that reached it, and
 *   stops idle containers whose processes are not using CPU.
 * Decisions come from policy.ts; this file only gathers inputs and acts.
 * Every stop keeps the container (files kept); every reason is logged and
 * stored for the admin.
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Environment } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { type InstanceInfo, type RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_INSTANCE, LABEL_POOL, isUnclaimedPoolName } from '../runtime/names.ts';
import { adoptPoolNames } from './adopt-pool-names.ts';
import type { Admission } from '../sessions/admission.ts';
import type { AttachRegistry } from '../sessions/attach-registry.ts';
import type { Ownership, Store } from '../store/store.ts';
import { decideChecks, decideReconcileBetween, type ReconcileAction, type StoreSnapshot } from './policy.ts';
import { foreignContainers } from './ownership.ts';
import { POOL_CLAIM_PREFIX, poolClaimLease } from '../sessions/warm-pool.ts';
import { exportBeforeRemoval } from './export-home.ts';
import { homeOf } from '../config/home-of.ts';
import type { LeaderLease } from './leader-lease.ts';
import { IdleSamples } from './idle-samples.ts';

export interface LifecycleDeps {
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly config: ConfigSource;
  readonly log: Logger;
  readonly instance: string;
  readonly attached: AttachRegistry;
  readonly admission?: Admission;
  readonly now?: () => Date;
  /** Where homes of expiring containers are archived for environments with export_on_expiry. */
  readonly exportDir?: string;
  /** Removes what is past its retention (src/recordings/retention.ts), after every reconcile that is not a dry run. */
  readonly retention?: () => Promise<unknown>;
  /** A shared store (several front doors): the periodic reconcile runs only on the holder of this lease. */
  readonly leader?: LeaderLease;
  /** Whether ISLET held `id` at a busy CPU weight in the last `withinMs` (CpuWeightGovernor.heldBack; known without PSI too). */
  readonly heldBack?: (id: string, withinMs: number) => boolean;
}

/** The holder name under which the reconciler tests whether a pool container's claim lease is free. */
const PROBE = 'reconciler-probe';

/** Removals run a few at a time (the driver caps them too): Debian 12's engine deadlocks under many parallel removals. */
const REMOVE_BATCH = 3;
const STOP_GRACE_SECONDS = 1;

export class LifecycleService {
  readonly #d: LifecycleDeps;
  readonly #now: () => Date;
  readonly #since: Date;
  readonly #noticed = new Set<string>();
  readonly #samples: IdleSamples;
  /** Containers being stopped right now: reconcile must not "repair" their store row back to running meanwhile. */
  readonly #stopping = new Set<string>();
  #timers: NodeJS.Timeout[] = [];
  #stopped = true;
  #busy = { reconcile: false, check: false, disk: false };
  /** Store-claimed pool containers no row named at the latest reconcile (#adoptPool). */
  #poolSuspects = new Set<string>();
  /** Foreign containers seen by the latest reconcile (warned about when the number changes). */
  #foreign = 0;

  constructor(deps: LifecycleDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#since = this.#now();
    this.#samples = new IdleSamples(deps.driver);
  }

  #envs(): Map<string, Environment> {
    return new Map(this.#d.config.current().environments.map((e) => [e.name, e]));
  }

  /** Starts the periodic work; the first reconcile runs at once. */
  start(): void {
    this.#stopped = false;
    const loop = (name: 'reconcile' | 'check' | 'disk', every: () => number, fn: () => Promise<unknown>) => {
      const run = async () => {
        if (this.#stopped) return;
        if (!this.#busy[name]) {
          this.#busy[name] = true;
          try {
            await fn();
          } catch (err) {
            this.#d.log.error({ event: `${name}_failed`, err }, `${name} failed`);
          } finally {
            this.#busy[name] = false;
          }
        }
        if (!this.#stopped) this.#timers.push(setTimeout(run, every() * 1000).unref());
      };
      return run;
    };
    const leader = this.#d.leader;
    leader?.start();
    void loop(
      'reconcile',
      () => this.#d.config.current().global.reconcile_interval,
      async () => {
        // Another front door leads: it reconciles (a dead leader's lease expires and this one takes it here).
        if (leader && !leader.isLeader() && !(await leader.renew())) return;
        await this.reconcile();
      },
    )();
    this.#timers.push(
      setTimeout(
        loop(
          'check',
          () => this.#d.config.current().global.check_interval,
          () => this.check(),
        ),
        1000,
      ).unref(),
    );
    this.#timers.push(
      setTimeout(
        loop(
          'disk',
          () => this.#d.config.current().global.disk_check_interval,
          () => this.checkDisk(),
        ),
        5000,
      ).unref(),
    );
  }

  /**
   * Pool containers as the policy sees them (adoptPoolNames), plus what only the store knows: a pool-named one
   * whose claim lease is held but that no row names (its row went with its account) is passed on without an
   * account, so it is removed as an orphan — on the second pass that sees it so, since a claim takes the lease
   * just before its row is written.
   */
  async #adoptPool(found: readonly InstanceInfo[], rows: readonly Ownership[]): Promise<InstanceInfo[]> {
    const out = adoptPoolNames(found, this.#d.instance, rows);
    const named = new Set(rows.map((r) => r.containerId));
    const suspects = new Set<string>();
    for (const c of found) {
      if (c.labels[LABEL_POOL] !== 'true' || !isUnclaimedPoolName(c.name) || named.has(c.id)) continue;
      // Taking the lease already expired proves it free without keeping it (a claim may take it right after), and
      // giving it back leaves no row (a claim's row has another holder and stays).
      const now = new Date();
      if (await this.#d.store.acquireLease(poolClaimLease(c.id), PROBE, now, now)) {
        await this.#d.store.releaseLease(poolClaimLease(c.id), PROBE);
        continue;
      }
      suspects.add(c.id);
      if (this.#poolSuspects.has(c.id)) out.push(c);
    }
    this.#poolSuspects = suspects;
    return out;
  }

  /** Stops the periodic work and gives the leader lease up (another front door takes over at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    await this.#d.leader?.stop();
  }

  /** Computes (and unless dryRun, applies) what brings store and engine back in line. Safe to run while trainees work. */
  async reconcile(dryRun = false): Promise<ReconcileAction[]> {
    const { store, driver, log } = this.#d;
    // The store is read before the engine listing and again after it; decideReconcileBetween says why.
    const before = await snapshot(store);
    const claims = await store.listLeases(POOL_CLAIM_PREFIX);
    const found = await driver.find({ [LABEL_INSTANCE]: this.#d.instance });
    const after = await snapshot(store);
    const containers = await this.#adoptPool(found, [...before.ownership, ...after.ownership]);
    // Started-at is only in inspect: fetch it for the few containers about to be adopted.
    const known = new Set(before.ownership.map((r) => r.containerId));
    const detailed = await Promise.all(containers.map(async (c) => (known.has(c.id) || c.state !== 'running' ? c : ((await driver.inspect(c.id)) ?? c))));
    const envs = this.#envs();
    const storeId = store.storeId();
    this.#reportForeign(found, after, storeId);
    if (!dryRun) await this.#d.retention?.().catch((err: unknown) => log.error({ event: 'retention_failed', err }, 'retention sweep failed'));
    const actions = decideReconcileBetween({ now: this.#now(), before, after, containers: detailed, environments: envs, storeId });
    // A taken-over id read before the listing and absent from it is gone for good (ids are never reused).
    if (!dryRun) for (const id of before.adopted) if (!found.some((c) => c.id === id)) await store.forgetAdopted(id);
    // So is the container of a pool claim read before it: its lease goes (claims of live containers stay).
    if (!dryRun) for (const c of claims) if (!found.some((f) => POOL_CLAIM_PREFIX + f.id === c.name)) await store.releaseLease(c.name, c.holder);
    if (dryRun || actions.length === 0) return actions;
    // Each action is applied only if the store still says what it was decided on: a trainee may have logged in meanwhile.
    const nowMs = this.#now().getTime();
    const expiredNow = async (name: string) => {
      const a = await store.getAccount(name);
      return !!a && a.expiresAt.getTime() <= nowMs;
    };
    const stillDue = async (a: Extract<ReconcileAction, { kind: 'remove' }>) =>
      a.reason === 'account_gone' ? !(await store.getAccount(a.account ?? '')) : a.reason === 'account_expired' ? expiredNow(a.account ?? '') : true;
    const removals = actions.filter((a) => a.kind === 'remove');
    const exportFailed = new Set<string>();
    for (let i = 0; i < removals.length; i += REMOVE_BATCH) {
      await Promise.all(
        removals.slice(i, i + REMOVE_BATCH).map(async (a) => {
          if (!(await stillDue(a))) return;
          const why = a.reason === 'account_expired' ? 'Your account has expired; this environment is being removed.' : 'This environment is being removed.';
          this.#d.attached.notify(a.containerId, why);
          const env = a.environment ? envs.get(a.environment) : undefined;
          if (env?.export_on_expiry && this.#d.exportDir && a.account && (a.reason === 'account_expired' || a.reason === 'environment_expired')) {
            // A failed (or still running) export keeps the container and the account: the next pass tries again.
            try {
              const r = await exportBeforeRemoval(driver, a.containerId, homeOf(env), this.#d.exportDir, a.account, env.name);
              if (r.state === 'busy') {
                exportFailed.add(a.account);
                return;
              }
              log.info({ event: 'home_exported', account: a.account, environment: env.name, file: r.file }, 'home archived before removal');
            } catch (err) {
              log.error({ event: 'export_failed', err, account: a.account, environment: env.name }, 'export before removal failed; container and account kept');
              exportFailed.add(a.account);
              return;
            }
          }
          if (!(await stillDue(a))) return;
          await driver.remove(a.containerId);
          await store.forgetAdopted(a.containerId);
          if (a.account && a.environment && (await store.getOwnership(a.account, a.environment))?.containerId === a.containerId) {
            await store.deleteOwnership(a.account, a.environment);
          }
          const removed = {
            event: 'container_removed',
            reason: a.reason,
            container: a.containerId.slice(0, 12),
            name: a.name,
            account: a.account,
            environment: a.environment,
          };
          log.info(removed, `removed ${a.name}: ${a.reason}`);
        }),
      );
    }
    for (const a of actions) {
      switch (a.kind) {
        case 'adopt': {
          const { account, environment, containerId } = a.ownership;
          if (!(await store.getAccount(account)) || (await store.getOwnership(account, environment))?.containerId !== a.replaces) break;
          await store.putOwnership(a.ownership);
          log.info({ event: 'container_adopted', account, environment, container: containerId.slice(0, 12) }, 'adopted a live container');
          break;
        }
        case 'forget':
          if ((await store.getOwnership(a.account, a.environment))?.containerId !== a.containerId) break;
          await store.deleteOwnership(a.account, a.environment);
          log.info({ event: 'ownership_repaired', account: a.account, environment: a.environment, reason: a.reason }, 'forgot a vanished container');
          break;
        case 'sync_state': {
          const row = await store.getOwnership(a.account, a.environment);
          if (!row || this.#stopping.has(row.containerId)) break;
          // The snapshot may predate a stop that finished meanwhile: look again before marking it running.
          if (a.state === 'running' && (await driver.inspect(row.containerId))?.state !== 'running') break;
          if (a.state === 'running') await store.markStarted(a.account, a.environment, this.#now());
          else await store.markStopped(a.account, a.environment, 'stopped outside ISLET');
          break;
        }
        case 'delete_account':
          if (exportFailed.has(a.account) || !(await expiredNow(a.account))) break;
          await store.deleteAccount(a.account);
          log.info({ event: 'account_expired', account: a.account }, 'expired account deleted');
          break;
        case 'remove':
          break;
      }
    }
    this.#d.admission?.changed();
    return actions;
  }

  /** Warns (once per change) about containers of another store under this instance name: they are left alone. */
  #reportForeign(found: readonly InstanceInfo[], after: StoreSnapshot, storeId: string): void {
    const foreign = foreignContainers(found, { storeId, adopted: after.adopted, recorded: new Set(after.ownership.map((o) => o.containerId)) });
    if (foreign.length === this.#foreign) return;
    this.#foreign = foreign.length;
    if (!foreign.length) return;
    const text = `${foreign.length} container(s) under instance "${this.#d.instance}" belong to another ISLET data directory; left alone`;
    this.#d.log.warn({ event: 'foreign_containers', count: foreign.length, instance: this.#d.instance, storeId }, text);
  }

  /** One pass of the runtime and idle checks. */
  async check(): Promise<void> {
    const { store, log, attached } = this.#d;
    const envs = this.#envs();
    const now = this.#now();
    const running = (await store.listOwnership()).filter((o) => o.state === 'running');
    // Other front doors sharing the store see no attachment of this one: the last-seen time they read says it is in use.
    const seen = running.filter((o) => attached.count(o.containerId) > 0);
    if (seen.length > 0) await store.markSeenMany(seen, now);
    const actions = decideChecks({ now, running, environments: envs, attached: (id) => attached.count(id), since: this.#since, noticed: this.#noticed });
    const global = this.#d.config.current().global;
    const candidates = new Set<string>();
    const stops: Promise<void>[] = [];
    for (const a of actions) {
      if (a.kind === 'notice') {
        for (const k of a.keys) this.#noticed.add(k);
        const minutes = `${a.minutesLeft} minute${a.minutesLeft === 1 ? '' : 's'}`;
        const text = `This environment reaches its maximum running time in ${minutes} and will then be stopped. Your files are kept.`;
        const n = attached.notify(a.containerId, text);
        log.info({ event: 'runtime_notice', container: a.containerId.slice(0, 12), minutesLeft: a.minutesLeft, attached: n }, 'runtime notice sent');
        continue;
      }
      if (a.kind === 'idle_candidate') {
        candidates.add(a.containerId);
        // Busy work is spared: stop only when, since the previous sample, it neither used nor waited for the CPU over
        // the threshold, and the governor did not hold it back (idle-samples.ts says why waiting counts).
        const j = await this.#samples.judge(a.containerId, now.getTime());
        if (!j) continue;
        const heldBack = this.#d.heldBack?.(a.containerId, j.spanMs) ?? false;
        const limit = global.idle_cpu_percent;
        if (j.usedPercent >= limit || (j.waitedPercent ?? 0) >= limit || heldBack) {
          const spared = { event: 'idle_spared', container: a.containerId.slice(0, 12), cpuPercent: Math.round(j.usedPercent) };
          log.debug({ ...spared, waitedPercent: j.waitedPercent && Math.round(j.waitedPercent), heldBack }, 'idle but busy; kept running');
          continue;
        }
        const detail = `idle: nobody attached for ${envs.get(a.environment)?.idle_stop ?? 0} s and CPU ${j.usedPercent.toFixed(1)}%`;
        stops.push(this.#stop(a.containerId, a.account, a.environment, 'idle', detail));
        continue;
      }
      attached.notify(
        a.containerId,
        'This environment reached its maximum running time and is being stopped. Your files are kept; choose it again to start it.',
      );
      stops.push(this.#stop(a.containerId, a.account, a.environment, a.reason, `max_runtime: ran ${envs.get(a.environment)?.timeout ?? 0} s`));
    }
    // Stops run side by side (the driver caps engine mutations), so one slow stop does not delay the others.
    await Promise.all(stops);
    this.#samples.keepOnly(candidates);
  }

  /**
   * Measures each running container's writable layer against its environment's disk_quota:
   * a warning at 90 %, a stop (files kept) above the quota. Where the engine can enforce a
   * hard size limit this is a second line; elsewhere it is the line (docs/security.md).
   */
  async checkDisk(): Promise<void> {
    const { store, driver, attached, log } = this.#d;
    const envs = this.#envs();
    for (const row of (await store.listOwnership()).filter((o) => o.state === 'running')) {
      const quota = envs.get(row.environment)?.disk_quota ?? 0;
      if (quota <= 0) continue;
      const used = await driver.diskUsage(row.containerId).catch(() => undefined);
      if (used === undefined) continue;
      const mb = (n: number) => `${Math.round(n / 1024 ** 2)} MB`;
      if (used > quota) {
        attached.notify(
          row.containerId,
          `This environment uses ${mb(used)} of disk, over its quota of ${mb(quota)}, and is being stopped. Delete files after starting it again.`,
        );
        await this.#stop(row.containerId, row.account, row.environment, 'disk_quota', `disk_quota: ${mb(used)} written, quota ${mb(quota)}`);
      } else if (used > quota * 0.9) {
        const key = `${row.containerId}@disk`;
        if (!this.#noticed.has(key)) {
          this.#noticed.add(key);
          attached.notify(row.containerId, `This environment uses ${mb(used)} of its ${mb(quota)} disk quota; over the quota it will be stopped.`);
          log.info({ event: 'disk_warning', account: row.account, environment: row.environment, used, quota }, 'disk quota warning');
        }
      } else this.#noticed.delete(`${row.containerId}@disk`);
    }
  }

  /** Stops an (account, environment) container at an instructor's or admin's request (files kept); false when none is recorded. */
  async stopNow(account: string, environment: string, detail: string): Promise<boolean> {
    const row = await this.#d.store.getOwnership(account, environment);
    if (!row) return false;
    this.#d.attached.notify(row.containerId, 'The instructor stopped this environment. Your files are kept; choose it again to start it.');
    await this.#stop(row.containerId, account, environment, 'admin', detail);
    return true;
  }

  async #stop(id: string, account: string, environment: string, reason: string, detail: string): Promise<void> {
    this.#stopping.add(id);
    try {
      await this.#d.store.markStopped(account, environment, detail);
      // An interactive shell ignores SIGTERM (as PID 1, or under the pty relay, which passes it on), so a long
      // grace period only delays the inevitable SIGKILL.
      await this.#d.driver.stop(id, STOP_GRACE_SECONDS);
    } finally {
      this.#stopping.delete(id);
    }
    this.#samples.delete(id);
    this.#d.admission?.changed();
    const stopped = { event: 'container_stopped', reason, detail, account, environment, container: id.slice(0, 12) };
    this.#d.log.info(stopped, `stopped ${account}/${environment}: ${reason}`);
  }
}

const snapshot = async (store: Store): Promise<StoreSnapshot> => ({
  accounts: await store.listAccounts(),
  ownership: await store.listOwnership(),
  adopted: await store.listAdopted(),
});
