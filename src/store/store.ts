/**
 * The persistence plug-point: accounts and container ownership. SQLite
 * implements it now (sqlite-store.ts); PostgreSQL can later implement the
 * same interface. Everything that must survive a restart of ISLET lives here.
 *
 * Contract: methods are synchronous-looking but may throw IsletError
 * STORE_FAILED; names are compared exactly (usernames are case-sensitive,
 * as in the original).
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

export interface Store {
  /** Inserts an account; returns false when the name is taken (never overwrites). */
  createAccount(a: Account): boolean;
  getAccount(name: string): Account | undefined;
  listAccounts(): Account[];
  /** Deletes the account and (by cascade) its ownership rows. */
  deleteAccount(name: string): boolean;
  setExpiry(name: string, expiresAt: Date): boolean;
  /** Replaces an account's password hash; false when the account is gone. */
  setPasswordHash(name: string, passwordHash: string): boolean;

  getOwnership(account: string, environment: string): Ownership | undefined;
  listOwnership(account?: string): Ownership[];
  /** Records (or replaces) the container of an (account, environment) pair. */
  putOwnership(o: Ownership): void;
  deleteOwnership(account: string, environment: string): void;
  markStarted(account: string, environment: string, at: Date): void;
  markSeen(account: string, environment: string, at: Date): void;
  markStopped(account: string, environment: string, reason: string): void;
  /** Enrolls a key; false when the account does not exist or already has it. */
  addKey(k: StoredKey): boolean;
  listKeys(account: string): StoredKey[];
  /** Containers ISLET believes are running, in all or for one account (admission control). */
  countRunning(account?: string): number;

  getLoginThrottle(account: string): LoginThrottleState | undefined;
  /** Records (or replaces) an account's throttle state; false when the account does not exist. */
  putLoginThrottle(t: LoginThrottleState): boolean;
  /** Clears an account's throttle state; false when there was none. */
  deleteLoginThrottle(account: string): boolean;
  listLoginThrottles(): LoginThrottleState[];

  /**
   * This store's id: random, made when the store is created, never changed. Every container ISLET
   * creates carries it as the `islet.store` label; reconcilers act only on containers carrying it
   * (or adopted below), so two ISLETs on one engine never remove each other's containers.
   */
  storeId(): string;
  /** Records that this store took over a container of another store (`--take-over`): labels cannot change, so the claim lives here. */
  adoptContainer(containerId: string, fromStore: string, at: Date): void;
  /** Container ids taken over from other stores. */
  listAdopted(): Set<string>;
  /** Drops a taken-over id once its container is gone (ids are never reused). */
  forgetAdopted(containerId: string): void;

  close(): void;
}
