/**
 * A fair share of the engine: engine calls are grouped by owner (the
 * container they are about, i.e. one trainee's environment); each owner has
 * at most `perOwner` calls in flight and the gate at most `total`. When a
 * slot frees, it goes to the waiting owner served longest ago, so one
 * trainee flooding the engine (thousands of SFTP requests, resizes, signals)
 * waits in their own queue while another trainee's call goes out next.
 *
 * Contract: run() resolves or rejects within `timeoutMs` of waiting plus the
 * call itself; an owner's queue holds at most `maxQueued` calls, more are
 * refused at once with GateFull (the caller answers "busy" cheaply instead
 * of holding memory for them).
 */
export class GateFull extends Error {
  readonly owner: string;
  readonly reason: 'queue' | 'timeout';
  constructor(owner: string, reason: 'queue' | 'timeout') {
    super(reason === 'queue' ? `too many engine calls queued for ${owner}` : `no engine slot for ${owner} in time`);
    this.name = 'GateFull';
    this.owner = owner;
    this.reason = reason;
  }
}

interface Waiter {
  grant(): void;
}
interface Owner {
  active: number;
  readonly queue: Waiter[] /** When it last started a call (a counter). */;
  served: number;
}

export class FairGate {
  readonly #perOwner: number;
  readonly #total: number;
  readonly #maxQueued: number;
  readonly #owners = new Map<string, Owner>();
  #active = 0;
  #seq = 0;

  constructor(opts: { perOwner: number; total: number; maxQueued: number }) {
    for (const [k, v] of Object.entries(opts)) if (!Number.isInteger(v) || v < 1) throw new RangeError(`FairGate ${k} must be a positive integer, got ${v}`);
    this.#perOwner = opts.perOwner;
    this.#total = opts.total;
    this.#maxQueued = opts.maxQueued;
  }

  get active(): number {
    return this.#active;
  }
  /** Calls waiting for a slot, all owners together. */
  get waiting(): number {
    let n = 0;
    for (const o of this.#owners.values()) n += o.queue.length;
    return n;
  }

  async run<T>(owner: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    const release = await this.#acquire(owner, timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #acquire(key: string, timeoutMs: number): Promise<() => void> {
    let o = this.#owners.get(key);
    if (!o) {
      o = { active: 0, queue: [], served: 0 };
      this.#owners.set(key, o);
    }
    const owner = o;
    if (owner.queue.length === 0 && owner.active < this.#perOwner && this.#active < this.#total) {
      this.#take(owner);
      return Promise.resolve(this.#releaser(key, owner));
    }
    if (owner.queue.length >= this.#maxQueued) return Promise.reject(new GateFull(key, 'queue'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = owner.queue.indexOf(waiter);
        if (i >= 0) owner.queue.splice(i, 1);
        this.#forget(key, owner);
        reject(new GateFull(key, 'timeout'));
      }, timeoutMs);
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          this.#take(owner);
          resolve(this.#releaser(key, owner));
        },
      };
      owner.queue.push(waiter);
    });
  }

  #take(o: Owner): void {
    o.active++;
    this.#active++;
    o.served = ++this.#seq;
  }

  #releaser(key: string, o: Owner): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      o.active--;
      this.#active--;
      this.#forget(key, o);
      this.#schedule();
    };
  }

  /** Drops an owner's bookkeeping once it has nothing in flight or waiting. */
  #forget(key: string, o: Owner): void {
    if (o.active === 0 && o.queue.length === 0 && this.#owners.get(key) === o) this.#owners.delete(key);
  }

  /** Grants free slots, each to the waiting owner (below its cap) that started a call longest ago. */
  #schedule(): void {
    while (this.#active < this.#total) {
      let next: Owner | undefined;
      for (const o of this.#owners.values()) {
        if (o.queue.length > 0 && o.active < this.#perOwner && (!next || o.served < next.served)) next = o;
      }
      if (!next) return;
      next.queue.shift()!.grant();
    }
  }
}
