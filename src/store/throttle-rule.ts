/**
 * The rules of Store.loginFailed and Store.addressEvent (store.ts), applied in one step by SQLite (inside
 * BEGIN IMMEDIATE) and memory; PostgreSQL's islet_login_failed and islet_address_event (migrations.ts,
 * version 5) are the same rules in SQL, and the case suite (store.case.ts) holds all three to them.
 */
import type { AddressEvent, LoginFailureLimits, LoginFailureOutcome, LoginThrottleState } from './store.ts';

/** Length of the `level`-th lock in a row: first, 2×first, 4×first … capped (ms). */
export function lockMs(level: number, lim: Pick<LoginFailureLimits, 'firstLockMs' | 'maxLockMs'>): number {
  return Math.min(lim.maxLockMs, lim.firstLockMs * 2 ** Math.min(30, Math.max(0, level - 1)));
}

/** A wrong password at `now` for an account whose throttle row is `old`: the row after, and what to answer. */
export function nextThrottle(
  account: string,
  old: LoginThrottleState | undefined,
  now: number,
  lim: LoginFailureLimits,
): { state: LoginThrottleState; outcome: LoginFailureOutcome } {
  const stillLocked = old?.lockedUntil && old.lockedUntil.getTime() > now ? old.lockedUntil : undefined;
  if (old && stillLocked) return { state: old, outcome: { lockedUntil: stillLocked, newlyLocked: false, failures: 0, level: old.level } };
  const since = now - lim.windowMs;
  const failures = [...(old?.failures ?? []).filter((d) => d.getTime() > since), new Date(now)].slice(-Math.max(1, lim.failures));
  const lastLock = old?.lockedAt?.getTime();
  const level = lastLock !== undefined && now - lastLock < lim.levelResetMs ? old!.level : 0;
  if (failures.length < lim.failures) {
    const state = { account, failures, level, ...(old?.lockedAt ? { lockedAt: old.lockedAt } : {}) };
    return { state, outcome: { newlyLocked: false, failures: failures.length, level } };
  }
  const next = level + 1;
  const lockedUntil = new Date(now + lockMs(next, lim));
  return {
    state: { account, failures: [], level: next, lockedAt: new Date(now), lockedUntil },
    outcome: { lockedUntil, newlyLocked: true, failures: 0, level: next },
  };
}

/**
 * An address event on the times (ms, oldest first) kept for its key: drops those not after now - windowMs,
 * records `now` unless `limit` (> 0) are left, keeps at most `cap` (> 0) newest. Returns the times after.
 */
export function nextEvents(times: readonly number[], e: AddressEvent): { times: number[]; recorded: boolean } {
  const since = e.now.getTime() - e.windowMs;
  const kept = times.filter((t) => t > since);
  const recorded = !(e.limit && e.limit > 0 && kept.length >= e.limit);
  if (recorded) kept.push(e.now.getTime());
  return { times: e.cap && e.cap > 0 && kept.length > e.cap ? kept.slice(-e.cap) : kept, recorded };
}
