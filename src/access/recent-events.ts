/**
 * Counts events per key (an address) inside a sliding time window, in
 * memory. Door-neutral: the SSH front door and a browser door share it.
 *
 * Contract: at most `cap` times are kept per key (older ones are dropped
 * first), and keys whose events have all left the window are pruned once
 * there are many, so memory stays bounded whatever the callers send.
 */
export class RecentEvents {
  readonly #now: () => number;
  readonly #times = new Map<string, number[]>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Events of `key` within the last `windowMs`. */
  count(key: string, windowMs: number): number {
    const since = this.#now() - windowMs;
    const list = this.#times.get(key);
    if (!list) return 0;
    let n = 0;
    for (let i = list.length - 1; i >= 0 && list[i]! > since; i--) n++;
    return n;
  }

  /** Records one event of `key` now; keeps at most `cap` of them; returns the count within `windowMs` after recording. */
  add(key: string, windowMs: number, cap: number): number {
    const now = this.#now();
    let list = this.#times.get(key);
    if (!list) {
      list = [];
      this.#times.set(key, list);
      this.#prune(windowMs);
    }
    list.push(now);
    const since = now - windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop]! <= since || list.length - drop > Math.max(1, cap))) drop++;
    if (drop) list.splice(0, drop);
    return list.length;
  }

  /** Forgets every event of `key`. */
  clear(key: string): void {
    this.#times.delete(key);
  }

  #prune(windowMs: number): void {
    if (this.#times.size < 4096) return;
    const since = this.#now() - windowMs;
    for (const [k, list] of this.#times) if ((list.at(-1) ?? 0) <= since) this.#times.delete(k);
  }
}
