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
 * Contract: every method is asynchronous (the store is); the read-modify-write
 * of an account's row is serialised per account in this process (KeyLock), so
 * two wrong passwords at once both count; a successful password login ends the
 * back-off (the owner is back), and so does a day without a lock.
 */
import { KeyLock } from '../core/key-lock.ts';
import type { LoginThrottleState, Store } from '../store/store.ts';

export interface AccountThrottleLimits {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly firstLockSeconds: number;
  readonly maxLockSeconds: number;
}

/** A lock older than this no longer doubles the next one. */
export const LEVEL_RESET_MS = 24 * 3600_000;

export interface FailureOutcome {
  /** Set when the account is locked (now or already). */
  readonly lockedUntil?: Date;
  /** True when this failure started the lock. */
  readonly newlyLocked: boolean;
  /** Failures counted in the window after this one (0 right after a lock). */
  readonly failures: number;
  readonly level: number;
}

type ThrottleStore = Pick<Store, 'getLoginThrottle' | 'putLoginThrottle' | 'deleteLoginThrottle' | 'listLoginThrottles'>;

export class AccountThrottle {
  readonly #store: ThrottleStore;
  readonly #limits: () => AccountThrottleLimits;
  readonly #now: () => number;
  readonly #serial = new KeyLock();

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

  /** Records a wrong password for an existing `account`. */
  failed(account: string): Promise<FailureOutcome> {
    return this.#serial.run(account, () => this.#failed(account));
  }

  async #failed(account: string): Promise<FailureOutcome> {
    const lim = this.#limits();
    const now = this.#now();
    const old = await this.#store.getLoginThrottle(account);
    const stillLocked = old?.lockedUntil && old.lockedUntil.getTime() > now ? old.lockedUntil : undefined;
    if (stillLocked) return { lockedUntil: stillLocked, newlyLocked: false, failures: 0, level: old!.level };
    const since = now - lim.windowSeconds * 1000;
    const failures = [...(old?.failures ?? []).filter((d) => d.getTime() > since), new Date(now)].slice(-Math.max(1, lim.failures));
    const lastLock = old?.lockedAt?.getTime();
    const level = lastLock !== undefined && now - lastLock < LEVEL_RESET_MS ? old!.level : 0;
    if (failures.length < lim.failures) {
      await this.#put({ account, failures, level, ...(old?.lockedAt ? { lockedAt: old.lockedAt } : {}) });
      return { newlyLocked: false, failures: failures.length, level };
    }
    const next = level + 1;
    const lockedUntil = new Date(now + lockSeconds(next, lim) * 1000);
    await this.#put({ account, failures: [], level: next, lockedAt: new Date(now), lockedUntil });
    return { lockedUntil, newlyLocked: true, failures: 0, level: next };
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

  async #put(t: LoginThrottleState): Promise<void> {
    await this.#store.putLoginThrottle(t);
  }
}

/** Length of the `level`-th lock in a row: first, 2×first, 4×first … capped. */
export function lockSeconds(level: number, lim: Pick<AccountThrottleLimits, 'firstLockSeconds' | 'maxLockSeconds'>): number {
  return Math.min(lim.maxLockSeconds, lim.firstLockSeconds * 2 ** Math.min(30, Math.max(0, level - 1)));
}
