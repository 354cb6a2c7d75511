/**
 * Keeps ISLET's idle trainee CPU group (trainee-cpu-group.ts) from starving: while other processes on the host leave
 * the trainee containers next to no CPU, the group's idle mark is lifted for a while.
 *
 * Why: an idle group runs only on CPU time the rest of the host leaves. A host job that keeps every CPU busy (an image
 * build, anything at nice 0) leaves it next to none: the kernel weighs an idle group at 3 against a nice-0 task's
 * 1024. On the 2-CPU benchmark VM, with two busy loops at nice 0 outside it, `docker run ... true` in the group took
 * 10 s instead of 1 s, every ISLET start timed out ("the training environment service is busy") and live shells all
 * but stopped. Without the mark the group competes at its weight (cgroup v1 `cpu.shares` 1024, v2 `cpu.weight` 100:
 * as one nice-0 task), so the trainees share the host with the job instead of waiting for it to end.
 *
 * Contract: tick() (every GUARD_TICK_MS) reads the group's CPU time and pressure stall. The group is starved over a
 * span between two ticks when its tasks waited for a CPU over STARVED_WAIT_PERCENT of it and used under
 * STARVED_USE_PERCENT of one CPU; a room whose containers run and queue among themselves, or share a storm's CPUs
 * with ISLET and the engine, uses far more. Starved over STARVED_SPANS spans in a row (a host job goes on, where a
 * storm's first seconds pass: with one span and 5 % a 100-login storm lifted the mark early on, its first containers
 * having waited 47 % and used 3.9 % of a second behind a hundred SSH handshakes), the idle mark is cleared for a hold
 * (`holdMs`), after which it is set again. A group starved again within RESTARVED_WITHIN_MS of being marked idle
 * again is held twice as long as the last time, up to `maxHoldMs`, so a long host job costs the trainees three or four
 * seconds of waiting every few minutes, not every few seconds; a starvation after a longer calm starts at `holdMs`
 * again. Without pressure files (no PSI; a hybrid host's unified group before its first container) nothing is
 * judged and the mark stays. close() sets the mark again if this guard cleared it. Several servers on one host each
 * guard the one group: a server may set the mark while another holds it clear, which only shortens a hold.
 */
import type { Service } from '../../core/service.ts';
import type { Logger } from '../../logger.ts';
import type { TraineeCpuGroup } from './trainee-cpu-group.ts';
import { type TraineeGroupIo, traineeGroupIo } from './trainee-group-io.ts';

export const GUARD_TICK_MS = 1000;
/** Percent of a span the group's tasks waited for a CPU from which it may be starved. */
export const STARVED_WAIT_PERCENT = 20;
/** Percent of one CPU under which a group that waited is starved (a busy host left it 0.2 to 0.6 %). */
export const STARVED_USE_PERCENT = 2;
/** Spans in a row the group must be starved before its mark is lifted. */
export const STARVED_SPANS = 3;
/** The first hold without the idle mark. */
export const HOLD_MS = 10_000;
/** The longest hold. */
export const MAX_HOLD_MS = 300_000;
/** Starved again this soon after the mark came back: the next hold is twice the last. */
export const RESTARVED_WITHIN_MS = 10_000;
/** How often the service asks for a group that is not prepared (yet). */
const GROUP_RETRY_MS = 30_000;

interface Reading {
  readonly at: number;
  readonly used: number;
  readonly waited: number;
}

export class TraineeGroupGuard {
  readonly #io: TraineeGroupIo;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #holdMs: number;
  readonly #maxHoldMs: number;
  #last: Reading | undefined;
  /** While the mark is cleared: when it is set again. */
  #heldUntil: number | undefined;
  #lastHold = 0;
  #markedAt = Number.NEGATIVE_INFINITY;
  /** Starved spans in a row so far. */
  #starved = 0;
  /** Times the mark was cleared (tests, logs). */
  lifted = 0;

  constructor(o: { io: TraineeGroupIo; log: Logger; now?: () => number; holdMs?: number; maxHoldMs?: number }) {
    this.#io = o.io;
    this.#log = o.log;
    this.#now = o.now ?? (() => performance.now());
    this.#holdMs = o.holdMs ?? HOLD_MS;
    this.#maxHoldMs = o.maxHoldMs ?? MAX_HOLD_MS;
  }

  /** Whether the group runs without its idle mark now (this guard's doing). */
  get held(): boolean {
    return this.#heldUntil !== undefined;
  }

  tick(): void {
    const at = this.#now();
    const used = this.#io.usedNs();
    const waited = this.#io.waitedNs();
    const prev = this.#last;
    this.#last = used !== undefined && waited !== undefined ? { at, used, waited } : undefined;
    if (this.#heldUntil !== undefined) {
      if (at >= this.#heldUntil) this.#mark(at);
      return;
    }
    const now = this.#last;
    if (!prev || !now || now.at <= prev.at || now.used < prev.used || now.waited < prev.waited) {
      this.#starved = 0;
      return;
    }
    const span = (now.at - prev.at) * 1e6;
    const usedPct = ((now.used - prev.used) / span) * 100;
    const waitedPct = ((now.waited - prev.waited) / span) * 100;
    this.#starved = waitedPct >= STARVED_WAIT_PERCENT && usedPct < STARVED_USE_PERCENT ? this.#starved + 1 : 0;
    if (this.#starved < STARVED_SPANS) return;
    const hold = at - this.#markedAt < RESTARVED_WITHIN_MS ? Math.min(this.#lastHold * 2, this.#maxHoldMs) : this.#holdMs;
    if (!this.#io.setIdle(false)) return; // tried again at the next starved tick
    this.#heldUntil = at + hold;
    this.#lastHold = hold;
    this.#starved = 0;
    this.lifted++;
    this.#log.warn(
      { event: 'trainee_cpu_starved', waited_percent: Math.round(waitedPct), used_percent: Math.round(usedPct * 10) / 10, hold_seconds: hold / 1000 },
      `other processes on this host left the trainee containers next to no CPU; their group runs at normal priority for ${hold / 1000} s`,
    );
  }

  /** Sets the mark again if this guard cleared it. */
  close(): void {
    if (this.#heldUntil !== undefined) this.#mark(this.#now());
  }

  #mark(at: number): void {
    if (!this.#io.setIdle(true)) return; // tried again at the next tick
    this.#heldUntil = undefined;
    this.#markedAt = at;
    this.#log.info({ event: 'trainee_cpu_idle_again' }, 'the trainee containers run at idle priority again');
  }
}

/**
 * The guard as a service over the driver's trainee group: it ticks only once the group is prepared (`group()`,
 * DockerDriver.traineeCpuGroup, asked at most every GROUP_RETRY_MS until it is) and only where the host has the
 * group's files.
 */
export function traineeGroupGuardService(group: () => Promise<TraineeCpuGroup> | undefined, log: Logger, io = traineeGroupIo()): Service {
  const guard = io ? new TraineeGroupGuard({ io, log }) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let ready = false;
  // An engine that did not answer is asked again by the driver at each call: at most every GROUP_RETRY_MS from here.
  let askAfter = 0;
  const tick = async () => {
    if (!guard) return;
    if (!ready) {
      if (performance.now() < askAfter) return;
      askAfter = performance.now() + GROUP_RETRY_MS;
      const g = await group();
      if (!g || !('parent' in g)) return;
      ready = true;
    }
    guard.tick();
  };
  return {
    name: 'trainee-cpu-guard',
    start() {
      if (timer || !guard) return;
      timer = setInterval(() => void tick().catch(() => undefined), GUARD_TICK_MS);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      guard?.close();
    },
  };
}
