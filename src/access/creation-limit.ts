/**
 * Account creation per client address: at most `perAddress` new accounts
 * within `windowSeconds` (30 in 10 minutes by default: a room of up to 30
 * behind one NAT address all create theirs, a script cannot create hundreds).
 * Counted in the store (Store.addressEvent), so front doors sharing one (PostgreSQL) count together, and a
 * restart forgets nothing.
 */
import type { Store } from '../store/store.ts';

export interface CreationLimits {
  readonly perAddress: number;
  readonly windowSeconds: number;
}

const KIND = 'account_created';

export class CreationLimit {
  readonly #store: Pick<Store, 'addressEvent' | 'countAddressEvents'>;
  readonly #limits: () => CreationLimits;
  readonly #now: () => number;

  constructor(store: Pick<Store, 'addressEvent' | 'countAddressEvents'>, limits: () => CreationLimits, now: () => number = Date.now) {
    this.#store = store;
    this.#limits = limits;
    this.#now = now;
  }

  /** True when `ip` may create one more account now (nothing is recorded). */
  async allowed(ip: string): Promise<boolean> {
    const lim = this.#limits();
    if (lim.perAddress <= 0) return false;
    return (await this.#store.countAddressEvents(KIND, ip, new Date(this.#now() - lim.windowSeconds * 1000))) < lim.perAddress;
  }

  /** Takes one creation for `ip` if allowed: check and record in one store step, so parallel sessions, on any server, cannot overshoot. */
  async take(ip: string): Promise<boolean> {
    const lim = this.#limits();
    if (lim.perAddress <= 0) return false;
    const e = { kind: KIND, key: ip, now: new Date(this.#now()), windowMs: lim.windowSeconds * 1000, limit: lim.perAddress, cap: lim.perAddress };
    return (await this.#store.addressEvent(e)).recorded;
  }
}
