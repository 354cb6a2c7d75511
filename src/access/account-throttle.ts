/**
 * Per-account throttling of password logins. After `failures` wrong
 * passwords for one account within `windowSeconds` (from any addresses),
 * that account's password logins are refused from every address for a lock
 * that doubles each time (1, 2, 4 … minutes, capped at `maxLockSeconds`).
 * Key logins and other accounts are not affected, and an unknown name is
 * never tracked, so nobody can lock the room out by guessing: the worst a
 * guesser does is pause password logins of the one account it guesses.
 *
 * State lives in the Store so that a lock survives a restart and `islet
 * accounts` / `islet unlock` (another process) see and clear it.
 *
 * Contract: every method is asynchronous (the store is); a wrong password is
 * counted in one atomic store step (Store.loginFailed, the rule in
 * src/store/throttle-rule.ts), so two wrong passwords at once both count, on
 * one server or two sharing the store; a successful password login ends the
 * back-off (the owner is back), and so does a day without a lock.
 */
import type { LoginFailureOutcome, Store } from '../store/store.ts';

export interface AccountThrottleLimits {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly firstLockSeconds: number;
  readonly maxLockSeconds: number;
}

/** A lock older than this no longer doubles the next one. */
export const LEVEL_RESET_MS = 24 * 3600_000;

export type FailureOutcome = LoginFailureOutcome;

type ThrottleStore = Pick<Store, 'getLoginThrottle' | 'loginFailed' | 'deleteLoginThrottle' | 'listLoginThrottles'>;

export class AccountThrottle {
  readonly #store: ThrottleStore;
  readonly #limits: () => AccountThrottleLimits;
  readonly #now: () => number;

  constructor(store: ThrottleStore, limits: () => AccountThrottleLimits, now: () => number = Date.now) {
    this.#store = store;
    this.#limits = limits;
    this.#now = now;
  }

  /** When password logins of `account` are refused until, or undefined when they are not. */
  async lockedUntil(account: string): Promise<Date | undefined> {
    const until = (await this.#store.getLoginThrottle(account))?.lockedUntil;
    return until && until.getTime() > this.#now() ? until : undefined;
  }

  /** Failed password logins of `account` counted now (for the answer delay). */
  async recentFailures(account: string): Promise<number> {
    const since = this.#now() - this.#limits().windowSeconds * 1000;
    return (await this.#store.getLoginThrottle(account))?.failures.filter((d) => d.getTime() > since).length ?? 0;
  }

  /**
   * Records a wrong password for an existing `account`: one atomic store step (Store.loginFailed), so two
   * servers sharing the store both count, and a lock starts at the `failures`-th whatever door saw it.
   */
  async failed(account: string): Promise<FailureOutcome> {
    const lim = this.#limits();
    const out = await this.#store.loginFailed(account, new Date(this.#now()), {
      failures: lim.failures,
      windowMs: lim.windowSeconds * 1000,
      firstLockMs: lim.firstLockSeconds * 1000,
      maxLockMs: lim.maxLockSeconds * 1000,
      levelResetMs: LEVEL_RESET_MS,
    });
    return out ?? { newlyLocked: false, failures: 0, level: 0 };
  }

  /** A right password: the owner is back, the back-off starts over. */
  async succeeded(account: string): Promise<void> {
    // One round trip (a network store): deleting nothing is harmless.
    await this.#store.deleteLoginThrottle(account);
  }

  /** Clears an account's lock and counts (`islet unlock`); false when there was nothing to clear. */
  async unlock(account: string): Promise<boolean> {
    return await this.#store.deleteLoginThrottle(account);
  }

  /** Accounts whose password logins are refused right now. */
  async locked(): Promise<{ account: string; lockedUntil: Date; level: number }[]> {
    const now = this.#now();
    return (await this.#store.listLoginThrottles()).flatMap((t) =>
      t.lockedUntil && t.lockedUntil.getTime() > now ? [{ account: t.account, lockedUntil: t.lockedUntil, level: t.level }] : [],
    );
  }
}
