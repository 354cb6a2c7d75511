/**
 * The capacity rule of Store.claimCapacity (store.ts, CapacityClaim), applied inside the claim transaction by
 * SQLite and memory; PostgreSQL's islet_claim_capacity (migrations.ts, version 4) is the same rule in SQL, and
 * the case suite (store.case.ts) holds all three to it.
 */
import type { CapacityAnswer, CapacityClaim } from './store.ts';

/** `total` and `mine`: running containers plus live claims, in all and for the claim's account. */
export function capacityAnswer(c: Pick<CapacityClaim, 'maxContainers' | 'maxPerAccount'>, total: number, mine: number): CapacityAnswer {
  if (c.maxPerAccount > 0 && mine >= c.maxPerAccount) return 'account_full';
  if (c.maxContainers > 0 && total >= c.maxContainers) return 'full';
  return 'ok';
}
