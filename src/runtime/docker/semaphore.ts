/**
 * A counting semaphore with FIFO waiters, a priority lane and a bounded wait.
 *
 * Caps how many engine mutations run at once (Docker 20.10 deadlocks under
 * many parallel removals, moby#42545). `acquire` gives up after `timeoutMs`
 * so a queue can never hang the login path.
 *
 * Contract: a freed slot goes to the oldest `priority` waiter if there is one,
 * else to the oldest waiter. Why: a priority acquire finishes work already
 * begun (the start of a container just created), and letting it wait behind
 * every create queued since makes a storm finish its containers all at the
 * end instead of one after another (engine-slots.ts).
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
  readonly #priority: Waiter[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`semaphore size must be a positive integer, got ${max}`);
    this.#max = max;
  }

  get active(): number {
    return this.#active;
  }
  get waiting(): number {
    return this.#waiters.length + this.#priority.length;
  }

  /**
   * Resolves with a release function (idempotent) once a slot is free; rejects with SemaphoreTimeout after
   * timeoutMs. `priority`: served before every waiter without it (file comment).
   */
  acquire(timeoutMs = Infinity, priority = false): Promise<() => void> {
    if (this.#active < this.#max && this.waiting === 0) {
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
      const queue = priority ? this.#priority : this.#waiters;
      queue.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
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
      const next = this.#priority.shift() ?? this.#waiters.shift();
      if (next) next.grant();
    };
  }
}
