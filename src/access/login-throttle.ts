/**
 * What a failed login costs, for every door (SSH now, a browser later):
 * the client's address collects failures (a growing delay before each
 * failure answer, a hard lock-out only at a room-sized rate), and an
 * existing account collects wrong passwords (its password logins pause with
 * a growing back-off). Gate logins, whose password is public, and unknown
 * names count only against the address.
 *
 * Contract: a right password or key is never delayed; messages are safe to
 * show a trainee; `account_throttled` is logged here, never with a password;
 * the door logs `address_locked_out` after its own failure line.
 */
import { formatDate, formatRemaining } from '../accounts/account-service.ts';
import type { Logger } from '../logger.ts';
import type { LoginThrottleState } from '../store/store.ts';
import type { AccountThrottle } from './account-throttle.ts';
import type { AddressFailures } from './address-failures.ts';
import { failureDelayMs } from './failure-delay.ts';

export interface FailureVerdict {
  /** Hold the failure answer this long (a right answer is never held). */
  readonly delayMs: number;
  /** The address is locked out (by this failure, or before it): end the connection. */
  readonly addressLocked: boolean;
  /** A sentence for the trainee, when there is more to say than "wrong password". */
  readonly message?: string;
}

export class LoginThrottle {
  readonly #addresses: AddressFailures;
  readonly #accounts: AccountThrottle;
  readonly #maxDelayMs: () => number;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(o: { addresses: AddressFailures; accounts: AccountThrottle; maxDelaySeconds: () => number; log: Logger; now?: () => number }) {
    this.#addresses = o.addresses;
    this.#accounts = o.accounts;
    this.#maxDelayMs = () => o.maxDelaySeconds() * 1000;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
  }

  addressLocked(client: string): boolean {
    return this.#addresses.lockedOut(client);
  }

  /** accountRefusal() on the account's throttle row as the caller read it (Store.getLoginAccount). */
  refusalOf(state: LoginThrottleState | undefined): string | undefined {
    const until = state?.lockedUntil;
    return until && until.getTime() > this.#now() ? throttledMessage(until, this.#now()) : undefined;
  }

  /** The trainee-safe refusal while `account`'s password logins are paused, or undefined when they are not. */
  async accountRefusal(account: string): Promise<string | undefined> {
    const until = await this.#accounts.lockedUntil(account);
    return until ? throttledMessage(until, this.#now()) : undefined;
  }

  /**
   * Records a failed login from `client`; `account` is set only for a wrong password of an
   * existing account (the only failure that counts against an account).
   */
  async failed(client: string, account?: string): Promise<FailureVerdict> {
    const a = await this.#addresses.failed(client);
    let delayMs = a.delayMs;
    let message: string | undefined;
    if (account !== undefined) {
      const f = await this.#accounts.failed(account);
      delayMs = Math.max(delayMs, failureDelayMs(f.failures, this.#maxDelayMs()));
      if (f.newlyLocked)
        this.#log.warn(
          { event: 'account_throttled', code: 'ACCOUNT_THROTTLED', account, client, until: f.lockedUntil!.toISOString(), level: f.level },
          'too many wrong passwords for this account: its password logins are paused',
        );
      if (f.lockedUntil) message = throttledMessage(f.lockedUntil, this.#now());
    }
    return { delayMs, addressLocked: a.locked, ...(message ? { message } : {}) };
  }

  /** A right password for `account`: its back-off starts over. */
  async succeeded(account: string): Promise<void> {
    await this.#accounts.succeeded(account);
  }
}

export function throttledMessage(until: Date, now: number): string {
  return (
    `Too many wrong passwords for this account: password logins are paused until ${formatDate(until)} (${formatRemaining(new Date(now), until)}). ` +
    'An enrolled SSH key still works, or ask the instructor to unlock it.'
  );
}
