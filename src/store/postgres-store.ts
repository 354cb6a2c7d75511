/**
 * PostgreSQL implementation of Store (`--store postgres://…`, docs/store.md): several `islet serve` front
 * doors share one database. Open it with `PostgresStore.open(url)`: it connects, applies the missing
 * migrations (migrations.ts) under an advisory transaction lock (postgres-migrate.ts) and reads the store id.
 *
 * What is serialised where:
 * - claimCapacity: one statement (the function islet_claim_capacity, migration 4) under the advisory
 *   transaction lock PG_CAPACITY_LOCK, so two servers never both take the last place;
 * - exclusive(key): this process's KeyLock, then a session advisory lock on the key's hash, taken with
 *   pg_try_advisory_lock (polled while another server holds it) on one connection per server that holds
 *   all of that server's locks; a server that dies loses that connection and PostgreSQL releases its
 *   locks at once (postgres-locks.ts);
 * - leases (the reconciler's leader): a row with holder and expiry, renewed by the holder (leader-lease.ts).
 *
 * Every query is parameterised. The URL's password is never logged or put in an error: errors name the
 * redacted URL (redactUrl).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { IsletError } from '../core/islet-error.ts';
import { PostgresLocks } from './postgres-locks.ts';
import { migratePostgres } from './postgres-migrate.ts';
import { named } from './postgres-named.ts';
import { type Row, toAccount, toKey, toOwnership, toThrottle } from './rows.ts';
import { instructorSessionsWhere, toInstructorSession } from './rows.ts';
import type { InstructorSessionRecord } from './store.ts';
import type {
  Account,
  AddressEvent,
  CapacityAnswer,
  CapacityClaim,
  LoginFailureLimits,
  LoginFailureOutcome,
  LoginThrottleState,
  Ownership,
  Store,
  StoredKey,
} from './store.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const msOrNull = (d?: Date): number | null => (d === undefined ? null : d.getTime());

export interface PostgresStoreOptions {
  /** Connections for queries (default 10); exclusive() locks take one more, whatever their number. */
  readonly poolSize?: number;
  /** An idle connection failed (the database restarted): told here, never thrown. */
  readonly onError?: (err: Error) => void;
}

export class PostgresStore implements Store {
  readonly shared = true;
  readonly #pool: pg.Pool;
  /** exclusive()'s locks, on their own connection (postgres-locks.ts). */
  readonly #locks: PostgresLocks;
  readonly #url: string;
  readonly #storeId: string;

  private constructor(pool: pg.Pool, secretUrl: string, url: string, storeId: string, onError: (err: Error) => void) {
    this.#pool = pool;
    this.#locks = new PostgresLocks({
      secretUrl,
      url,
      onError,
      onRoundTrip: () => {
        this.roundTrips++;
      },
    });
    this.#url = url;
    this.#storeId = storeId;
  }

  /** Connects, migrates and reads (or makes) the store id; STORE_FAILED (with the redacted URL) when it cannot. */
  static async open(url: string, o: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const safe = redactUrl(url);
    const onError = o.onError ?? (() => undefined);
    const pool = new pg.Pool({ connectionString: url, max: o.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    pool.on('error', onError);
    try {
      await migratePostgres(pool);
      await pool.query(`INSERT INTO meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING`, [randomBytes(8).toString('hex')]);
      const id = String((await pool.query(`SELECT value FROM meta WHERE key = 'store_id'`)).rows[0].value);
      return new PostgresStore(pool, url, safe, id, onError);
    } catch (err) {
      await pool.end().catch(() => undefined);
      const detail = `cannot open ${safe}: ${(err as Error).message}`;
      throw new IsletError('STORE_FAILED', 'The account database is not available. Please tell the instructor.', detail, { store: safe }, err);
    }
  }

  /** Queries sent to the database (each one round trip), exclusive()'s lock and unlock included: the benchmark's count per login. */
  roundTrips = 0;

  async #run<T>(what: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      this.roundTrips++;
      return await fn(this.#pool);
    } catch (err) {
      if (err instanceof IsletError) throw err;
      const detail = `${what} (${this.#url}): ${(err as Error).message}`;
      throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', detail, {}, err);
    }
  }
  async #rows(what: string, sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.#run(what, async (q) => (await q.query(named(sql, params))).rows as Row[]);
  }
  async #count(what: string, sql: string, params: unknown[]): Promise<number> {
    return this.#run(what, async (q) => (await q.query(named(sql, params))).rowCount ?? 0);
  }

  async createAccount(a: Account): Promise<boolean> {
    const envs = a.environments ? JSON.stringify(a.environments) : null;
    const sql = `INSERT INTO accounts (name, password_hash, created_at, expires_at, environments) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (name) DO NOTHING`;
    return (await this.#count('createAccount', sql, [a.name, a.passwordHash, a.createdAt.getTime(), a.expiresAt.getTime(), envs])) === 1;
  }
  async getAccount(name: string): Promise<Account | undefined> {
    const [r] = await this.#rows('getAccount', 'SELECT * FROM accounts WHERE name = $1', [name]);
    return r ? toAccount(r) : undefined;
  }
  async getLoginAccount(name: string): Promise<{ account: Account; throttle?: LoginThrottleState } | undefined> {
    const sql = `SELECT a.*, t.failures AS t_failures, t.level AS t_level, t.locked_at AS t_locked_at, t.locked_until AS t_locked_until
      FROM accounts a LEFT JOIN login_throttle t ON t.account = a.name WHERE a.name = $1`;
    const [r] = await this.#rows('getLoginAccount', sql, [name]);
    if (!r) return undefined;
    const t =
      r.t_failures == null
        ? undefined
        : { account: r.name, failures: r.t_failures, level: r.t_level, locked_at: r.t_locked_at, locked_until: r.t_locked_until };
    return { account: toAccount(r), ...(t ? { throttle: toThrottle(t) } : {}) };
  }
  async getAccountAndOwnership(account: string, environment: string): Promise<{ account?: Account; ownership?: Ownership }> {
    // A left join from the account: an ownership row without its account cannot exist (ON DELETE CASCADE).
    const sql = `SELECT a.name AS a_name, a.password_hash, a.created_at AS a_created_at, a.expires_at, a.environments,
        o.account, o.environment, o.container_id, o.container_name, o.created_at, o.state, o.started_at, o.last_seen_at, o.stop_reason
      FROM accounts a LEFT JOIN ownership o ON o.account = a.name AND o.environment = $2 WHERE a.name = $1`;
    const [r] = await this.#rows('getAccountAndOwnership', sql, [account, environment]);
    if (!r) return {};
    const a = toAccount({ ...r, name: r.a_name, created_at: r.a_created_at });
    return { account: a, ...(r.container_id == null ? {} : { ownership: toOwnership(r) }) };
  }
  async listAccounts(): Promise<Account[]> {
    return (await this.#rows('listAccounts', 'SELECT * FROM accounts ORDER BY name COLLATE "C"')).map(toAccount);
  }
  async deleteAccount(name: string): Promise<boolean> {
    return (await this.#count('deleteAccount', 'DELETE FROM accounts WHERE name = $1', [name])) === 1;
  }
  async setExpiry(name: string, expiresAt: Date): Promise<boolean> {
    return (await this.#count('setExpiry', 'UPDATE accounts SET expires_at = $1 WHERE name = $2', [expiresAt.getTime(), name])) === 1;
  }
  async setPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    return (await this.#count('setPasswordHash', 'UPDATE accounts SET password_hash = $1 WHERE name = $2', [passwordHash, name])) === 1;
  }

  async getOwnership(account: string, environment: string): Promise<Ownership | undefined> {
    const [r] = await this.#rows('getOwnership', 'SELECT * FROM ownership WHERE account = $1 AND environment = $2', [account, environment]);
    return r ? toOwnership(r) : undefined;
  }
  async listOwnership(account?: string): Promise<Ownership[]> {
    const rows =
      account === undefined
        ? await this.#rows('listOwnership', 'SELECT * FROM ownership ORDER BY account COLLATE "C", environment COLLATE "C"')
        : await this.#rows('listOwnership', 'SELECT * FROM ownership WHERE account = $1 ORDER BY environment COLLATE "C"', [account]);
    return rows.map(toOwnership);
  }
  async putOwnership(o: Ownership): Promise<void> {
    const sql = `INSERT INTO ownership
        (account, environment, container_id, container_name, created_at, state, started_at, last_seen_at, stop_reason)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (account, environment) DO UPDATE SET
        container_id = excluded.container_id, container_name = excluded.container_name, created_at = excluded.created_at,
        state = excluded.state, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, stop_reason = excluded.stop_reason`;
    const p = [o.account, o.environment, o.containerId, o.containerName, o.createdAt.getTime(), o.state ?? 'stopped'];
    await this.#count('putOwnership', sql, [...p, msOrNull(o.startedAt), msOrNull(o.lastSeenAt), o.stopReason ?? null]);
  }
  async deleteOwnership(account: string, environment: string): Promise<void> {
    await this.#count('deleteOwnership', 'DELETE FROM ownership WHERE account = $1 AND environment = $2', [account, environment]);
  }
  async markStarted(account: string, environment: string, at: Date): Promise<void> {
    const sql = `UPDATE ownership SET state = 'running', started_at = $1, last_seen_at = $1, stop_reason = NULL WHERE account = $2 AND environment = $3`;
    await this.#count('markStarted', sql, [at.getTime(), account, environment]);
  }
  async markSeen(account: string, environment: string, at: Date): Promise<void> {
    await this.#count('markSeen', 'UPDATE ownership SET last_seen_at = $1 WHERE account = $2 AND environment = $3', [at.getTime(), account, environment]);
  }
  async markSeenMany(pairs: readonly { readonly account: string; readonly environment: string }[], at: Date): Promise<void> {
    if (pairs.length === 0) return;
    // One statement for the room: the pairs as two arrays, joined back by position.
    const sql = `UPDATE ownership AS o SET last_seen_at = $1 FROM unnest($2::text[], $3::text[]) AS s(account, environment)
      WHERE o.account = s.account AND o.environment = s.environment`;
    await this.#count('markSeenMany', sql, [at.getTime(), pairs.map((p) => p.account), pairs.map((p) => p.environment)]);
  }
  async markStopped(account: string, environment: string, reason: string): Promise<void> {
    // The first reason wins: a stop ISLET decided is not overwritten by the shell-exit that follows it.
    const sql = `UPDATE ownership SET state = 'stopped', stop_reason = $1 WHERE account = $2 AND environment = $3 AND state = 'running'`;
    await this.#count('markStopped', sql, [reason, account, environment]);
  }
  async addKey(k: StoredKey): Promise<boolean> {
    const sql = `INSERT INTO keys (account, algo, data, comment, added_at) SELECT $1, $2, $3, $4, $5
      WHERE EXISTS (SELECT 1 FROM accounts WHERE name = $1) ON CONFLICT (account, data) DO NOTHING`;
    return (await this.#count('addKey', sql, [k.account, k.algo, k.data, k.comment, k.addedAt.getTime()])) === 1;
  }
  async listKeys(account: string): Promise<StoredKey[]> {
    const rows = await this.#rows('listKeys', 'SELECT * FROM keys WHERE account = $1 ORDER BY added_at', [account]);
    return rows.map(toKey);
  }
  async countRunning(account?: string): Promise<number> {
    const [r] =
      account === undefined
        ? await this.#rows('countRunning', `SELECT COUNT(*) AS n FROM ownership WHERE state = 'running'`)
        : await this.#rows('countRunning', `SELECT COUNT(*) AS n FROM ownership WHERE state = 'running' AND account = $1`, [account]);
    return Number(r?.n ?? 0);
  }

  async getLoginThrottle(account: string): Promise<LoginThrottleState | undefined> {
    const [r] = await this.#rows('getLoginThrottle', 'SELECT * FROM login_throttle WHERE account = $1', [account]);
    return r ? toThrottle(r) : undefined;
  }
  async putLoginThrottle(t: LoginThrottleState): Promise<boolean> {
    const sql = `INSERT INTO login_throttle (account, failures, level, locked_at, locked_until) SELECT $1, $2, $3, $4, $5
      WHERE EXISTS (SELECT 1 FROM accounts WHERE name = $1)
      ON CONFLICT (account) DO UPDATE SET
        failures = excluded.failures, level = excluded.level, locked_at = excluded.locked_at, locked_until = excluded.locked_until`;
    const failures = JSON.stringify(t.failures.map((d) => d.getTime()));
    return (await this.#count('putLoginThrottle', sql, [t.account, failures, t.level, msOrNull(t.lockedAt), msOrNull(t.lockedUntil)])) === 1;
  }
  async deleteLoginThrottle(account: string): Promise<boolean> {
    return (await this.#count('deleteLoginThrottle', 'DELETE FROM login_throttle WHERE account = $1', [account])) === 1;
  }
  async listLoginThrottles(): Promise<LoginThrottleState[]> {
    return (await this.#rows('listLoginThrottles', 'SELECT * FROM login_throttle ORDER BY account COLLATE "C"')).map(toThrottle);
  }

  async loginFailed(account: string, now: Date, lim: LoginFailureLimits): Promise<LoginFailureOutcome | undefined> {
    // One round trip: the rule of throttle-rule.ts under the throttle row's lock (migration 5).
    const sql = 'SELECT * FROM islet_login_failed($1, $2, $3, $4, $5, $6, $7)';
    const params = [account, now.getTime(), lim.windowMs, lim.failures, lim.firstLockMs, lim.maxLockMs, lim.levelResetMs];
    const [r] = await this.#rows('loginFailed', sql, params);
    if (!r || r.o_level == null) return undefined;
    return {
      newlyLocked: r.o_newly === true,
      failures: Number(r.o_failures),
      level: Number(r.o_level),
      ...(r.o_locked_until == null ? {} : { lockedUntil: new Date(Number(r.o_locked_until)) }),
    };
  }
  async addressEvent(e: AddressEvent): Promise<{ times: number[]; recorded: boolean }> {
    const sql = 'SELECT * FROM islet_address_event($1, $2, $3, $4, $5, $6)';
    const [r] = await this.#rows('addressEvent', sql, [e.kind, e.key, e.now.getTime(), e.windowMs, e.limit ?? 0, e.cap ?? 0]);
    return { times: ((r?.o_times ?? []) as unknown[]).map(Number), recorded: r?.o_recorded === true };
  }
  async countAddressEvents(kind: string, key: string, since: Date): Promise<number> {
    const sql = 'SELECT COUNT(*) AS n FROM address_events WHERE kind = $1 AND address = $2 AND at_ms > $3';
    const [r] = await this.#rows('countAddressEvents', sql, [kind, key, since.getTime()]);
    return Number(r?.n ?? 0);
  }

  storeId(): string {
    return this.#storeId;
  }
  async adoptContainer(containerId: string, fromStore: string, at: Date): Promise<void> {
    const sql = 'INSERT INTO adopted_containers (container_id, from_store, adopted_at) VALUES ($1, $2, $3) ON CONFLICT (container_id) DO NOTHING';
    await this.#count('adoptContainer', sql, [containerId, fromStore, at.getTime()]);
  }
  async listAdopted(): Promise<Set<string>> {
    return new Set((await this.#rows('listAdopted', 'SELECT container_id FROM adopted_containers')).map((r) => String(r.container_id)));
  }
  async forgetAdopted(containerId: string): Promise<void> {
    await this.#count('forgetAdopted', 'DELETE FROM adopted_containers WHERE container_id = $1', [containerId]);
  }

  async claimCapacity(c: CapacityClaim): Promise<CapacityAnswer> {
    // One round trip: lock, drop expired claims, count, insert (migration 4; the rule of capacity.ts).
    const params = [c.id, c.account, c.maxContainers, c.maxPerAccount, c.now.getTime(), c.expiresAt.getTime()];
    const [r] = await this.#rows('claimCapacity', 'SELECT islet_claim_capacity($1, $2, $3, $4, $5, $6) AS answer', params);
    const answer = String(r?.answer);
    if (answer !== 'ok' && answer !== 'full' && answer !== 'account_full')
      throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', `claimCapacity: ${answer}`);
    return answer;
  }
  async releaseCapacity(id: string): Promise<void> {
    await this.#count('releaseCapacity', 'DELETE FROM capacity_claims WHERE id = $1', [id]);
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.exclusive(key, fn);
  }

  async acquireLease(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    const sql = `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`;
    return (await this.#count('acquireLease', sql, [name, holder, expiresAt.getTime(), now.getTime()])) === 1;
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#count('releaseLease', 'DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
  async listLeases(prefix: string): Promise<{ name: string; holder: string }[]> {
    // left(), not LIKE: a prefix is matched as it is written (no wildcards to escape).
    const rows = await this.#rows('listLeases', 'SELECT name, holder FROM leases WHERE left(name, length($1)) = $1 ORDER BY name', [prefix]);
    return rows.map((r) => ({ name: String(r.name), holder: String(r.holder) }));
  }

  async putInstructorSession(s: InstructorSessionRecord): Promise<void> {
    const sql = `INSERT INTO instructor_sessions (token_hash, instructor, credential, expires_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (token_hash) DO UPDATE SET instructor = excluded.instructor, credential = excluded.credential, expires_at = excluded.expires_at`;
    await this.#count('putInstructorSession', sql, [s.tokenHash, s.instructor, s.credential, s.expiresAt.getTime()]);
  }
  async getInstructorSession(tokenHash: string): Promise<InstructorSessionRecord | undefined> {
    const [r] = await this.#rows('getInstructorSession', 'SELECT * FROM instructor_sessions WHERE token_hash = $1', [tokenHash]);
    return r ? toInstructorSession(r) : undefined;
  }
  async deleteInstructorSessions(which: { tokenHash: string } | { expiredAt: Date } | { instructor: string }): Promise<number> {
    const [where, v] = instructorSessionsWhere(which, '$1');
    return this.#count('deleteInstructorSessions', `DELETE FROM instructor_sessions WHERE ${where}`, [v]);
  }
  async getInstructorThrottle(instructor: string): Promise<LoginThrottleState | undefined> {
    const [r] = await this.#rows('getInstructorThrottle', 'SELECT * FROM instructor_throttle WHERE account = $1', [instructor]);
    return r ? toThrottle(r) : undefined;
  }
  async putInstructorThrottle(t: LoginThrottleState): Promise<void> {
    const sql = `INSERT INTO instructor_throttle (account, failures, level, locked_at, locked_until) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (account) DO UPDATE SET
        failures = excluded.failures, level = excluded.level, locked_at = excluded.locked_at, locked_until = excluded.locked_until`;
    const failures = JSON.stringify(t.failures.map((d) => d.getTime()));
    await this.#count('putInstructorThrottle', sql, [t.account, failures, t.level, t.lockedAt?.getTime() ?? null, t.lockedUntil?.getTime() ?? null]);
  }
  async deleteInstructorThrottle(instructor: string): Promise<boolean> {
    return (await this.#count('deleteInstructorThrottle', 'DELETE FROM instructor_throttle WHERE account = $1', [instructor])) === 1;
  }

  /** Ends the connections; one still held by unfinished work is left to the process's end after 5 s. */
  async close(): Promise<void> {
    const ended = Promise.allSettled([this.#pool.end(), this.#locks.close()]);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
