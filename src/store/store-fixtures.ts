/** Rows the Store case suites (store.case.ts, store-coordination.case.ts) write: fixed times, derived names. */
import type { Account } from './store.ts';

export const T0 = 1_700_000_000_000;
export const acct = (name: string, created = T0): Account => ({
  name,
  passwordHash: `scrypt$${name}`,
  createdAt: new Date(created),
  expiresAt: new Date(created + 86_400_000),
});
export const own = (account: string, environment: string, containerId = `c-${account}-${environment}`) => ({
  account,
  environment,
  containerId,
  containerName: `islet.${environment}.${account}`,
  createdAt: new Date(T0),
});
