/**
 * Serialises async work per key inside this process, so two logins of one
 * account into one environment never race to create two containers. Stores
 * use it for Store.exclusive; PostgreSQL adds an advisory lock across front
 * doors (postgres-store.ts), and the engine's unique container names remain
 * the last guard.
 */
export class KeyLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
