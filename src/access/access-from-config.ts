/**
 * Wires the door-neutral login and creation limits to the live config (each
 * limit is read at every use, so an edit of islet.yaml applies at once).
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { AccountThrottle } from './account-throttle.ts';
import { AddressFailures } from './address-failures.ts';
import { CreationLimit } from './creation-limit.ts';
import { LoginThrottle } from './login-throttle.ts';

export interface Access {
  readonly addresses: AddressFailures;
  readonly accounts: AccountThrottle;
  readonly throttle: LoginThrottle;
  readonly creation: CreationLimit;
}

export function accessFromConfig(config: ConfigSource, store: Store, log: Logger, now: () => number = Date.now): Access {
  const g = () => config.current().global;
  const addresses = new AddressFailures(
    store,
    () => ({ lockoutAfter: g().ssh_auth_failures_per_ip, windowSeconds: g().ssh_lockout, maxDelaySeconds: g().login_failure_delay }),
    now,
  );
  const accounts = new AccountThrottle(
    store,
    () => ({
      failures: g().account_lock_failures,
      windowSeconds: g().account_failure_window,
      firstLockSeconds: g().account_lock,
      maxLockSeconds: g().account_lock_max,
    }),
    now,
  );
  const throttle = new LoginThrottle({ addresses, accounts, maxDelaySeconds: () => g().login_failure_delay, log, now });
  const creation = new CreationLimit(store, () => ({ perAddress: g().account_creations_per_ip, windowSeconds: g().account_creation_window }), now);
  return { addresses, accounts, throttle, creation };
}
