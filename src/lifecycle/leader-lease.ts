/**
 * The reconciler's leader lease: when several front doors share a store (PostgreSQL), one of them at a
 * time reconciles, the holder of the lease row `reconciler` (Store.acquireLease). The holder renews it
 * every `renewMs`; a holder that dies stops renewing and another server takes the lease once it expired
 * (`ttlMs` after the last renewal), at its next reconcile.
 *
 * Contract: isLeader() is true only while the last renewal is fresher than ttlMs - renewMs, so a holder
 * whose renewals fail (database unreachable) stops acting before another server can take over (the
 * servers' clocks are assumed within renewMs of each other). stop() gives the lease up at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';

export interface LeaderLeaseOptions {
  readonly store: Pick<Store, 'acquireLease' | 'releaseLease'>;
  readonly log: Logger;
  readonly name?: string;
  /** Who holds it: host, process and a random part (two servers on one host differ). */
  readonly holder?: string;
  readonly ttlMs?: number;
  readonly renewMs?: number;
  readonly now?: () => number;
}

export class LeaderLease {
  readonly name: string;
  readonly holder: string;
  readonly #o: LeaderLeaseOptions;
  readonly #ttl: number;
  readonly #renew: number;
  readonly #now: () => number;
  /** Until when this server may act as the leader (0: it is not). */
  #until = 0;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<boolean> | undefined;

  constructor(o: LeaderLeaseOptions) {
    this.#o = o;
    this.name = o.name ?? 'reconciler';
    this.holder = o.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#ttl = o.ttlMs ?? 30_000;
    this.#renew = o.renewMs ?? 10_000;
    this.#now = o.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.#now() < this.#until;
  }

  /** Takes or renews the lease now; true when this server leads afterwards. */
  renew(): Promise<boolean> {
    this.#renewing ??= this.#tryRenew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #tryRenew(): Promise<boolean> {
    const was = this.isLeader();
    const now = this.#now();
    try {
      const held = await this.#o.store.acquireLease(this.name, this.holder, new Date(now), new Date(now + this.#ttl));
      this.#until = held ? now + this.#ttl - this.#renew : 0;
    } catch (err) {
      // Unreachable store: keep acting only while the last renewal is fresh (isLeader).
      this.#o.log.warn({ event: 'leader_renew_failed', lease: this.name, err }, 'could not renew the leader lease');
    }
    const is = this.isLeader();
    if (is !== was) {
      const event = is ? 'leader_acquired' : 'leader_lost';
      this.#o.log.info({ event, lease: this.name, holder: this.holder }, is ? 'this server leads the reconciler' : 'another server leads the reconciler');
    }
    return is;
  }

  /** Renews at once and then every renewMs. */
  start(): void {
    if (this.#timer) return;
    const tick = () => {
      void this.renew();
    };
    tick();
    this.#timer = setInterval(tick, this.#renew).unref();
  }

  /** Stops renewing and gives the lease up, so another server takes over at once. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing?.catch(() => undefined);
    this.#until = 0;
    await this.#o.store.releaseLease(this.name, this.holder).catch(() => undefined);
  }
}
