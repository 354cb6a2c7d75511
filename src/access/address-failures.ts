/**
 * Failed logins per client address (gate and accounts alike), in memory.
 * Two answers: a delay before each failure answer that grows with the
 * address's failures in the last minute (failure-delay.ts), and a hard
 * lock-out of the address only at a room-sized rate (`ssh_auth_failures_per_ip`,
 * 300 within `ssh_lockout`, 5 min, by default): a room behind one NAT
 * address never gets there by typos, a fast guesser does.
 */
import { failureDelayMs } from './failure-delay.ts';
import { RecentEvents } from './recent-events.ts';

export interface AddressFailureLimits {
  /** Failures within `windowSeconds` that lock the address out for `windowSeconds`. */
  readonly lockoutAfter: number;
  readonly windowSeconds: number;
  /** Cap of the delay before a failure answer. */
  readonly maxDelaySeconds: number;
}

/** Failures in this window set the delay. */
const DELAY_WINDOW_MS = 60_000;

export class AddressFailures {
  readonly #limits: () => AddressFailureLimits;
  readonly #now: () => number;
  readonly #failures: RecentEvents;
  readonly #lockedUntil = new Map<string, number>();

  constructor(limits: () => AddressFailureLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
    this.#failures = new RecentEvents(now);
  }

  /** Records a failure from `ip`: whether the address is now locked out, and how long to hold the answer. */
  failed(ip: string): { locked: boolean; delayMs: number } {
    const lim = this.#limits();
    const windowMs = lim.windowSeconds * 1000;
    this.#failures.add(ip, Math.max(windowMs, DELAY_WINDOW_MS), lim.lockoutAfter);
    const delayMs = failureDelayMs(this.#failures.count(ip, DELAY_WINDOW_MS), lim.maxDelaySeconds * 1000);
    if (this.#failures.count(ip, windowMs) >= lim.lockoutAfter) {
      this.#lockedUntil.set(ip, this.#now() + windowMs);
      this.#failures.clear(ip);
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
