/**
 * Warm-pool containers cannot be relabelled when claimed (Docker labels are fixed), so the
 * account of a claimed one comes from its canonical name (a `rename` claim) or from the ownership
 * row that names it (a `store` claim, src/sessions/warm-pool.ts: the pool name stays); unclaimed
 * ones belong to the pool manager, not to the reconciler (but see LifecycleService.#adoptPool).
 */
import type { InstanceInfo } from '../runtime/runtime-driver.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT, LABEL_POOL, accountFromName, isUnclaimedPoolName } from '../runtime/names.ts';
import type { Ownership } from '../store/store.ts';

export function adoptPoolNames(containers: readonly InstanceInfo[], instance: string, rows: readonly Ownership[]): InstanceInfo[] {
  const byId = new Map(rows.map((r) => [r.containerId, r.account]));
  return containers.flatMap((c) => {
    if (c.labels[LABEL_POOL] !== 'true') return [c];
    const account = byId.get(c.id) ?? (isUnclaimedPoolName(c.name) ? undefined : accountFromName(c.name, instance, c.labels[LABEL_ENVIRONMENT] ?? ''));
    if (account === undefined && isUnclaimedPoolName(c.name)) return [];
    return [{ ...c, labels: { ...c.labels, ...(account ? { [LABEL_ACCOUNT]: account } : {}) } }];
  });
}
