/**
 * Which containers under this ISLET's instance name belong to this store
 * (data directory). The instance name alone proves nothing: a second
 * `islet serve` or `islet reap` started with another `--data` and the same
 * ISLET_INSTANCE lists the same containers. Ownership is proved by the store
 * id (Store.storeId(), the `islet.store` label on every container ISLET makes):
 *
 * - `islet.store` = this store's id: own;
 * - taken over on purpose (`--take-over`, recorded by Store.adoptContainer): own;
 * - no `islet.store` label (made by an ISLET from before store ids): own only
 *   when an ownership row of this store names exactly that container id;
 * - anything else: foreign. Foreign containers are never removed, adopted,
 *   claimed from a pool or attached to; a server or `islet reap` that finds
 *   any refuses to start (claimEngine) unless told to take them over.
 */
import { IsletError } from '../core/islet-error.ts';
import type { Logger } from '../logger.ts';
import { type InstanceInfo, type RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_INSTANCE, LABEL_STORE } from '../runtime/names.ts';
import type { Store } from '../store/store.ts';

/** What a store can prove it owns. */
export interface OwnedSet {
  readonly storeId: string;
  /** Container ids taken over from other stores. */
  readonly adopted: ReadonlySet<string>;
  /** Container ids this store's ownership rows name (proof for unlabelled containers). */
  readonly recorded: ReadonlySet<string>;
}

export function isOwn(c: Pick<InstanceInfo, 'id' | 'labels'>, mine: OwnedSet): boolean {
  const label = c.labels[LABEL_STORE];
  if (label === mine.storeId || mine.adopted.has(c.id)) return true;
  return label === undefined && mine.recorded.has(c.id);
}

/** The store's proof of ownership as of now. */
export async function ownedSet(store: Store): Promise<OwnedSet> {
  return { storeId: store.storeId(), adopted: await store.listAdopted(), recorded: new Set((await store.listOwnership()).map((o) => o.containerId)) };
}

/** Containers of the listing that this store does not own (those being removed by the engine are left out). */
export function foreignContainers(containers: readonly InstanceInfo[], mine: OwnedSet): InstanceInfo[] {
  return containers.filter((c) => c.state !== 'removing' && !isOwn(c, mine));
}

/** The refusal an admin reads: how many, whose, and the two ways out. */
export function foreignMessage(foreign: readonly InstanceInfo[], instance: string, storeId: string, dataDir: string): string {
  const running = foreign.filter((c) => c.state === 'running').length;
  const stores = new Map<string, number>();
  for (const c of foreign) {
    const s = c.labels[LABEL_STORE] ?? '(no islet.store label: made by an earlier ISLET version, not recorded in this store)';
    stores.set(s, (stores.get(s) ?? 0) + 1);
  }
  const whose = [...stores].map(([s, n]) => `${n} of store ${s}`).join(', ');
  return (
    `refusing to start: ${foreign.length} container(s) under instance name "${instance}" (${running} running) belong to another ISLET data directory (${whose}); ` +
    `this data directory, ${dataDir}, is store ${storeId}. Another ISLET using the same engine and instance name keeps its trainees' work in them: ` +
    `check --data (ISLET_DATA) points to the right directory, or give this ISLET its own ISLET_INSTANCE. ` +
    `To make this data directory responsible for them on purpose (the other one is abandoned), run again with --take-over; ` +
    `containers whose account this store does not know are then removed by its reconciler.`
  );
}

export interface ClaimOptions {
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly instance: string;
  readonly dataDir: string;
  readonly log: Logger;
  /** Take the foreign containers over instead of refusing. */
  readonly takeOver: boolean;
  readonly now?: () => Date;
}

/**
 * Start-up check for `islet serve` and `islet reap`: throws OWNERSHIP_FOREIGN when the engine holds
 * containers of another store under this instance name, or with takeOver records each as this
 * store's (logged one by one). Returns how many were taken over.
 */
export async function claimEngine(o: ClaimOptions): Promise<number> {
  const foreign = foreignContainers(await o.driver.find({ [LABEL_INSTANCE]: o.instance }), await ownedSet(o.store));
  if (foreign.length === 0) return 0;
  const storeId = o.store.storeId();
  if (!o.takeOver) {
    const detail = foreignMessage(foreign, o.instance, storeId, o.dataDir);
    throw new IsletError('OWNERSHIP_FOREIGN', 'This ISLET is not set up correctly. Please tell the instructor.', detail, {
      instance: o.instance,
      count: foreign.length,
      storeId,
    });
  }
  const at = (o.now ?? (() => new Date()))();
  for (const c of foreign) {
    const from = c.labels[LABEL_STORE] ?? 'none';
    await o.store.adoptContainer(c.id, from, at);
    o.log.warn(
      { event: 'container_taken_over', container: c.id.slice(0, 12), name: c.name, fromStore: from, storeId },
      `took over ${c.name} from store ${from}`,
    );
  }
  o.log.warn(
    { event: 'containers_taken_over', count: foreign.length, instance: o.instance, storeId },
    `took over ${foreign.length} container(s) of other stores (--take-over)`,
  );
  return foreign.length;
}

/**
 * claimEngine for `islet serve`: an engine that does not answer yet is not a reason to refuse
 * (the server retries the engine); the reconciler acts only on this store's containers anyway.
 */
export async function claimEngineAtStart(o: ClaimOptions): Promise<void> {
  try {
    await claimEngine(o);
  } catch (err) {
    if (!(err instanceof IsletError) || err.code === 'OWNERSHIP_FOREIGN') throw err;
    o.log.warn(
      { event: 'ownership_check_skipped', err },
      "the engine did not answer: could not check for containers of other ISLET data directories; the reconciler still acts only on this store's",
    );
  }
}
