/**
 * The persistence plug-point: accounts and container ownership. SQLite
 * (sqlite-store.ts, the default), PostgreSQL (postgres-store.ts, shared by
 * several front doors) and memory (memory-store.ts, unit tests) implement it.
 * Everything that must survive a restart of ISLET lives here.
 *
 * Contract: every method is asynchronous (a network store answers later) and
 * rejects with IsletError STORE_FAILED, except storeId(), a constant read when
 * the store was opened; names are compared exactly (usernames are
 * case-sensitive, as in the original).
 */
export interface Account {
  readonly name: string;
  readonly passwordHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The environments this account may use (menu, direct login, commands); absent: every enabled one. */
  readonly environments?: readonly string[];
}

/** Which container serves an (account, environment) pair. */
export interface Ownership {
  readonly account: string;
  readonly environment: string;
  readonly containerId: string;
  readonly containerName: string;
  readonly createdAt: Date;
  /** As ISLET last saw it: 'running' after a start, 'stopped' after an exit or a stop. */
  readonly state?: 'running' | 'stopped';
  /** When the current run started (for the maximum running time). */
  readonly startedAt?: Date;
  /** Last time a trainee attached or left (for idle culling). */
  readonly lastSeenAt?: Date;
  /** Why ISLET last stopped it (shown to the admin). */
  readonly stopReason?: string;
}

/** An SSH public key enrolled for direct login. */
export interface StoredKey {
  readonly account: string;
  /** Key type, e.g. ssh-ed25519. */
  readonly algo: string;
  /** The public key blob, base64 (as in authorized_keys). */
  readonly data: string;
  readonly comment: string;
  readonly addedAt: Date;
}

/**
 * Failed password logins of one account (per-account throttling, src/access/account-throttle.ts):
 * kept here so a lock survives a restart and the CLI (another process) sees and clears it.
 */
export interface LoginThrottleState {
  readonly account: string;
  /** Times of recent failed password logins, oldest first (only those inside the counting window). */
  readonly failures: readonly Date[];
  /** How many times the account was locked in a row; each lock lasts twice the one before. */
  readonly level: number;
  readonly lockedAt?: Date;
  readonly lockedUntil?: Date;
}

/**
 * A start in progress (admission control, src/sessions/admission.ts): counted with the running containers,
 * by every server sharing the store, until released, or until it expires (its server died mid-start).
 */
export interface CapacityClaim {
  /** Unique per start. */
  readonly id: string;
  readonly account: string;
  /** Containers running or being started at once, in all and per account; 0: no limit. */
  readonly maxContainers: number;
  readonly maxPerAccount: number;
  readonly now: Date;
  readonly expiresAt: Date;
}

/** The account throttle's limits (src/access/account-throttle.ts), in ms, for Store.loginFailed. */
export interface LoginFailureLimits {
  /** Wrong passwords within `windowMs` that lock the account's password logins. */
  readonly failures: number;
  readonly windowMs: number;
  readonly firstLockMs: number;
  readonly maxLockMs: number;
  /** A lock older than this no longer doubles the next one. */
  readonly levelResetMs: number;
}

export interface LoginFailureOutcome {
  /** Set when the account is locked (now or already). */
  readonly lockedUntil?: Date;
  /** True when this failure started the lock. */
  readonly newlyLocked: boolean;
  /** Failures counted in the window after this one (0 right after a lock). */
  readonly failures: number;
  readonly level: number;
}

/**
 * One event of a client address (a failed login, an account created), counted by every server sharing the
 * store. `kind` names the counter, `key` the address.
 */
export interface AddressEvent {
  readonly kind: string;
  readonly key: string;
  readonly now: Date;
  /** Events not after now - windowMs are dropped first. */
  readonly windowMs: number;
  /** > 0: the event is recorded only while fewer than `limit` are in the window (check and record in one step). */
  readonly limit?: number;
  /** > 0: at most this many newest events are kept for the key. */
  readonly cap?: number;
}

/** `ok`: the claim is recorded; `full`: no place in all; `account_full`: the account is at its own limit. */
export type CapacityAnswer = 'ok' | 'full' | 'account_full';

export interface Store {
  /** Whether several servers may share this store (PostgreSQL): the reconciler then runs under a leader lease. */
  readonly shared: boolean;

  /** Inserts an account; returns false when the name is taken (never overwrites). */
  createAccount(a: Account): Promise<boolean>;
  getAccount(name: string): Promise<Account | undefined>;
  /**
   * The account with its throttle row, in one read: all a password login reads before the password check
   * (a network store: one round trip). Undefined when there is no such account.
   */
  getLoginAccount(name: string): Promise<{ account: Account; throttle?: LoginThrottleState } | undefined>;
  /** The account and the pair's ownership row, in one read (the runner's, under the pair's exclusive section). */
  getAccountAndOwnership(account: string, environment: string): Promise<{ account?: Account; ownership?: Ownership }>;
  listAccounts(): Promise<Account[]>;
  /** Deletes the account and (by cascade) its ownership rows. */
  deleteAccount(name: string): Promise<boolean>;
  setExpiry(name: string, expiresAt: Date): Promise<boolean>;
  /** Replaces an account's password hash; false when the account is gone. */
  setPasswordHash(name: string, passwordHash: string): Promise<boolean>;

  getOwnership(account: string, environment: string): Promise<Ownership | undefined>;
  listOwnership(account?: string): Promise<Ownership[]>;
  /** Records (or replaces) the container of an (account, environment) pair. */
  putOwnership(o: Ownership): Promise<void>;
  deleteOwnership(account: string, environment: string): Promise<void>;
  markStarted(account: string, environment: string, at: Date): Promise<void>;
  markSeen(account: string, environment: string, at: Date): Promise<void>;
  /**
   * markSeen for many pairs at once, in one statement or transaction (the lifecycle check marks every attached
   * container each `check_interval`: one round trip for a room, not one per trainee). Pairs without a row are skipped.
   */
  markSeenMany(pairs: readonly { readonly account: string; readonly environment: string }[], at: Date): Promise<void>;
  markStopped(account: string, environment: string, reason: string): Promise<void>;
  /** Enrolls a key; false when the account does not exist or already has it. */
  addKey(k: StoredKey): Promise<boolean>;
  listKeys(account: string): Promise<StoredKey[]>;
  /** Containers ISLET believes are running, in all or for one account (admission control). */
  countRunning(account?: string): Promise<number>;

  getLoginThrottle(account: string): Promise<LoginThrottleState | undefined>;
  /** Records (or replaces) an account's throttle state; false when the account does not exist. */
  putLoginThrottle(t: LoginThrottleState): Promise<boolean>;
  /** Clears an account's throttle state; false when there was none. */
  deleteLoginThrottle(account: string): Promise<boolean>;
  listLoginThrottles(): Promise<LoginThrottleState[]>;
  /**
   * A wrong password for `account` at `now`, counted in one atomic step by the rule of throttle-rule.ts
   * (nextThrottle): two servers counting at once both count, and exactly one of them starts the lock.
   * Undefined when the account does not exist (nothing is recorded).
   */
  loginFailed(account: string, now: Date, lim: LoginFailureLimits): Promise<LoginFailureOutcome | undefined>;

  /**
   * Records an address event in one atomic step (throttle-rule.ts, nextEvents): across every server sharing
   * the store, so `limit` is never overshot. Returns the key's event times in the window after (oldest
   * first, ms) and whether this one was recorded.
   */
  addressEvent(e: AddressEvent): Promise<{ times: number[]; recorded: boolean }>;
  /** The key's events after `since` (nothing is recorded). */
  countAddressEvents(kind: string, key: string, since: Date): Promise<number>;

  /**
   * This store's id: random, made when the store is created, never changed. Every container ISLET
   * creates carries it as the `islet.store` label; reconcilers act only on containers carrying it
   * (or adopted below), so two ISLETs on one engine never remove each other's containers.
   */
  storeId(): string;
  /** Records that this store took over a container of another store (`--take-over`): labels cannot change, so the claim lives here. */
  adoptContainer(containerId: string, fromStore: string, at: Date): Promise<void>;
  /** Container ids taken over from other stores. */
  listAdopted(): Promise<Set<string>>;
  /** Drops a taken-over id once its container is gone (ids are never reused). */
  forgetAdopted(containerId: string): Promise<void>;

  /**
   * One transaction: counts running containers (ownership rows in state running) and unexpired claims, in
   * all and for the claim's account, and records the claim only when both are under their limits (expired
   * claims are dropped on the way). Two servers claiming the last place at once: one gets `full`.
   */
  claimCapacity(c: CapacityClaim): Promise<CapacityAnswer>;
  /** Ends a claim (the start is recorded as running, or failed); unknown ids are ignored. */
  releaseCapacity(id: string): Promise<void>;

  /**
   * Runs `fn` while no other `exclusive` call with the same key runs: in this process, and on every
   * server sharing the store (PostgreSQL: an advisory lock, released by the database if the server dies).
   * Used per (account, environment), so two logins never race to create two containers.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;

  /**
   * Takes the lease `name` for `holder` until `expiresAt`, or renews it when `holder` has it; true when
   * `holder` has it afterwards. A lease whose expiry is not after `now` is free (its holder stopped renewing).
   */
  acquireLease(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** Gives the lease up (when `holder` has it), so another server takes over at once. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Every lease whose name starts with `prefix` (the pool's store claims, for the reconciler), expired or not. */
  listLeases(prefix: string): Promise<{ readonly name: string; readonly holder: string }[]>;

  /** The instructor console's sessions (src/console/instructor-sessions.ts): a restart logs nobody out. Put replaces. */
  putInstructorSession(s: InstructorSessionRecord): Promise<void>;
  getInstructorSession(tokenHash: string): Promise<InstructorSessionRecord | undefined>;
  /** Ends one session, every session that expired by `expiredAt`, or every session of an instructor; returns how many. */
  deleteInstructorSessions(which: { tokenHash: string } | { expiredAt: Date } | { instructor: string }): Promise<number>;
  /** The per-instructor login back-off (AccountThrottle's state, `account` = the instructor's name). Put replaces. */
  getInstructorThrottle(instructor: string): Promise<LoginThrottleState | undefined>;
  putInstructorThrottle(t: LoginThrottleState): Promise<void>;
  deleteInstructorThrottle(instructor: string): Promise<boolean>;

  close(): Promise<void>;
}

/** An instructor console session as stored: the cookie's key is never stored, only its hash. */
export interface InstructorSessionRecord {
  /** SHA-256 of the session's cookie key (base64url). */
  readonly tokenHash: string;
  readonly instructor: string;
  /** Fingerprint of the instructor's password hash at login: a new password ends the session. */
  readonly credential: string;
  readonly expiresAt: Date;
}
