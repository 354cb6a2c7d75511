/**
 * Trainee accounts: the rules for names and passwords, creation with expiry,
 * and login. Passwords never leave this module except as scrypt hashes, or
 * to the hashing function it was given (the server's BackgroundHasher).
 */
import { IsletError } from '../core/islet-error.ts';
import type { Account, Store } from '../store/store.ts';
import { INTERIM_N, decoyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';

/** Usernames as in the original ISLET: letters and digits only (rejected, never silently altered). */
export const usernamePattern = /^[A-Za-z0-9]{1,32}$/;
export const usernameRules = 'letters a-z, A-Z and digits 0-9 only, 1 to 32 characters';
export const MAX_PASSWORD_LENGTH = 1024;

export interface AccountPolicy {
  readonly minPasswordLength: number;
  readonly days: number;
  /** Names reserved for the shared gate logins. */
  readonly reserved: ReadonlySet<string>;
}

/**
 * Sealing: a new account is stored at once with an interim hash (scrypt at
 * an eighth of the full cost, about 8 ms of CPU), and its full-cost hash is
 * computed in the background, one at a time, then replaces it. The trainee
 * goes on to the menu without waiting for the full KDF, and a room creating
 * accounts together leaves the cores to logins and shells. Nothing is lost if
 * ISLET stops before a full hash is stored: the interim hash logs the trainee
 * in, and any login with a hash below the full cost seals it again.
 */
export class AccountService {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #onSealFailed: (name: string, err: unknown) => void;
  /** Accounts whose hash is being computed, with the job that stores it. */
  readonly #sealing = new Map<string, Promise<void>>();
  /** The tail of the one-at-a-time hashing queue. */
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  readonly #hash: (password: string) => Promise<string>;

  readonly #verify: (password: string, encoded: string) => Promise<boolean>;

  /**
   * `hash` seals new accounts (the server passes a BackgroundHasher at idle priority; default: in process).
   * `verify` checks a password against a stored hash (default: scrypt; bench/store-logins.ts leaves the CPU
   * cost out, being no store time).
   */
  constructor(
    store: Store,
    now: () => Date = () => new Date(),
    onSealFailed: (name: string, err: unknown) => void = () => undefined,
    hash: (password: string) => Promise<string> = hashPassword,
    verify: (password: string, encoded: string) => Promise<boolean> = verifyPassword,
  ) {
    this.#store = store;
    this.#now = now;
    this.#onSealFailed = onSealFailed;
    this.#hash = hash;
    this.#verify = verify;
  }

  #seal(name: string, password: string): void {
    const job: Promise<void> = this.#queue
      .then(async () => {
        if (this.#stopped) return; // shutting down: the interim hash stays, and the next login seals it
        const hash = await this.#hash(password);
        if (!this.#stopped) await this.#store.setPasswordHash(name, hash); // false when deleted meanwhile: nothing to seal
      })
      .catch((err: unknown) => {
        this.#onSealFailed(name, err);
      })
      .finally(() => {
        if (this.#sealing.get(name) === job) this.#sealing.delete(name);
      });
    this.#sealing.set(name, job);
    this.#queue = job;
  }

  /** Resolves once every password accepted so far is stored with its full-cost hash (tests). */
  sealed(): Promise<void> {
    return this.#queue;
  }

  /** Stops sealing (shutdown): waits up to `graceMs` for the queue, then leaves the rest to the next logins. */
  async stop(graceMs = 2000): Promise<void> {
    await Promise.race([this.#queue, new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.#stopped = true;
  }

  /** Why a username is unacceptable, or undefined when it is fine and free. */
  async checkUsername(name: string, policy: AccountPolicy): Promise<IsletError | undefined> {
    if (name.length === 0) return new IsletError('ACCOUNT_INVALID_NAME', 'Empty value not permitted');
    if (!usernamePattern.test(name)) return new IsletError('ACCOUNT_INVALID_NAME', `Invalid username: use ${usernameRules}.`);
    if (policy.reserved.has(name.toLowerCase()) || (await this.#store.getAccount(name)))
      return new IsletError('ACCOUNT_EXISTS', 'User already exists! Try a different one.');
    return undefined;
  }

  checkPassword(password: string, policy: AccountPolicy): boolean {
    return password.length >= policy.minPasswordLength && password.length <= MAX_PASSWORD_LENGTH;
  }

  /** Creates the account (`environments`: the only ones it may use); throws ACCOUNT_EXISTS when another session took the name first. */
  async create(name: string, password: string, policy: AccountPolicy, environments?: readonly string[]): Promise<Account> {
    const bad = await this.checkUsername(name, policy);
    if (bad) throw bad;
    if (!this.checkPassword(password, policy))
      throw new IsletError('ACCOUNT_WEAK_PASSWORD', `Passwords must be at least ${policy.minPasswordLength} characters.`);
    const createdAt = this.#now();
    const account: Account = {
      name,
      passwordHash: await hashPassword(password, INTERIM_N),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + policy.days * 86_400_000),
      ...(environments ? { environments } : {}),
    };
    if (!(await this.#store.createAccount(account))) throw new IsletError('ACCOUNT_EXISTS', 'User already exists! Try a different one.');
    this.#seal(name, password);
    return account;
  }

  /**
   * Checks a login. Unknown names cost the same time as wrong passwords.
   * Throws ACCOUNT_BAD_LOGIN or ACCOUNT_EXPIRED.
   */
  async login(name: string, password: string): Promise<Account> {
    return this.check(name, password, usernamePattern.test(name) ? await this.#store.getAccount(name) : undefined);
  }

  /** login() on an account the caller has read already (`account`: undefined when there is none by that name). */
  async check(name: string, password: string, account: Account | undefined): Promise<Account> {
    const ok = await this.#verify(password.slice(0, MAX_PASSWORD_LENGTH), account?.passwordHash ?? (await decoyHash));
    if (!account || !ok)
      throw new IsletError('ACCOUNT_BAD_LOGIN', 'Login failed', `bad login for ${JSON.stringify(name.slice(0, 64))}`, {
        reason: account ? 'bad_password' : 'unknown_user',
      });
    if (account.expiresAt.getTime() <= this.#now().getTime()) {
      throw new IsletError(
        'ACCOUNT_EXPIRED',
        `Your account expired on ${formatDate(account.expiresAt)}. Please create a new account.`,
        `expired login for ${name}`,
        { reason: 'expired' },
      );
    }
    // An interim hash whose sealing was cut short (ISLET stopped), or an older, cheaper one: seal it now.
    if (needsRehash(account.passwordHash) && !this.#sealing.has(name)) this.#seal(name, password.slice(0, MAX_PASSWORD_LENGTH));
    return account;
  }
}

/** Like the original's `date %c` in UTC: "Thu Nov 26 11:50:00 2026 UTC". */
export function formatDate(d: Date): string {
  const s = d.toUTCString(); // "Thu, 26 Nov 2026 11:50:00 GMT"
  const m = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(s);
  return m ? `${m[1]} ${m[3]} ${m[2]!.padStart(2, ' ')} ${m[5]} ${m[4]} UTC` : s;
}

/** "2 days 3 hours", "45 minutes": how long until `to`. */
export function formatRemaining(from: Date, to: Date): string {
  let s = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  const part = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (d > 0) return h > 0 ? `${part(d, 'day')} ${part(h, 'hour')}` : part(d, 'day');
  if (h > 0) return m > 0 ? `${part(h, 'hour')} ${part(m, 'minute')}` : part(h, 'hour');
  return part(Math.max(m, 1), 'minute');
}
