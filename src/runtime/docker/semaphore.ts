/**
 * A counting semaphore with FIFO waiters and a bounded wait.
 *
 * Caps how many engine mutations run at once (Docker 20.10 deadlocks under
 * many parallel removals, moby#42545). `acquire` gives up after `timeoutMs`
 * so a queue can never hang the login path.
 */
export class SemaphoreTimeout extends Error {
  readonly waitedMs: number;
  constructor(waitedMs: number) {
    super(`no free slot after ${waitedMs} ms`);
    this.waitedMs = waitedMs;
    this.name = 'SemaphoreTimeout';
  }
}

interface Waiter {
  grant: () => void;
}

export class Semaphore {
  readonly #max: number;
  #active = 0;
  readonly #waiters: Waiter[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`semaphore size must be a positive integer, got ${max}`);
    this.#max = max;
  }

  get active(): number {
    return this.#active;
  }
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects with SemaphoreTimeout after timeoutMs. */
  acquire(timeoutMs = Infinity): Promise<() => void> {
    if (this.#active < this.#max && this.#waiters.length === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        grant: () => {
          if (timer) clearTimeout(timer);
          this.#active++;
          resolve(this.#releaser());
        },
      };
      this.#waiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new SemaphoreTimeout(timeoutMs));
        }, timeoutMs);
      }
    });
  }

  /** Runs fn holding one slot. */
  async run<T>(fn: () => Promise<T>, timeoutMs = Infinity): Promise<T> {
    const release = await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#active--;
      const next = this.#waiters.shift();
      if (next) next.grant();
    };
  }
}
