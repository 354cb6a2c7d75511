/**
 * Warm pools: per environment, `warm_pool` containers created and started
 * before anyone asks, so a new trainee's shell is an attach (tens of ms)
 * instead of a create and start (hundreds). Like every container ISLET makes
 * they carry `islet.store`; only this store's are loaded.
 *
 * Two ways to claim one (`claimBy`), both recorded in the store's ownership row by the runner:
 * - `rename` (default where the driver can rename: Docker): the container takes the trainee's canonical name.
 *   Labels cannot change on Docker, so pool containers carry `islet.pool=true` and the reconciler reads the
 *   account of a claimed one from its name (a lost store can be rebuilt from the engine).
 * - `store` (default where it cannot: Swarm services, and Kubernetes pods later): the container keeps its pool
 *   name; the claim is the store lease `pool-claim:<id>` held by the trainee's canonical name, taken at once
 *   by exactly one claimer however many front doors share the store, and then the ownership row
 *   (account, environment) → id. The reconciler reads the account of such a container from that row
 *   (lifecycle-service.ts), and a pool reloaded after a restart skips ids that a row names.
 *
 * Contract: claim() is one engine call (rename) or one store call and one inspect (lease) on the login path. A
 * rename refused because the trainee's name is taken (a container from before the pool, or a racing door's)
 * leaves the pool container ready and says so: the caller looks that name up only then. Refills
 * run in the background, one container at a time per environment, start only
 * once claims have paused for REFILL_QUIET_MS (so a room logging in at once is
 * not slowed by the engine creating its replacements), and never push the
 * host over `max_containers`.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigSource } from '../config/config-source.ts';
import type { Environment } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { IsletError } from '../core/islet-error.ts';
import type { InstanceInfo, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_ENVIRONMENT, LABEL_INSTANCE, LABEL_POOL, LABEL_STORE, isUnclaimedPoolName, poolName } from '../runtime/names.ts';
import { isOwn } from '../lifecycle/ownership.ts';
import type { Store } from '../store/store.ts';
import { effectiveMaxContainers } from './capacity.ts';

/** The terminal size a pool container is created with (its shell waits at a prompt of this size until claimed). */
export const POOL_TTY = { cols: 80, rows: 24 } as const;

/** Quiet time after the last claim before refilling starts. */
export const REFILL_QUIET_MS = 2000;

/** A store claim's lease lasts as long as its container lives (ids are never reused); the reconciler gives up those of containers gone. */
const CLAIM_LEASE_MS = 10 * 365 * 24 * 3600_000;

/** What every store claim's lease name starts with. */
export const POOL_CLAIM_PREFIX = 'pool-claim:';

/** The store lease that makes a `store` claim of pool container `id`. */
export function poolClaimLease(id: string): string {
  return `${POOL_CLAIM_PREFIX}${id}`;
}

/** What claim() gave: a ready container, now the trainee's, or word that the trainee's name is another container's. */
export type PoolClaim = { readonly info: InstanceInfo } | { readonly nameTaken: true };

/** The engine's refusal of a rename to a name in use. */
const nameInUse = (err: unknown) => err instanceof IsletError && err.code === 'RUNTIME_FAILED' && err.detail.statusCode === 409;

export interface WarmPoolDeps {
  readonly driver: RuntimeDriver;
  readonly store: Store;
  readonly config: ConfigSource;
  readonly log: Logger;
  readonly instance: string;
  /** Labels every pool container carries besides islet.instance/store/environment/pool (tests add islet.test). */
  readonly labels: Readonly<Record<string, string>>;
  /** ISLET's trainee bridge network, for pools of `network: bridge` environments. */
  readonly bridgeNetwork?: string;
  /** How a claim is made (file comment); default `rename` when the driver can rename, else `store`. */
  readonly claimBy?: 'rename' | 'store';
}

export class WarmPool {
  readonly #d: WarmPoolDeps;
  /** Ready (created, started, unclaimed) containers per environment, in creation order. */
  readonly #ready = new Map<string, InstanceInfo[]>();
  readonly #filling = new Set<string>();
  #loaded: Promise<void> | undefined;
  #refillTimer: NodeJS.Timeout | undefined;
  /** When the latest claim happened (ms epoch): refills pause while claims keep coming. */
  #lastClaim = 0;

  constructor(deps: WarmPoolDeps) {
    this.#d = deps;
  }

  /** Learns the pool containers that already exist (after a restart) once. */
  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      const found = await this.#d.driver.find({ [LABEL_INSTANCE]: this.#d.instance, [LABEL_POOL]: 'true' });
      // Another ISLET's pool under the same instance name is not ours to claim or remove (src/lifecycle/ownership.ts).
      const mine = { storeId: this.#d.store.storeId(), adopted: await this.#d.store.listAdopted(), recorded: new Set<string>() };
      // A store claim keeps the pool name: the ownership rows say which are claimed.
      const claimed = new Set((await this.#d.store.listOwnership()).map((o) => o.containerId));
      for (const c of found) {
        if (!isUnclaimedPoolName(c.name) || claimed.has(c.id) || !isOwn(c, mine)) continue; // already claimed, or not ours
        const env = c.labels[LABEL_ENVIRONMENT];
        if (!env) continue;
        if (c.state !== 'running') {
          await this.#d.driver.remove(c.id).catch(() => undefined);
          continue;
        }
        this.#list(env).push(c);
      }
    })();
    return this.#loaded;
  }

  #list(env: string): InstanceInfo[] {
    let l = this.#ready.get(env);
    if (!l) {
      l = [];
      this.#ready.set(env, l);
    }
    return l;
  }

  /** True when claims are store leases (the driver cannot rename, or the deps ask for it): a claim then keeps the pool name. */
  get claimsByStore(): boolean {
    return this.#d.claimBy === 'store' || (this.#d.claimBy === undefined && !!this.#d.driver.unsupported?.has('rename'));
  }

  /**
   * Takes a ready container for the pair whose canonical name is `name` (renamed to it, or claimed in the store:
   * see the file comment); undefined when the pool is empty. The caller records the ownership row.
   */
  async claim(env: Environment, name: string): Promise<PoolClaim | undefined> {
    if (env.warm_pool === 0) return undefined;
    await this.#load();
    const list = this.#list(env.name);
    for (let c = list.shift(); c !== undefined; c = list.shift()) {
      let info: InstanceInfo | undefined;
      try {
        if (this.claimsByStore) {
          const now = new Date();
          // Another front door sharing the store took it first: it is theirs now, not ours to remove.
          if (!(await this.#d.store.acquireLease(poolClaimLease(c.id), name, now, new Date(now.getTime() + CLAIM_LEASE_MS)))) continue;
          // A lease is no engine call: the container is looked at (gone meanwhile: the trainee gets a new one).
          info = await this.#d.driver.inspect(c.id);
        } else {
          // The rename is the engine's word that the container exists; what else the claim needs the pool knows.
          await this.#d.driver.rename(c.id, name);
          info = { ...c, name };
        }
        this.#lastClaim = Date.now();
        this.#refillSoon();
        return info ? { info } : undefined;
      } catch (err) {
        if (!this.claimsByStore && nameInUse(err)) {
          list.unshift(c); // not claimed: still ready
          return { nameTaken: true };
        }
        this.#d.log.warn({ event: 'pool_claim_failed', environment: env.name, err }, 'a pool container could not be claimed');
        // A failed rename leaves a container nobody claimed; a failed lease may have been taken by another door.
        if (!this.claimsByStore) await this.#d.driver.remove(c.id).catch(() => undefined);
      }
    }
    this.#refillSoon();
    return undefined;
  }

  /** (Re)arms the refill for REFILL_QUIET_MS after the latest claim. */
  #refillSoon(): void {
    clearTimeout(this.#refillTimer);
    this.#refillTimer = setTimeout(() => {
      void this.fill();
    }, REFILL_QUIET_MS);
    this.#refillTimer.unref();
  }

  /** Cancels a pending refill (shutdown). */
  close(): void {
    clearTimeout(this.#refillTimer);
  }

  /** Number of ready containers (all environments). */
  size(): number {
    let n = 0;
    for (const l of this.#ready.values()) n += l.length;
    return n;
  }

  /** Brings every environment's pool to its size (and removes pools of environments that no longer want one). */
  async fill(): Promise<void> {
    await this.#load();
    const cfg = this.#d.config.current();
    const wanted = new Map(cfg.environments.filter((e) => e.enabled).map((e) => [e.name, e]));
    for (const [envName, list] of this.#ready) {
      const keep = wanted.get(envName)?.warm_pool ?? 0;
      while (list.length > keep) await this.#d.driver.remove(list.pop()!.id).catch(() => undefined);
    }
    await Promise.all([...wanted.values()].filter((e) => e.warm_pool > 0).map((e) => this.#fillOne(e)));
  }

  async #fillOne(env: Environment): Promise<void> {
    if (this.#filling.has(env.name)) return;
    this.#filling.add(env.name);
    try {
      const list = this.#list(env.name);
      while (list.length < env.warm_pool) {
        if (Date.now() - this.#lastClaim < REFILL_QUIET_MS) {
          this.#refillSoon();
          break;
        } // claims are coming in: yield the engine to them
        const cfg = this.#d.config.current();
        const max = effectiveMaxContainers(cfg.global, cfg.environments);
        if ((await this.#d.store.countRunning()) + this.size() >= max) break;
        const name = poolName(this.#d.instance, env.name, randomBytes(4).toString('hex'));
        const network = env.network === 'bridge' && this.#d.bridgeNetwork ? this.#d.bridgeNetwork : undefined;
        if (network) await this.#d.driver.ensureNetwork(network, { ...this.#d.labels, [LABEL_INSTANCE]: this.#d.instance });
        const labels = {
          ...this.#d.labels,
          [LABEL_INSTANCE]: this.#d.instance,
          [LABEL_STORE]: this.#d.store.storeId(),
          [LABEL_ENVIRONMENT]: env.name,
          [LABEL_POOL]: 'true',
        };
        const info = await this.#d.driver.create({ name, ...(network ? { network } : {}), env, labels, tty: { ...POOL_TTY }, term: 'xterm' });
        try {
          await this.#d.driver.start(info.id);
        } catch (err) {
          await this.#d.driver.remove(info.id).catch(() => undefined);
          throw err;
        }
        list.push({ ...info, state: 'running' });
        this.#d.log.debug({ event: 'pool_filled', environment: env.name, size: list.length }, 'pool container ready');
      }
    } catch (err) {
      this.#d.log.warn({ event: 'pool_fill_failed', environment: env.name, err }, 'warm pool refill failed');
    } finally {
      this.#filling.delete(env.name);
    }
  }
}
