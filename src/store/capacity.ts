/** The one capacity rule every Store applies inside its claim transaction (store.ts, CapacityClaim). */
import type { CapacityAnswer, CapacityClaim } from './store.ts';

/** `total` and `mine`: running containers plus live claims, in all and for the claim's account. */
export function capacityAnswer(c: Pick<CapacityClaim, 'maxContainers' | 'maxPerAccount'>, total: number, mine: number): CapacityAnswer {
  if (c.maxPerAccount > 0 && mine >= c.maxPerAccount) return 'account_full';
  if (c.maxContainers > 0 && total >= c.maxContainers) return 'full';
  return 'ok';
}
