/**
 * Account creation per client address: at most `perAddress` new accounts
 * within `windowSeconds` (30 in 10 minutes by default: a room of up to 30
 * behind one NAT address all create theirs, a script cannot create hundreds).
 * In memory; a restart forgets it, which at worst allows one more window.
 */
import { RecentEvents } from './recent-events.ts';

export interface CreationLimits {
  readonly perAddress: number;
  readonly windowSeconds: number;
}

export class CreationLimit {
  readonly #limits: () => CreationLimits;
  readonly #created: RecentEvents;

  constructor(limits: () => CreationLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#created = new RecentEvents(now);
  }

  /** True when `ip` may create one more account now (nothing is recorded). */
  allowed(ip: string): boolean {
    const lim = this.#limits();
    return this.#created.count(ip, lim.windowSeconds * 1000) < lim.perAddress;
  }

  /** Takes one creation for `ip` if allowed (check and record in one step, so parallel sessions cannot overshoot). */
  take(ip: string): boolean {
    if (!this.allowed(ip)) return false;
    const lim = this.#limits();
    this.#created.add(ip, lim.windowSeconds * 1000, lim.perAddress);
    return true;
  }
}
