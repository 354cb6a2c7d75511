/**
 * Accounts made in bulk by an instructor (`islet accounts create`, the console's bulk form): `count` accounts
 * named `<prefix>01`, `<prefix>02`, … (names already taken are skipped, numbering goes on), each with a
 * generated passphrase (passphrase.ts), an expiry `days` from now and, optionally, the only environments it
 * may use (Account.environments, enforced by the menu and the runner: src/sessions/allowed-environments.ts).
 *
 * Contract: accounts are created through AccountService (scrypt, interim hash then sealed, like every
 * password); the plain passphrases exist only in the returned credentials, for the one sheet and CSV.
 */
import type { AccountPolicy, AccountService } from '../accounts/account-service.ts';
import { IsletError } from '../core/islet-error.ts';
import { generatePassphrase } from './passphrase.ts';

export interface BulkRequest {
  readonly prefix: string;
  readonly count: number;
  readonly days: number;
  /** The only environments the accounts may use; absent or empty: every enabled one. */
  readonly environments?: readonly string[];
}

export interface Credential {
  readonly name: string;
  readonly password: string;
  readonly expiresAt: Date;
  readonly environments?: readonly string[];
}

export const MAX_BULK_COUNT = 500;
export const MAX_BULK_DAYS = 3650;
const prefixPattern = /^[A-Za-z][A-Za-z0-9]{0,23}$/;

function invalid(message: string): IsletError {
  return new IsletError('ADMIN_INVALID', message, message);
}

/** The request, checked against the configured environment names; throws ADMIN_INVALID naming the bad value. */
export function checkBulkRequest(req: BulkRequest, environments: readonly string[]): BulkRequest {
  if (typeof req.prefix !== 'string' || !prefixPattern.test(req.prefix)) throw invalid('prefix: a letter, then letters and digits, at most 24 characters');
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_BULK_COUNT) throw invalid(`count: a whole number from 1 to ${MAX_BULK_COUNT}`);
  if (typeof req.days !== 'number' || !Number.isFinite(req.days) || req.days <= 0 || req.days > MAX_BULK_DAYS)
    throw invalid(`days: a number above 0, at most ${MAX_BULK_DAYS}`);
  const envs = req.environments ?? [];
  if (!Array.isArray(envs)) throw invalid('environments: a list of environment names');
  const unknown = envs.filter((e) => typeof e !== 'string' || !environments.includes(e));
  if (unknown.length) throw invalid(`environments: no environment named ${unknown.map((e) => JSON.stringify(e)).join(', ')}`);
  return { prefix: req.prefix, count: req.count, days: req.days, ...(envs.length ? { environments: [...new Set(envs)] } : {}) };
}

/** A passphrase at least `min` characters long (more words, never fewer bits). */
function passphrase(min: number): string {
  let p = generatePassphrase();
  while (p.length < min) p += `-${generatePassphrase(1)}`;
  return p;
}

/** Creates the accounts of a checked request; returns their credentials in name order. */
export async function createInBulk(accounts: AccountService, policy: AccountPolicy, req: BulkRequest): Promise<Credential[]> {
  const width = Math.max(2, String(req.count).length);
  const made: Credential[] = [];
  const p = { ...policy, days: req.days };
  for (let n = 1; made.length < req.count; n++) {
    if (n > req.count + 1000) throw invalid(`prefix ${req.prefix}: no free names left after ${req.prefix}${n - 1}`);
    const name = `${req.prefix}${String(n).padStart(width, '0')}`;
    if (name.length > 32) throw invalid('prefix: too long for the numbers that follow it');
    const password = passphrase(policy.minPasswordLength);
    try {
      const a = await accounts.create(name, password, p, req.environments);
      made.push({ name, password, expiresAt: a.expiresAt, ...(req.environments ? { environments: req.environments } : {}) });
    } catch (err) {
      if (err instanceof IsletError && err.code === 'ACCOUNT_EXISTS') continue; // taken (or a gate login's name): the next number
      throw err;
    }
  }
  return made;
}
