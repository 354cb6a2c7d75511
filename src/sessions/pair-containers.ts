/**
 * The container of one (account, environment) pair, as the runner finds it: its deterministic name and labels,
 * the store's row first, then the name (repairing a row the store lost), and never a container another store's
 * label claims (src/lifecycle/ownership.ts: several ISLETs may share an engine and an instance name).
 *
 * Contract: nothing here creates, starts or removes a container; `find` and `byName` may write or delete the
 * pair's ownership row to match what the engine has.
 */
import { IsletError } from '../core/islet-error.ts';
import type { Environment } from '../config/schema.ts';
import type { InstanceInfo, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_STORE, containerName, ownerLabels } from '../runtime/names.ts';
import type { Ownership, Store } from '../store/store.ts';

export interface PairContainersDeps {
  readonly driver: RuntimeDriver;
  readonly store: Store;
  /** Container name prefix and the value of the islet.instance label. */
  readonly instance: string;
  /** Extra labels on every container (tests add islet.test). */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export class PairContainers {
  readonly #d: PairContainersDeps;

  constructor(deps: PairContainersDeps) {
    this.#d = deps;
  }

  name(envName: string, account: string): string {
    return containerName(this.#d.instance, envName, account);
  }

  labels(envName: string, account: string): Record<string, string> {
    return { ...this.#d.extraLabels, ...ownerLabels({ instance: this.#d.instance, store: this.#d.store.storeId(), account, environment: envName }) };
  }

  /** True when this store may use (or remove) `info`: no store label, this store's, or adopted by it. */
  async owns(info: InstanceInfo): Promise<boolean> {
    const label = info.labels[LABEL_STORE];
    return label === undefined || label === this.#d.store.storeId() || (await this.#d.store.listAdopted()).has(info.id);
  }

  /** A container found by its name only is used (or removed) only when no other store's label says it is theirs. */
  async mine(info: InstanceInfo | undefined): Promise<InstanceInfo | undefined> {
    if (!info || (await this.owns(info))) return info;
    const label = info.labels[LABEL_STORE];
    throw new IsletError(
      'OWNERSHIP_FOREIGN',
      'This environment cannot be started here right now. Please tell the instructor.',
      `container ${info.name} belongs to store ${label}, not to this store ${this.#d.store.storeId()}: another ISLET uses the same engine and instance name`,
      { container: info.id, store: label },
    );
  }

  /**
   * Finds this pair's container: the store first, then the deterministic name (repairs a missing row).
   * `lookUpName: false` skips the name when the store has no row: the caller creates at once and meets a
   * container under that name as create's 409 instead (one engine call fewer for every new container).
   * `read`: the pair's row when the caller has read it already.
   */
  async find(account: string, env: Environment, lookUpName = true, read?: { ownership?: Ownership }): Promise<InstanceInfo | undefined> {
    const { driver, store } = this.#d;
    const row = read ? read.ownership : await store.getOwnership(account, env.name);
    const byRow = row ? await driver.inspect(row.containerId) : undefined;
    if (byRow || (!row && !lookUpName)) return byRow;
    const byName = await this.byName(account, env);
    if (!byName && row) await store.deleteOwnership(account, env.name);
    return byName;
  }

  /** The pair's container by its deterministic name, when this store owns it; its row is written (repaired). */
  async byName(account: string, env: Environment): Promise<InstanceInfo | undefined> {
    const byName = await this.mine(await this.#d.driver.inspect(this.name(env.name, account)));
    if (byName)
      await this.#d.store.putOwnership({ account, environment: env.name, containerId: byName.id, containerName: byName.name, createdAt: byName.createdAt });
    return byName;
  }
}
