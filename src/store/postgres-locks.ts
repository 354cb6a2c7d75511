/**
 * PostgresStore.exclusive (postgres-store.ts): this process's KeyLock, then a session advisory lock on the
 * key's hash, taken with pg_try_advisory_lock (polled while another server holds it) on one connection per
 * server that holds all of that server's locks; a server that dies loses that connection and PostgreSQL
 * releases its locks at once.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { IsletError } from '../core/islet-error.ts';
import { KeyLock } from '../core/key-lock.ts';
import { named } from './postgres-named.ts';

/** exclusive()'s lock key: a 64-bit hash of the key (keys may hold any character, NUL included; a collision only serialises two keys). */
const lockKey = (key: string): string => createHash('sha256').update(key).digest().readBigInt64BE(0).toString();

export interface PostgresLocksOptions {
  /** The URL with its password, for the lock session only; never logged (`url` is the redacted one). */
  readonly secretUrl: string;
  readonly url: string;
  /** The lock session failed (the database restarted or ended it): told here, never thrown. */
  readonly onError: (err: Error) => void;
  /** Called for each query sent (each lock try and each unlock): PostgresStore.roundTrips. */
  readonly onRoundTrip: () => void;
}

export class PostgresLocks {
  readonly #o: PostgresLocksOptions;
  #lockSession: Promise<pg.Client> | undefined;
  /** The lock session's last queued query (see #onSession). */
  #sessionTail: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #local = new KeyLock();

  constructor(o: PostgresLocksOptions) {
    this.#o = o;
  }

  /** The one connection holding this server's exclusive() locks (a session's advisory locks live and die with it). */
  #session(): Promise<pg.Client> {
    if (this.#lockSession) return this.#lockSession;
    const c = new pg.Client({ connectionString: this.#o.secretUrl });
    const opened = c.connect().then(() => c);
    const forget = () => {
      if (this.#lockSession === opened) this.#lockSession = undefined;
    };
    // The database restarted or ended the session: its locks are gone; the next exclusive() opens another.
    c.on('error', (err) => {
      this.#o.onError(err);
      forget();
      c.end().catch(() => undefined);
    });
    opened.catch(forget);
    this.#lockSession = opened;
    return opened;
  }

  /**
   * Runs fn on the lock session after the queries queued before it, in call order. pg 8 would queue a client's
   * overlapping queries itself but deprecates it (a warning in the log; pg 9 refuses them), so they queue here.
   */
  #onSession<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const run = this.#sessionTail.then(async () => fn(await this.#session()));
    this.#sessionTail = run.catch(() => undefined);
    return run;
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#local.run(key, async () => {
      const k = lockKey(key);
      let c: pg.Client | undefined;
      try {
        // Non-blocking tries on the shared session: a key held by another server is polled, never waited on
        // inside the connection (which serves every other key of this server).
        for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
          this.#o.onRoundTrip();
          const ok = await this.#onSession(async (s) => {
            c = s;
            return (await s.query(named('SELECT pg_try_advisory_lock($1::bigint) AS ok', [k]))).rows[0].ok === true;
          });
          if (ok) break;
          if (this.#closed) throw new Error('the store is closed');
          await new Promise((r) => setTimeout(r, delay));
        }
      } catch (err) {
        const detail = `exclusive (${this.#o.url}): ${(err as Error).message}`;
        throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', detail, {}, err);
      }
      try {
        return await fn();
      } finally {
        // Not waited for: the session's queries run in call order (#onSession), so this server's next try of the key comes
        // after the unlock, and another server polls; the caller gets on without the round trip's wait.
        // A session that ended meanwhile took the lock with it: nothing to undo then.
        this.#o.onRoundTrip();
        const held = c;
        this.#onSession(async (s) => {
          if (s === held) await s.query(named('SELECT pg_advisory_unlock($1::bigint)', [k]));
        }).catch(() => undefined);
      }
    });
  }

  /** Stops the polling and ends the lock session (its locks go with it); settles when that session has ended. */
  close(): Promise<void> | undefined {
    this.#closed = true;
    const session = this.#lockSession;
    this.#lockSession = undefined;
    return session?.then((c) => c.end());
  }
}
