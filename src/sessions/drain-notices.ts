/**
 * Tells trainees when the machine under their live shell is being retired (a drained Swarm node, docs/swarm.md):
 * nothing live moves, the shell runs on until the drain's grace ends, and the trainee must hear that in time to
 * save their work.
 *
 * Every `intervalMs` this front door asks the driver which instances are on a retiring machine
 * (RuntimeDriver.retiring: two manager calls on Swarm) and puts a notice, once, on every shell attached here
 * that is on one (ShellTaps.notice, the path `islet broadcast` uses). A login or reattach to such an instance
 * says it again (`loginNotice`, asked by the runner from the last answer, no extra call). Each telling is
 * logged as `environment_retiring` (account, environment, node, end, how): the audit trail of who was told.
 *
 * Contract: "once" is per instance per front door (each door tells the shells attached to it); a machine
 * drained again after being made active counts anew. The end shown is the earliest seen for the node (a
 * later change of the node's spec does not move it later). Errors of the driver are logged, never thrown.
 */
import type { Logger } from '../logger.ts';
import type { Retiring, RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { Store } from '../store/store.ts';
import type { AttachRegistry } from './attach-registry.ts';
import type { ShellTaps } from './shell-taps.ts';

export interface DrainNoticeDeps {
  readonly driver: Pick<RuntimeDriver, 'retiring'>;
  readonly attached: Pick<AttachRegistry, 'containers'>;
  readonly taps: Pick<ShellTaps, 'notice'>;
  readonly store: Pick<Store, 'listOwnership'>;
  readonly log: Logger;
  readonly now?: () => number;
}

/** How often a front door asks (a notice reaches a live shell within this of the drain). */
export const DRAIN_CHECK_MS = 5000;

/** The sentence a trainee reads: when the environment ends, what to do, what happens after. */
export function retiringMessage(r: Retiring, now: number): string {
  const at = r.endsAt.toISOString().slice(11, 16);
  const min = Math.max(0, Math.round((r.endsAt.getTime() - now) / 60_000));
  return (
    `Your environment is on a machine being retired; it ends at ${at} UTC (in ${min} min). ` +
    'Save your work (scp, or export) - a new login after that starts afresh.'
  );
}

export class DrainNotices {
  readonly #d: DrainNoticeDeps;
  readonly #now: () => number;
  /** The last answer: instance id → machine and end. */
  #current = new Map<string, Retiring>();
  /** Instances told here (live or at a login), while their machine is retiring. */
  readonly #told = new Set<string>();

  constructor(d: DrainNoticeDeps) {
    this.#d = d;
    this.#now = d.now ?? Date.now;
  }

  /** One round: ask, then tell every attached shell on a retiring machine that was not told yet. */
  async tick(): Promise<void> {
    if (!this.#d.driver.retiring) return;
    let found: ReadonlyMap<string, Retiring>;
    try {
      found = await this.#d.driver.retiring();
    } catch (err) {
      this.#d.log.warn({ event: 'drain_check_failed', err }, 'could not ask which machines are being retired');
      return;
    }
    const earliest = new Map<string, number>();
    for (const r of this.#current.values()) earliest.set(r.node, r.endsAt.getTime());
    const next = new Map<string, Retiring>();
    for (const [id, r] of found) next.set(id, { node: r.node, endsAt: new Date(Math.min(earliest.get(r.node) ?? Infinity, r.endsAt.getTime())) });
    this.#current = next;
    for (const id of [...this.#told]) if (!next.has(id)) this.#told.delete(id);
    for (const id of this.#d.attached.containers()) {
      const r = next.get(id);
      if (!r || this.#told.has(id)) continue;
      this.#told.add(id);
      await this.#d.taps.notice(id, retiringMessage(r, this.#now()));
      await this.#record(id, r, 'live');
    }
  }

  /** At a login or reattach to instance `id`: the sentence to say when its machine is retiring (it then counts as told). */
  loginNotice(id: string): string | undefined {
    const r = this.#current.get(id);
    if (!r) return undefined;
    this.#told.add(id);
    void this.#record(id, r, 'login');
    return retiringMessage(r, this.#now());
  }

  async #record(id: string, r: Retiring, how: 'live' | 'login'): Promise<void> {
    const row = await this.#d.store
      .listOwnership()
      .then((rows) => rows.find((o) => o.containerId === id))
      .catch(() => undefined);
    this.#d.log.warn(
      {
        event: 'environment_retiring',
        account: row?.account,
        environment: row?.environment,
        container: id.slice(0, 12),
        node: r.node,
        endsAt: r.endsAt.toISOString(),
        how,
      },
      'trainee told: their environment is on a machine being retired',
    );
  }
}
