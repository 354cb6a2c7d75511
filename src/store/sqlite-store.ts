/**
 * SQLite implementation of Store (node:sqlite, WAL, foreign keys on), the default: one server per data
 * directory (admin commands in other processes share the file). The schema comes from migrations.ts.
 * Every statement is prepared once and parameterised; node:sqlite is synchronous, so each method has
 * done its work when its promise is made. `exclusive` serialises within this process only (KeyLock);
 * the capacity claim is one BEGIN IMMEDIATE transaction, so it holds across processes on the file too.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { chmodSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { IsletError } from '../core/islet-error.ts';
import { KeyLock } from '../core/key-lock.ts';
import { capacityAnswer } from './capacity.ts';
import { migrateSqlite } from './sqlite-migrate.ts';
import { type Row, toAccount, toKey, toOwnership, toThrottle } from './rows.ts';
import { instructorSessionsWhere, toInstructorSession } from './rows.ts';
import type { InstructorSessionRecord } from './store.ts';
import { nextThrottle } from './throttle-rule.ts';
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

export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #q: Record<string, StatementSync>;
  readonly #storeId: string;
  readonly #exclusive = new KeyLock();
  readonly shared = false;

  /** Opens (creating when missing) the database file; the file is made mode 0600. */
  constructor(path: string) {
    try {
      this.#db = new DatabaseSync(path);
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
      migrateSqlite(this.#db);
      // Made once, when the store is created (or first opened by a version that knows it), and never changed.
      this.#db.prepare(`INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT(key) DO NOTHING`).run(randomBytes(8).toString('hex'));
      this.#storeId = String((this.#db.prepare(`SELECT value FROM meta WHERE key = 'store_id'`).get() as Row).value);
    } catch (err) {
      const detail = `cannot open ${path}: ${(err as Error).message}`;
      throw new IsletError('STORE_FAILED', 'The account database is not available. Please tell the instructor.', detail, { path }, err);
    }
    if (path !== ':memory:') {
      for (const p of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(p)) chmodSync(p, 0o600);
    }
    const db = this.#db;
    this.#q = {
      insertAccount: db.prepare(
        'INSERT INTO accounts (name, password_hash, created_at, expires_at, environments) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
      ),
      getAccount: db.prepare('SELECT * FROM accounts WHERE name = ?'),
      listAccounts: db.prepare('SELECT * FROM accounts ORDER BY name'),
      deleteAccount: db.prepare('DELETE FROM accounts WHERE name = ?'),
      setExpiry: db.prepare('UPDATE accounts SET expires_at = ? WHERE name = ?'),
      setPasswordHash: db.prepare('UPDATE accounts SET password_hash = ? WHERE name = ?'),
      getOwnership: db.prepare('SELECT * FROM ownership WHERE account = ? AND environment = ?'),
      listOwnership: db.prepare('SELECT * FROM ownership ORDER BY account, environment'),
      listOwnershipOf: db.prepare('SELECT * FROM ownership WHERE account = ? ORDER BY environment'),
      putOwnership: db.prepare(`INSERT INTO ownership
          (account, environment, container_id, container_name, created_at, state, started_at, last_seen_at, stop_reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(account, environment) DO UPDATE SET
          container_id = excluded.container_id, container_name = excluded.container_name, created_at = excluded.created_at,
          state = excluded.state, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, stop_reason = excluded.stop_reason`),
      markStarted: db.prepare(`UPDATE ownership SET state = 'running', started_at = ?, last_seen_at = ?, stop_reason = NULL
        WHERE account = ? AND environment = ?`),
      markSeen: db.prepare('UPDATE ownership SET last_seen_at = ? WHERE account = ? AND environment = ?'),
      // The first reason wins: a stop ISLET decided is not overwritten by the shell-exit that follows it.
      markStopped: db.prepare(`UPDATE ownership SET state = 'stopped', stop_reason = ? WHERE account = ? AND environment = ? AND state = 'running'`),
      addKey: db.prepare(`INSERT INTO keys (account, algo, data, comment, added_at) SELECT ?, ?, ?, ?, ?
        WHERE EXISTS (SELECT 1 FROM accounts WHERE name = ?) ON CONFLICT(account, data) DO NOTHING`),
      listKeys: db.prepare('SELECT * FROM keys WHERE account = ? ORDER BY added_at'),
      countRunning: db.prepare(`SELECT COUNT(*) AS n FROM ownership WHERE state = 'running'`),
      countRunningOf: db.prepare(`SELECT COUNT(*) AS n FROM ownership WHERE state = 'running' AND account = ?`),
      deleteOwnership: db.prepare('DELETE FROM ownership WHERE account = ? AND environment = ?'),
      getThrottle: db.prepare('SELECT * FROM login_throttle WHERE account = ?'),
      listThrottles: db.prepare('SELECT * FROM login_throttle ORDER BY account'),
      putThrottle: db.prepare(`INSERT INTO login_throttle (account, failures, level, locked_at, locked_until) SELECT ?, ?, ?, ?, ?
        WHERE EXISTS (SELECT 1 FROM accounts WHERE name = ?)
        ON CONFLICT(account) DO UPDATE SET
          failures = excluded.failures, level = excluded.level, locked_at = excluded.locked_at, locked_until = excluded.locked_until`),
      deleteThrottle: db.prepare('DELETE FROM login_throttle WHERE account = ?'),
      claimsRunning: db.prepare(`SELECT
          (SELECT COUNT(*) FROM ownership WHERE state = 'running') + (SELECT COUNT(*) FROM capacity_claims) AS total,
          (SELECT COUNT(*) FROM ownership WHERE state = 'running' AND account = ?) + (SELECT COUNT(*) FROM capacity_claims WHERE account = ?) AS mine`),
      eventTimes: db.prepare('SELECT at_ms FROM address_events WHERE kind = ? AND address = ? ORDER BY at_ms'),
      dropOldEvents: db.prepare('DELETE FROM address_events WHERE kind = ? AND address = ? AND at_ms <= ?'),
      countAllEvents: db.prepare('SELECT COUNT(*) AS n FROM address_events WHERE kind = ? AND address = ?'),
      dropOldestEvents: db.prepare(
        'DELETE FROM address_events WHERE rowid IN (SELECT rowid FROM address_events WHERE kind = ? AND address = ? ORDER BY at_ms LIMIT ?)',
      ),
      insertEvent: db.prepare('INSERT INTO address_events (kind, address, at_ms) VALUES (?, ?, ?)'),
      countEvents: db.prepare('SELECT COUNT(*) AS n FROM address_events WHERE kind = ? AND address = ? AND at_ms > ?'),
      dropExpiredClaims: db.prepare('DELETE FROM capacity_claims WHERE expires_at <= ?'),
      insertClaim: db.prepare('INSERT INTO capacity_claims (id, account, expires_at) VALUES (?, ?, ?)'),
      releaseClaim: db.prepare('DELETE FROM capacity_claims WHERE id = ?'),
      acquireLease: db.prepare(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
        ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`),
      leaseHolder: db.prepare('SELECT holder FROM leases WHERE name = ?'),
      releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
      // substr, not LIKE: a prefix is matched as it is written (no wildcards to escape).
      listLeases: db.prepare('SELECT name, holder FROM leases WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name'),
      adoptContainer: db.prepare('INSERT INTO adopted_containers (container_id, from_store, adopted_at) VALUES (?, ?, ?) ON CONFLICT(container_id) DO NOTHING'),
      listAdopted: db.prepare('SELECT container_id FROM adopted_containers'),
      forgetAdopted: db.prepare('DELETE FROM adopted_containers WHERE container_id = ?'),
    };
  }

  #run<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', `${what}: ${(err as Error).message}`, {}, err);
    }
  }

  async createAccount(a: Account): Promise<boolean> {
    const envs = a.environments ? JSON.stringify(a.environments) : null;
    const insert = () => this.#q.insertAccount!.run(a.name, a.passwordHash, a.createdAt.getTime(), a.expiresAt.getTime(), envs);
    return this.#run('createAccount', () => Number(insert().changes) === 1);
  }
  async getAccount(name: string): Promise<Account | undefined> {
    const r = this.#run('getAccount', () => this.#q.getAccount!.get(name) as Row | undefined);
    return r ? toAccount(r) : undefined;
  }
  /** Two reads in process (no round trip to save). */
  async getLoginAccount(name: string): Promise<{ account: Account; throttle?: LoginThrottleState } | undefined> {
    const account = await this.getAccount(name);
    const throttle = account && (await this.getLoginThrottle(name));
    return account && { account, ...(throttle ? { throttle } : {}) };
  }
  async getAccountAndOwnership(account: string, environment: string): Promise<{ account?: Account; ownership?: Ownership }> {
    const [a, o] = [await this.getAccount(account), await this.getOwnership(account, environment)];
    return { ...(a ? { account: a } : {}), ...(o ? { ownership: o } : {}) };
  }
  async listAccounts(): Promise<Account[]> {
    return this.#run('listAccounts', () => (this.#q.listAccounts!.all() as Row[]).map(toAccount));
  }
  async deleteAccount(name: string): Promise<boolean> {
    return this.#run('deleteAccount', () => Number(this.#q.deleteAccount!.run(name).changes) === 1);
  }
  async setPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    return this.#run('setPasswordHash', () => Number(this.#q.setPasswordHash!.run(passwordHash, name).changes) === 1);
  }

  async setExpiry(name: string, expiresAt: Date): Promise<boolean> {
    return this.#run('setExpiry', () => Number(this.#q.setExpiry!.run(expiresAt.getTime(), name).changes) === 1);
  }
  async getOwnership(account: string, environment: string): Promise<Ownership | undefined> {
    const r = this.#run('getOwnership', () => this.#q.getOwnership!.get(account, environment) as Row | undefined);
    return r ? toOwnership(r) : undefined;
  }
  async listOwnership(account?: string): Promise<Ownership[]> {
    const rows = () => (account === undefined ? this.#q.listOwnership!.all() : this.#q.listOwnershipOf!.all(account)) as Row[];
    return this.#run('listOwnership', () => rows().map(toOwnership));
  }
  async putOwnership(o: Ownership): Promise<void> {
    const ms = (d?: Date) => (d === undefined ? null : d.getTime());
    this.#run('putOwnership', () =>
      this.#q.putOwnership!.run(
        o.account,
        o.environment,
        o.containerId,
        o.containerName,
        o.createdAt.getTime(),
        o.state ?? 'stopped',
        ms(o.startedAt),
        ms(o.lastSeenAt),
        o.stopReason ?? null,
      ),
    );
  }
  async markStarted(account: string, environment: string, at: Date): Promise<void> {
    this.#run('markStarted', () => this.#q.markStarted!.run(at.getTime(), at.getTime(), account, environment));
  }
  async markSeen(account: string, environment: string, at: Date): Promise<void> {
    this.#run('markSeen', () => this.#q.markSeen!.run(at.getTime(), account, environment));
  }
  async markSeenMany(pairs: readonly { readonly account: string; readonly environment: string }[], at: Date): Promise<void> {
    if (pairs.length === 0) return;
    // One transaction: one WAL commit for the room instead of one per pair.
    this.#run('markSeenMany', () =>
      this.#immediate(() => {
        for (const p of pairs) this.#q.markSeen!.run(at.getTime(), p.account, p.environment);
      }),
    );
  }
  async markStopped(account: string, environment: string, reason: string): Promise<void> {
    this.#run('markStopped', () => this.#q.markStopped!.run(reason, account, environment));
  }
  async addKey(k: StoredKey): Promise<boolean> {
    return this.#run('addKey', () => Number(this.#q.addKey!.run(k.account, k.algo, k.data, k.comment, k.addedAt.getTime(), k.account).changes) === 1);
  }
  async listKeys(account: string): Promise<StoredKey[]> {
    return this.#run('listKeys', () => (this.#q.listKeys!.all(account) as Row[]).map(toKey));
  }
  async countRunning(account?: string): Promise<number> {
    const r = this.#run('countRunning', () => (account === undefined ? this.#q.countRunning!.get() : this.#q.countRunningOf!.get(account)) as Row);
    return Number(r.n);
  }
  async deleteOwnership(account: string, environment: string): Promise<void> {
    this.#run('deleteOwnership', () => this.#q.deleteOwnership!.run(account, environment));
  }
  storeId(): string {
    return this.#storeId;
  }
  async adoptContainer(containerId: string, fromStore: string, at: Date): Promise<void> {
    this.#run('adoptContainer', () => this.#q.adoptContainer!.run(containerId, fromStore, at.getTime()));
  }
  async listAdopted(): Promise<Set<string>> {
    return this.#run('listAdopted', () => new Set((this.#q.listAdopted!.all() as Row[]).map((r) => String(r.container_id))));
  }
  async forgetAdopted(containerId: string): Promise<void> {
    this.#run('forgetAdopted', () => this.#q.forgetAdopted!.run(containerId));
  }
  async getLoginThrottle(account: string): Promise<LoginThrottleState | undefined> {
    const r = this.#run('getLoginThrottle', () => this.#q.getThrottle!.get(account) as Row | undefined);
    return r ? toThrottle(r) : undefined;
  }
  async putLoginThrottle(t: LoginThrottleState): Promise<boolean> {
    return this.#run(
      'putLoginThrottle',
      () =>
        Number(
          this.#q.putThrottle!.run(
            t.account,
            JSON.stringify(t.failures.map((d) => d.getTime())),
            t.level,
            t.lockedAt?.getTime() ?? null,
            t.lockedUntil?.getTime() ?? null,
            t.account,
          ).changes,
        ) === 1,
    );
  }
  async deleteLoginThrottle(account: string): Promise<boolean> {
    return this.#run('deleteLoginThrottle', () => Number(this.#q.deleteThrottle!.run(account).changes) === 1);
  }
  async listLoginThrottles(): Promise<LoginThrottleState[]> {
    return this.#run('listLoginThrottles', () => (this.#q.listThrottles!.all() as Row[]).map(toThrottle));
  }
  /** `fn` in one BEGIN IMMEDIATE transaction (atomic across processes on the file too). */
  #immediate<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }
  async loginFailed(account: string, now: Date, lim: LoginFailureLimits): Promise<LoginFailureOutcome | undefined> {
    return this.#run('loginFailed', () =>
      this.#immediate(() => {
        if (!this.#q.getAccount!.get(account)) return undefined;
        const old = this.#q.getThrottle!.get(account) as Row | undefined;
        const { state: t, outcome } = nextThrottle(account, old ? toThrottle(old) : undefined, now.getTime(), lim);
        const failures = JSON.stringify(t.failures.map((d) => d.getTime()));
        this.#q.putThrottle!.run(account, failures, t.level, t.lockedAt?.getTime() ?? null, t.lockedUntil?.getTime() ?? null, account);
        return outcome;
      }),
    );
  }
  async addressEvent(e: AddressEvent): Promise<{ times: number[]; recorded: boolean }> {
    return this.#run('addressEvent', () =>
      // The rule of throttle-rule.ts (nextEvents) as islet_address_event does it in PostgreSQL: only the new
      // row is written and only expired or capped rows deleted (rewriting the key's rows made a room behind
      // one NAT address pay for every earlier creation on each new one).
      this.#immediate(() => {
        const now = e.now.getTime();
        this.#q.dropOldEvents!.run(e.kind, e.key, now - e.windowMs);
        let n = Number((this.#q.countAllEvents!.get(e.kind, e.key) as Row).n);
        const recorded = !(e.limit && e.limit > 0 && n >= e.limit);
        if (recorded) {
          this.#q.insertEvent!.run(e.kind, e.key, now);
          n++;
        }
        if (e.cap && e.cap > 0 && n > e.cap) this.#q.dropOldestEvents!.run(e.kind, e.key, n - e.cap);
        return { times: (this.#q.eventTimes!.all(e.kind, e.key) as Row[]).map((r) => Number(r.at_ms)), recorded };
      }),
    );
  }
  async countAddressEvents(kind: string, key: string, since: Date): Promise<number> {
    return this.#run('countAddressEvents', () => Number((this.#q.countEvents!.get(kind, key, since.getTime()) as Row).n));
  }
  async claimCapacity(c: CapacityClaim): Promise<CapacityAnswer> {
    return this.#run('claimCapacity', () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        this.#q.dropExpiredClaims!.run(c.now.getTime());
        const n = this.#q.claimsRunning!.get(c.account, c.account) as Row;
        const answer = capacityAnswer(c, Number(n.total), Number(n.mine));
        if (answer === 'ok') this.#q.insertClaim!.run(c.id, c.account, c.expiresAt.getTime());
        this.#db.exec('COMMIT');
        return answer;
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }
  async releaseCapacity(id: string): Promise<void> {
    this.#run('releaseCapacity', () => this.#q.releaseClaim!.run(id));
  }
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#exclusive.run(key, fn);
  }
  async acquireLease(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    return this.#run('acquireLease', () => {
      this.#q.acquireLease!.run(name, holder, expiresAt.getTime(), now.getTime());
      return (this.#q.leaseHolder!.get(name) as Row | undefined)?.holder === holder;
    });
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    this.#run('releaseLease', () => this.#q.releaseLease!.run(name, holder));
  }
  async listLeases(prefix: string): Promise<{ name: string; holder: string }[]> {
    return this.#run('listLeases', () => (this.#q.listLeases!.all(prefix) as Row[]).map((r) => ({ name: String(r.name), holder: String(r.holder) })));
  }
  // The instructor console's rows (rare: a login, a restart, a logout): statements prepared per call.
  async putInstructorSession(s: InstructorSessionRecord): Promise<void> {
    this.#run('putInstructorSession', () =>
      this.#db
        .prepare('INSERT OR REPLACE INTO instructor_sessions (token_hash, instructor, credential, expires_at) VALUES (?, ?, ?, ?)')
        .run(s.tokenHash, s.instructor, s.credential, s.expiresAt.getTime()),
    );
  }
  async getInstructorSession(tokenHash: string): Promise<InstructorSessionRecord | undefined> {
    const q = 'SELECT * FROM instructor_sessions WHERE token_hash = ?';
    const r = this.#run('getInstructorSession', () => this.#db.prepare(q).get(tokenHash) as Row | undefined);
    return r ? toInstructorSession(r) : undefined;
  }
  async deleteInstructorSessions(which: { tokenHash: string } | { expiredAt: Date } | { instructor: string }): Promise<number> {
    const [where, v] = instructorSessionsWhere(which, '?');
    const q = `DELETE FROM instructor_sessions WHERE ${where}`;
    return this.#run('deleteInstructorSessions', () => Number(this.#db.prepare(q).run(v).changes));
  }
  async getInstructorThrottle(instructor: string): Promise<LoginThrottleState | undefined> {
    const q = 'SELECT * FROM instructor_throttle WHERE account = ?';
    const r = this.#run('getInstructorThrottle', () => this.#db.prepare(q).get(instructor) as Row | undefined);
    return r ? toThrottle(r) : undefined;
  }
  async putInstructorThrottle(t: LoginThrottleState): Promise<void> {
    const failures = JSON.stringify(t.failures.map((d) => d.getTime()));
    this.#run('putInstructorThrottle', () =>
      this.#db
        .prepare('INSERT OR REPLACE INTO instructor_throttle (account, failures, level, locked_at, locked_until) VALUES (?, ?, ?, ?, ?)')
        .run(t.account, failures, t.level, t.lockedAt?.getTime() ?? null, t.lockedUntil?.getTime() ?? null),
    );
  }
  async deleteInstructorThrottle(instructor: string): Promise<boolean> {
    const q = 'DELETE FROM instructor_throttle WHERE account = ?';
    return this.#run('deleteInstructorThrottle', () => Number(this.#db.prepare(q).run(instructor).changes) === 1);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
