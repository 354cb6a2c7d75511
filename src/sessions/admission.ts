/**
 * Admission control: how many containers may run at once, on the host and
 * per account. A trainee who finds the host full waits in a first-come,
 * first-served line and is told their place; after `admission_wait` they are
 * asked to try again. The place is one store transaction (Store.claimCapacity):
 * running containers plus the starts admitted but not yet recorded (claims), by
 * every front door sharing the store, so two servers never both take the last
 * place. The line itself is per front door; a place freed by another server is
 * seen within a second.
 */
import { randomUUID } from 'node:crypto';
import { IsletError } from '../core/islet-error.ts';
import type { Store } from '../store/store.ts';

export interface AdmissionLimits {
  readonly maxContainers: number;
  readonly maxPerAccount: number;
  readonly waitSeconds: number;
}

/** A claim whose front door died mid-start stops counting after this (a start may pull an image first). */
export const CLAIM_TTL_MS = 10 * 60_000;

const accountFull = (lim: AdmissionLimits) =>
  new IsletError(
    'CAPACITY_ACCOUNT',
    `You already have ${lim.maxPerAccount} environment(s) running. Exit one of them (type "exit" in its shell) and try again.`,
  );

export class Admission {
  readonly #store: Store;
  readonly #limits: () => AdmissionLimits;
  readonly #line: object[] = [];
  readonly #wakers = new Set<() => void>();

  constructor(store: Store, limits: () => AdmissionLimits) {
    this.#store = store;
    this.#limits = limits;
  }

  /** Trainees waiting in line for a place now (the instructor console shows it). */
  get waiting(): number {
    return this.#line.length;
  }

  /** Somebody's container stopped or a reservation ended: let the line move. */
  changed(): void {
    for (const w of [...this.#wakers]) w();
  }

  /**
   * Waits for a place to start a container for `account`. Resolves with a
   * release function to call once the start is recorded in the store (or failed).
   * Throws CAPACITY_ACCOUNT, CAPACITY_FULL, or SESSION_TIMEOUT when `gone()` turns true.
   */
  async admit(account: string, say: (text: string) => void, gone: () => boolean): Promise<() => void> {
    let lim = this.#limits();
    // An account at its own limit is refused before it waits in line behind others; with nobody in line the
    // claim below answers account_full itself (one store round trip fewer per new container).
    if (lim.maxPerAccount > 0 && this.#line.length > 0 && (await this.#store.countRunning(account)) >= lim.maxPerAccount) throw accountFull(lim);
    if (lim.maxContainers === 0 && lim.maxPerAccount === 0) return () => {};
    const me = {};
    this.#line.push(me);
    const deadline = Date.now() + lim.waitSeconds * 1000;
    let lastPlace = -1;
    try {
      for (;;) {
        lim = this.#limits();
        const place = this.#line.indexOf(me);
        if (lim.maxContainers === 0 || place === 0) {
          const id = randomUUID();
          const now = Date.now();
          const limits = { maxContainers: lim.maxContainers, maxPerAccount: lim.maxPerAccount };
          const answer = await this.#store.claimCapacity({ id, account, ...limits, now: new Date(now), expiresAt: new Date(now + CLAIM_TTL_MS) });
          if (answer === 'account_full') throw accountFull(lim);
          if (answer === 'ok') {
            let released = false;
            return () => {
              if (released) return;
              released = true;
              void this.#store
                .releaseCapacity(id)
                .catch(() => undefined) // the claim then lapses after CLAIM_TTL_MS
                .finally(() => this.changed());
            };
          }
        }
        if (gone()) throw new IsletError('SESSION_TIMEOUT', 'Goodbye.', 'trainee left while waiting for admission');
        if (Date.now() >= deadline)
          throw new IsletError('CAPACITY_FULL', 'ISLET is full right now. Please try again in a moment.', `no place within ${lim.waitSeconds} s`);
        if (place !== lastPlace) {
          say(`ISLET is at capacity: you are number ${place + 1} in line. Please wait...\n`);
          lastPlace = place;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.#wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, 1000);
          this.#wakers.add(wake);
        });
      }
    } finally {
      const i = this.#line.indexOf(me);
      if (i >= 0) this.#line.splice(i, 1);
      this.changed();
    }
  }
}
