/**
 * The queues in front of one Docker Engine (DockerDriver's only way to call it
 * for anything that changes state or concerns one container).
 *
 * - Mutations (create/start/stop/remove/network) share one semaphore;
 *   removals also pass a smaller one first: Docker 20.10 deadlocks under many
 *   parallel forced removals (moby#42545). A `finish` mutation (a start, its
 *   container already created; the rename that claims a pool container: a
 *   trainee waits on each) goes before every queued other, so a storm
 *   finishes containers one after another as the engine alone would, not all
 *   its creates first and its starts at the end (semaphore.ts). Waiting for a
 *   slot is bounded (slotWaitMs): a slot is a place in a queue, freed within
 *   one call's limit by the call holding it even when the engine hangs.
 * - Pulls have a semaphore of their own and hold no mutation slot: a pull
 *   waits on a registry for minutes, and a few slow pulls would otherwise
 *   stop every create and start of the room (with `runtime.engine_mutations`
 *   set low, two).
 * - Calls about one container (exec, its inspects and resizes, TTY resize)
 *   pass a fair gate: a few in flight per container, containers served in
 *   turn, so one trainee's flood cannot starve the others; waiting is bounded
 *   by callMs.
 *
 * Contract: a wait that runs out is RUNTIME_UNAVAILABLE with the busy message
 * (safe to show a trainee) and the queue's state in the detail.
 */
import { IsletError } from '../../core/islet-error.ts';
import { MSG_BUSY } from './engine-client.ts';
import { FairGate, GateFull } from './fair-gate.ts';
import { Semaphore } from './semaphore.ts';

export interface EngineSlotsOptions {
  /** Mutations in flight at once. */
  readonly mutations: number;
  /** Removals in flight at once (each also holds a mutation slot). */
  readonly removals: number;
  /** Image pulls in flight at once (they hold no mutation slot). */
  readonly pulls: number;
  /** Calls about one container in flight at once. */
  readonly perContainer: number;
  /** Such calls in flight at once for all containers together. */
  readonly containerCalls: number;
  /** Longest wait for a mutation slot. */
  readonly slotWaitMs: number;
  /** Longest wait for a container's turn (the limit of one call). */
  readonly callMs: number;
}

export class EngineSlots {
  readonly #mutations: Semaphore;
  readonly #removals: Semaphore;
  readonly #pulls: Semaphore;
  readonly #gate: FairGate;
  readonly #slotWaitMs: number;
  readonly #callMs: number;

  constructor(o: EngineSlotsOptions) {
    this.#mutations = new Semaphore(o.mutations);
    this.#removals = new Semaphore(o.removals);
    this.#pulls = new Semaphore(o.pulls);
    this.#gate = new FairGate({ perOwner: o.perContainer, total: o.containerCalls, maxQueued: 1000 });
    this.#slotWaitMs = o.slotWaitMs;
    this.#callMs = o.callMs;
  }

  /**
   * Runs fn holding a mutation slot (and a removal slot first, for a removal; ahead of the queue, for a finish);
   * a pull holds a pull slot instead.
   */
  async mutate<T>(op: string, fn: () => Promise<T>, kind: 'mutation' | 'removal' | 'finish' | 'pull' = 'mutation'): Promise<T> {
    const releases: Array<() => void> = [];
    const sems = kind === 'removal' ? [this.#removals, this.#mutations] : kind === 'pull' ? [this.#pulls] : [this.#mutations];
    try {
      for (const sem of sems) {
        try {
          releases.push(await sem.acquire(this.#slotWaitMs, kind === 'finish'));
        } catch (err) {
          const detail = `no free engine slot for ${op} within ${this.#slotWaitMs} ms`;
          throw new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, detail, { op, active: sem.active, waiting: sem.waiting }, err);
        }
      }
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  /** Runs fn in the container's turn (per-container cap, round robin between containers); waiting is bounded. */
  async fair<T>(container: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#gate.run(container, fn, this.#callMs);
    } catch (err) {
      if (!(err instanceof GateFull)) throw err;
      throw new IsletError(
        'RUNTIME_UNAVAILABLE',
        MSG_BUSY,
        `${err.message} (${err.reason === 'queue' ? 'queue full' : `waited ${this.#callMs} ms`})`,
        { op: 'fair-share', active: this.#gate.active, waiting: this.#gate.waiting },
        err,
      );
    }
  }
}
