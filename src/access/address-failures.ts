/**
 * Failed logins per client address (gate and accounts alike), counted in the store (Store.addressEvent), so
 * front doors sharing one (PostgreSQL) count together.
 * Two answers: a delay before each failure answer that grows with the
 * address's failures in the last minute (failure-delay.ts), and a hard
 * lock-out of the address only at a room-sized rate (`ssh_auth_failures_per_ip`,
 * 300 within `ssh_lockout`, 5 min, by default): a room behind one NAT
 * address never gets there by typos, a fast guesser does.
 *
 * The lock itself is kept in memory (lockedOut is asked synchronously for every new connection): another
 * server learns of it at the next failure from that address it sees, whose shared count is over the limit,
 * so a locked-out address gets at most one more try per other server.
 */
import { failureDelayMs } from './failure-delay.ts';
import type { Store } from '../store/store.ts';

export interface AddressFailureLimits {
  /** Failures within `windowSeconds` that lock the address out for `windowSeconds`. */
  readonly lockoutAfter: number;
  readonly windowSeconds: number;
  /** Cap of the delay before a failure answer. */
  readonly maxDelaySeconds: number;
}

/** Failures in this window set the delay. */
const DELAY_WINDOW_MS = 60_000;

type EventStore = Pick<Store, 'addressEvent'>;

export class AddressFailures {
  readonly #store: EventStore;
  readonly #limits: () => AddressFailureLimits;
  readonly #now: () => number;
  readonly #lockedUntil = new Map<string, number>();

  constructor(store: EventStore, limits: () => AddressFailureLimits, now: () => number = Date.now) {
    this.#store = store;
    this.#limits = limits;
    this.#now = now;
  }

  /**
   * Records a failure from `ip` in the store (counted with every server sharing it): whether the address is
   * now locked out, and how long to hold the answer.
   */
  async failed(ip: string): Promise<{ locked: boolean; delayMs: number }> {
    const lim = this.#limits();
    const now = this.#now();
    const windowMs = lim.windowSeconds * 1000;
    const at = new Date(now);
    const { times } = await this.#store.addressEvent({
      kind: 'login_failure',
      key: ip,
      now: at,
      windowMs: Math.max(windowMs, DELAY_WINDOW_MS),
      cap: lim.lockoutAfter,
    });
    const within = (ms: number) => times.filter((t) => t > now - ms).length;
    const delayMs = failureDelayMs(within(DELAY_WINDOW_MS), lim.maxDelaySeconds * 1000);
    if (within(windowMs) >= lim.lockoutAfter) {
      this.#lockedUntil.set(ip, now + windowMs);
      this.#pruneLocks();
      return { locked: true, delayMs };
    }
    return { locked: false, delayMs };
  }

  /** True while `ip` is locked out: its new connections are refused at once. */
  lockedOut(ip: string): boolean {
    const until = this.#lockedUntil.get(ip);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#lockedUntil.delete(ip);
    return false;
  }

  #pruneLocks(): void {
    if (this.#lockedUntil.size < 4096) return;
    const now = this.#now();
    for (const [ip, until] of this.#lockedUntil) if (until <= now) this.#lockedUntil.delete(ip);
  }
}
