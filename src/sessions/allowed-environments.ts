/**
 * Which environments an account may use (Account.environments, set for accounts made in bulk by an instructor):
 * the menu lists only these, and a direct `account+environment` login, a command or a file transfer to another
 * is refused by the runner as if the environment did not exist.
 */
import { IsletError } from '../core/islet-error.ts';

/** Absent list: every enabled environment. */
export function mayUse(allowed: readonly string[] | undefined, environment: string): boolean {
  return allowed === undefined || allowed.includes(environment);
}

/** The refusal: the same words as an unknown environment, so a trainee learns nothing more. */
export function notAllowed(account: string, environment: string): IsletError {
  return new IsletError('ENV_NOT_FOUND', `There is no environment named ${environment}.`, `account ${account} may not use environment ${environment}`, {
    account,
    environment,
  });
}
