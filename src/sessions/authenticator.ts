/**
 * Who is connecting. Three ways in, one Identity out:
 * - a gate login (demo/demo): no account yet, the menu asks;
 * - `alice` or `alice+<env>` with alice's password: straight to her menu or environment;
 * - the same names with a public key alice enrolled.
 * Front doors call this; they never look at accounts or keys themselves.
 */
import { AccountService, usernamePattern } from '../accounts/account-service.ts';
import type { ConfigSource } from '../config/config-source.ts';
import { namePattern } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Store } from '../store/store.ts';
import { checkGate } from '../accounts/gate-auth.ts';
import type { Account } from '../store/store.ts';
import type { FailureVerdict, LoginThrottle } from '../access/login-throttle.ts';

/** An enrolled public key as the store keeps it: the door's key type, its base64 data, a comment. */
export interface PublicKeyLine {
  readonly algo: string;
  readonly data: string;
  readonly comment: string;
}
/** Why a door refuses a matched key (its own format's checks: signature algorithm, signature). */
export type KeyRefusal = 'signature_algorithm' | 'bad_signature';
/**
 * A door's public-key format (the SSH door's is sshd/public-keys.ts): reads an enrollment line, or says
 * in trainee-safe words why it is not a usable key. Injected, so the session engine speaks no SSH.
 */
export interface PublicKeyFormat {
  parse(line: string): PublicKeyLine | string;
}

export interface Identity {
  /** Set for direct logins; absent for the shared gate login. */
  readonly account?: string;
  /** Set when the login name was `account+environment`. */
  readonly environment?: string;
  readonly method: 'gate' | 'password' | 'publickey';
  /**
   * The account as a password login read it, and when (ms): a session opened right after the login uses it
   * instead of reading it again (FOUND_FRESH_MS; a later channel of the same connection reads it anew).
   * `at` is performance.now(): an elapsed time, not the accounts' clock.
   */
  readonly found?: { readonly account: Account; readonly at: number };
}

/** How long an Identity's `found` account stands for a fresh read. */
export const FOUND_FRESH_MS = 10_000;

/** A refused login: why (for the log), and what the door must do (hold the answer, hang up, tell the trainee). */
export type AuthFailure = { readonly ok: false; readonly reason: string } & Partial<FailureVerdict>;
export type AuthResult = { readonly ok: true; readonly identity: Identity } | AuthFailure;

export class Authenticator {
  readonly #config: ConfigSource;
  readonly #accounts: AccountService;
  readonly #store: Store;
  readonly #throttle: LoginThrottle | undefined;

  readonly #keys: PublicKeyFormat | undefined;
  readonly #now: () => Date;

  /**
   * Without a throttle (admin tools, unit tests) failures cost nothing; the server always passes one.
   * Without a key format, keys cannot be enrolled (the composition root passes the SSH door's).
   * `now`: the clock for account expiry, the same one AccountService reads.
   */
  constructor(
    config: ConfigSource,
    accounts: AccountService,
    store: Store,
    throttle?: LoginThrottle,
    keys?: PublicKeyFormat,
    now: () => Date = () => new Date(),
  ) {
    this.#config = config;
    this.#accounts = accounts;
    this.#store = store;
    this.#throttle = throttle;
    this.#keys = keys;
    this.#now = now;
  }

  /** `alice` or `alice+env`, or undefined when the name cannot be an account login. */
  parseLogin(username: string): { account: string; environment?: string } | undefined {
    const [account, environment, extra] = username.split('+');
    if (extra !== undefined || !account || !usernamePattern.test(account)) return undefined;
    if (environment !== undefined && !namePattern.test(environment)) return undefined;
    return environment === undefined ? { account } : { account, environment };
  }

  isGate(username: string): boolean {
    return this.#config.current().global.gate_accounts.some((g) => g.username === username);
  }

  /** A password login at the front door (gate, `alice` or `alice+env`) from `client` (its address). */
  async password(username: string, password: string, client = ''): Promise<AuthResult> {
    if (this.#throttle?.addressLocked(client)) return { ok: false, reason: 'locked_out', addressLocked: true };
    if (this.isGate(username)) {
      return checkGate(this.#config.current().global, username, password)
        ? { ok: true, identity: { method: 'gate' } }
        : await this.failed(client, 'bad_password');
    }
    const who = this.parseLogin(username);
    if (!who) return this.failed(client, 'bad_username');
    const r = await this.accountPassword(who.account, password, client);
    return r.ok ? { ok: true, identity: { ...who, method: 'password', found: { account: r.account, at: performance.now() } } } : r;
  }

  /**
   * An account's password, from any door or the menu's "existing user" login: refused without
   * a check while the account's password logins are paused; a wrong one counts against the
   * client's address and the account.
   */
  async accountPassword(account: string, password: string, client: string): Promise<{ readonly ok: true; readonly account: Account } | AuthFailure> {
    if (this.#throttle?.addressLocked(client)) return { ok: false, reason: 'locked_out', addressLocked: true };
    // One store read for the account and its throttle row (a network store: one round trip, not two).
    const found = usernamePattern.test(account) ? await this.#store.getLoginAccount(account) : undefined;
    const paused = this.#throttle?.refusalOf(found?.throttle);
    if (paused) return { ...(await this.failed(client, 'account_throttled')), message: paused };
    try {
      const acct = await this.#accounts.check(account, password, found?.account);
      // The back-off starts over; with no throttle row read there is nothing to clear (no round trip).
      if (found?.throttle) await this.#throttle?.succeeded(account);
      return { ok: true, account: acct };
    } catch (err) {
      if (!(err instanceof IsletError)) return this.failed(client, 'error');
      const reason = String(err.detail.reason ?? err.code);
      // Expired: the password was right; say so, and count nothing.
      if (err.code === 'ACCOUNT_EXPIRED') return { ok: false, reason, message: err.userMessage };
      return this.failed(client, reason, reason === 'bad_password' ? account : undefined);
    }
  }

  /** Any other failed login from `client` (a bad key signature, too many key offers): counts against the address. */
  async failed(client: string, reason: string, account?: string): Promise<AuthFailure> {
    return { ok: false, reason, ...(await this.#throttle?.failed(client, account)) };
  }

  /**
   * Public-key login with the key whose base64 data is `keyData`. Expired accounts are refused, and so is
   * a key the account did not enroll; the door's own checks of the matched key (signature algorithm and,
   * when signed, the signature: sshd/public-keys.ts) run last, through `refusal`.
   */
  async publicKey(username: string, keyData: string, refusal: (enrolled: PublicKeyLine) => KeyRefusal | undefined, client = ''): Promise<AuthResult> {
    if (this.#throttle?.addressLocked(client)) return { ok: false, reason: 'locked_out', addressLocked: true };
    const who = this.parseLogin(username);
    if (!who || this.isGate(username)) return { ok: false, reason: 'no_key' };
    const acct = await this.#store.getAccount(who.account);
    if (!acct) return { ok: false, reason: 'unknown_user' };
    if (acct.expiresAt.getTime() <= this.#now().getTime()) return { ok: false, reason: 'expired' };
    const k = (await this.#store.listKeys(who.account)).find((x) => x.data === keyData);
    if (!k) return { ok: false, reason: 'unknown_key' };
    const refused = refusal(k);
    if (refused) return { ok: false, reason: refused };
    return { ok: true, identity: { ...who, method: 'publickey' } };
  }

  /** Enrolls a public-key line (authorized_keys for SSH) for an account; a trainee-safe reason when refused. */
  async enrollKey(account: string, line: string, now: Date): Promise<string | undefined> {
    if (!this.#keys) return 'keys cannot be enrolled here';
    const k = this.#keys.parse(line);
    if (typeof k === 'string') return k;
    if (!(await this.#store.addKey({ account, ...k, addedAt: now }))) return 'that key is already enrolled';
    return undefined;
  }
}
