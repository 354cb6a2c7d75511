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
}

/** Which container serves an (account, environment) pair. */
export interface Ownership {
  readonly account: string;
  readonly environment: string;
  readonly containerId: string;
  readonly containerName: string;
  readonly createdAt: Date;
}

export interface Store {
  /** Inserts an account; returns false when the name is taken (never overwrites). */
  createAccount(a: Account): boolean;
  getAccount(name: string): Account | undefined;
  listAccounts(): Account[];
  /** Deletes the account and (by cascade) its ownership rows. */
  deleteAccount(name: string): boolean;
  setExpiry(name: string, expiresAt: Date): boolean;

  getOwnership(account: string, environment: string): Ownership | undefined;
  listOwnership(account?: string): Ownership[];
  /** Records (or replaces) the container of an (account, environment) pair. */
  putOwnership(o: Ownership): void;
  deleteOwnership(account: string, environment: string): void;

  close(): void;
}
