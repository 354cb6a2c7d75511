/**
 * Who is connecting. Three ways in, one Identity out:
 * - a gate login (demo/demo): no account yet, the menu asks;
 * - `alice` or `alice+<env>` with alice's password: straight to her menu or environment;
 * - the same names with a public key alice enrolled.
 * Front doors call this; they never look at accounts or keys themselves.
 */
import { AccountService, usernamePattern } from '../accounts/account-service.ts';
import { parsePublicKey, verifyKeySignature } from '../accounts/public-keys.ts';
import type { ConfigSource } from '../config/config-source.ts';
import { namePattern } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Store } from '../store/store.ts';
import { checkGate } from '../accounts/gate-auth.ts';

export interface Identity {
  /** Set for direct logins; absent for the shared gate login. */
  readonly account?: string;
  /** Set when the login name was `account+environment`. */
  readonly environment?: string;
  readonly method: 'gate' | 'password' | 'publickey';
}

export type AuthResult = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string };

export class Authenticator {
  readonly #config: ConfigSource;
  readonly #accounts: AccountService;
  readonly #store: Store;

  constructor(config: ConfigSource, accounts: AccountService, store: Store) {
    this.#config = config;
    this.#accounts = accounts;
    this.#store = store;
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

  async password(username: string, password: string): Promise<AuthResult> {
    if (this.isGate(username)) {
      return checkGate(this.#config.current().global, username, password) ? { ok: true, identity: { method: 'gate' } } : { ok: false, reason: 'bad_password' };
    }
    const who = this.parseLogin(username);
    if (!who) return { ok: false, reason: 'bad_username' };
    try {
      await this.#accounts.login(who.account, password);
      return { ok: true, identity: { ...who, method: 'password' } };
    } catch (err) {
      return { ok: false, reason: err instanceof IsletError ? String(err.detail.reason ?? err.code) : 'error' };
    }
  }

  /**
   * Public-key login. Without a signature (the client asks whether a key would do) only the key is
   * matched; with one, the signature must verify. Expired accounts are refused either way.
   */
  publicKey(username: string, key: { algo: string; data: Buffer }, signed?: { blob: Buffer; signature: Buffer; hashAlgo: string | undefined }): AuthResult {
    const who = this.parseLogin(username);
    if (!who || this.isGate(username)) return { ok: false, reason: 'no_key' };
    const acct = this.#store.getAccount(who.account);
    if (!acct) return { ok: false, reason: 'unknown_user' };
    if (acct.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
    const data = key.data.toString('base64');
    const k = this.#store.listKeys(who.account).find((x) => x.data === data);
    if (!k) return { ok: false, reason: 'unknown_key' };
    if (signed && !verifyKeySignature(k, signed.blob, signed.signature, signed.hashAlgo)) return { ok: false, reason: 'bad_signature' };
    return { ok: true, identity: { ...who, method: 'publickey' } };
  }

  /** Enrolls an authorized_keys line for an account; a trainee-safe reason when refused. */
  enrollKey(account: string, line: string, now: Date): string | undefined {
    const k = parsePublicKey(line);
    if (typeof k === 'string') return k;
    if (!this.#store.addKey({ account, ...k, addedAt: now })) return 'that key is already enrolled';
    return undefined;
  }
}
