/**
 * Sets each trainee container's CPU weight from what it does: lowered while it keeps a core busy, raised while its
 * trainee types a line, its environment's own weight otherwise.
 *
 * Why lower: on the benchmark VM, with 99 trainees typing and one running a CPU-bound job back to back, the typists'
 * echo p99 was 70.7 ms with every container at weight 1024 and 46.4 ms with the job's container at weight 2
 * (medians of 8 runs each, bench/results/2026-12-03-exercise-weight-ab/), while the job took 13 % longer; with this
 * governor at weight 2 against it off, 44.7 against 79.2 ms (4 runs each), and at weight 64 no difference
 * (bench/results/2026-12-03-busy-weight-ab/).
 * Why raise: in a room whose CPU work is many short jobs (none keeps a core busy long enough to be lowered), a
 * typed key waits behind them twice in its own container's run queue (the pty relay, then the shell). Raising the
 * weight of a typing trainee's container from its first key to its Enter cut the keys over 50 ms by two fifths in
 * four A/B runs within one room, and the relay's and the shell's share of the slow keys' wait from about 70 % to about
 * a tenth (docs/performance.md, "Weighting the typing container").
 * A weight only counts when the CPUs are short: a lowered container alone on the machine still gets every idle
 * cycle, so nobody's job is slowed by this unless others need the CPU at that moment.
 *
 * Contract: each tick reads every target's CPU time, but for a quiet room (below); targets: the running containers the
 * store says are ISLET's, with their environment's `cpu_shares`, listed again every REFRESH_MS. A container is set to
 * `busyShares` once it used at least `busyPercent` of one core over a tick, and back to its own weight once it
 * used under CALM_PERCENT for CALM_TICKS ticks in a row. typed() raises a container to `typingShares` when its
 * trainee types (a key, not an Enter) while it is not lowered and used under CALM_PERCENT over the last tick,
 * and gives its own weight back before an Enter reaches the shell (the command then runs at its own weight), or at
 * the first tick TYPING_IDLE_MS after the last key, or at a tick over which it used CALM_PERCENT or more (and a
 * lowered weight instead when that reached `busyPercent`), after which no key raises it before CALM_TICKS calm
 * ticks. So typing lends a job the raised weight for one tick at most, then not for two seconds, and a job that
 * works through the ticks never has it: echoing keys costs a shell and a relay far under CALM_PERCENT. The first
 * time a container is seen, and when its CPU counter went back (the container restarted), it is given its own
 * weight (a weight lowered or raised before ISLET restarted must not stay); typed() leaves containers no tick has
 * seen alone. A failed read or write changes nothing and is tried again at the next tick (or key). `busyShares` 0
 * turns the lowering off and `typingShares` 0 the raising: whatever is lowered or raised is given back. A container
 * that stops being a target is forgotten (its next start applies the configured weight), and close() gives every
 * lowered or raised one its weight back. Where several servers share the store, only the one that `leads` writes,
 * so keys typed through another server raise nothing.
 * A quiet room costs one read a tick: where the driver offers a group holding the containers (groupCpuTime, ISLET's idle
 * trainee group) and the whole group used under CALM_PERCENT (and under `busyPercent`) of one core over a tick, no
 * container it holds can have been busy, so those neither lowered nor raised are not read: the tick counts them calm
 * and their last reading goes stale. A stale container's next read is judged busy only when its average over the
 * whole stale span reaches `busyPercent` (which only its last tick can have made); otherwise it takes a new baseline,
 * so a job that starts in a quiet room may be lowered a tick later than in a busy one, when the CPUs were not short
 * anyway; and typed() does not raise a stale one (in a quiet group a raise buys nothing). First sights, lowered and
 * raised containers and those outside the group are read every tick.
 * Containers are touched only through the driver's setCpuWeight, which writes this machine's cgroup files (no
 * engine call; one small synchronous write, done before the key is passed on).
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { GroupCpuTime, RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { Store } from '../store/store.ts';

export interface GovernedContainer {
  readonly id: string;
  /** The weight its environment configures (`cpu_shares`). */
  readonly shares: number;
}

export interface GovernorSettings {
  /** The weight of a busy container; 0: off. */
  readonly busyShares: number;
  /** Percent of one core over a tick from which a container counts as busy. */
  readonly busyPercent: number;
  /** The weight of a container whose trainee is typing a line; 0: off (absent: off). */
  readonly typingShares?: number;
}

export interface CpuWeightGovernorDeps {
  /** cpuTime must be cheap (the host's cgroup files: RuntimeDriver.usageLocal), since every target is read each tick. */
  readonly driver: Required<Pick<RuntimeDriver, 'cpuTime' | 'setCpuWeight'>> & Pick<RuntimeDriver, 'groupCpuTime'>;
  readonly targets: () => Promise<readonly GovernedContainer[]>;
  readonly settings: () => GovernorSettings;
  readonly log: Logger;
  /**
   * Whether this server governs now (several front doors on one store: the reconciler's leader lease). A server
   * that does not lead forgets what it saw and writes nothing, so two servers never undo each other's writes.
   */
  readonly leads?: () => boolean;
  /** Milliseconds (performance.now by default). */
  readonly now?: () => number;
}

/**
 * The governor's targets: the containers the store records as running, with their environment's `cpu_shares`.
 * A container whose environment left the configuration is left alone: its own weight is not known here.
 */
export async function governedContainers(store: Pick<Store, 'listOwnership'>, config: Pick<ConfigSource, 'current'>): Promise<GovernedContainer[]> {
  const shares = new Map(config.current().environments.map((e) => [e.name, e.cpu_shares]));
  const out: GovernedContainer[] = [];
  for (const r of await store.listOwnership()) {
    const s = shares.get(r.environment);
    if (r.state === 'running' && s !== undefined) out.push({ id: r.containerId, shares: s });
  }
  return out;
}

/** How often the composition root calls tick(): half a second lowers a job a second or less after it starts. */
export const GOVERNOR_TICK_MS = 500;
/** The targets are listed again this often (one store query). */
const REFRESH_MS = 5000;
/** A lowered container counts as quiet under this percent of one core (a starved job still runs above it). */
const CALM_PERCENT = 20;
/** Quiet ticks in a row before a lowered container gets its weight back (2 s at GOVERNOR_TICK_MS). */
const CALM_TICKS = 4;
/** A raised container whose trainee typed nothing for this long gets its own weight back (at the next tick). */
export const TYPING_IDLE_MS = 1000;

interface Seen {
  ns: number;
  at: number;
  /** Whether the busy weight was the last written (else the container's own `shares`, or the typing weight). */
  lowered: boolean;
  /** Whether the typing weight was the last written. */
  raised: boolean;
  /** When its trainee last typed (this.#now()), while raised. */
  keyAt: number;
  /** Ticks in a row under CALM_PERCENT (a lowered one: since it was lowered; a first sight counts as one). */
  calm: number;
  /** Calm ticks a key needs before it may raise it: 1, or CALM_TICKS after it was found working while raised. */
  calmNeeded: number;
  shares: number;
  /** Not read over a quiet tick: `ns` and `at` are older than the last tick, so the next read is a new baseline. */
  stale: boolean;
  /** When it last got its own weight back after being lowered (this.#now()); -Infinity if never. */
  restoredAt: number;
}

/** An Enter (or a line feed) in a chunk of input: the line is done, and the command it starts runs unraised. */
const endsLine = (b: Buffer) => b.includes(0x0d) || b.includes(0x0a);

export class CpuWeightGovernor {
  readonly #d: CpuWeightGovernorDeps;
  readonly #now: () => number;
  readonly #seen = new Map<string, Seen>();
  #targets: readonly GovernedContainer[] = [];
  #listedAt = Number.NEGATIVE_INFINITY;
  /** The group's CPU time at the last tick (groupCpuTime), for the next tick's quiet test. */
  #group: { ns: number; at: number } | undefined;
  #quietTicks = 0;
  /** The tick under way, which close() waits for. */
  #ticking: Promise<void> | undefined;
  #closed = false;

  constructor(deps: CpuWeightGovernorDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => performance.now());
  }

  /** Containers at the busy weight now (metrics, tests). */
  get lowered(): number {
    let n = 0;
    for (const s of this.#seen.values()) if (s.lowered) n++;
    return n;
  }

  /**
   * Whether container `id` was at the busy weight at any time in the last `withinMs`: lowered now, or given its weight
   * back less than `withinMs` ago. Why: while the CPUs are short a lowered job gets next to none of them (its weight
   * is 2 by default against 1024), so over that time it uses next to no CPU though it wants a core; the idle check
   * asks this before it reads low use as idle (src/lifecycle/lifecycle-service.ts).
   */
  heldBack(id: string, withinMs: number): boolean {
    const s = this.#seen.get(id);
    return !!s && (s.lowered || this.#now() - s.restoredAt < withinMs);
  }

  /** Ticks so far over which the group was quiet, so that no container it holds was read (tests). */
  get quietTicks(): number {
    return this.#quietTicks;
  }

  /** Containers at the typing weight now (metrics, tests). */
  get raised(): number {
    let n = 0;
    for (const s of this.#seen.values()) if (s.raised) n++;
    return n;
  }

  /**
   * A trainee's input on its way to container `id`'s shell (called before it is passed on, so the weight is
   * written first). Cheap when nothing changes: one map lookup and a scan of the chunk for an Enter.
   */
  typed(id: string, b: Buffer): void {
    if (this.#closed) return;
    const s = this.#seen.get(id);
    if (!s || s.lowered || s.stale) return;
    if (endsLine(b)) {
      if (s.raised) void this.#unraise(id, s);
      return;
    }
    if (s.raised) {
      s.keyAt = this.#now();
      return;
    }
    const typingShares = this.#d.settings().typingShares ?? 0;
    if (typingShares <= s.shares || s.calm < s.calmNeeded || (this.#d.leads && !this.#d.leads())) return;
    // Marked at once, so that the next key of the line does not write again; a write that failed (the container
    // going) leaves it marked until the next tick forgets or unraises it. setCpuWeight writes synchronously before
    // its promise settles: the weight is in place when the key is passed on.
    Object.assign(s, { raised: true, keyAt: this.#now(), calmNeeded: 1 });
    void this.#d.driver.setCpuWeight(id, typingShares).catch(() => false);
  }

  /** Its own weight back; a write that failed leaves it marked raised, so the next tick tries again. */
  async #unraise(id: string, s: Seen): Promise<void> {
    s.raised = false;
    if (!(await this.#d.driver.setCpuWeight(id, s.shares).catch(() => false)) && !s.lowered) s.raised = true;
  }

  /** One pass over the targets; does nothing after close(). */
  tick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Ends the ticks and gives every lowered container its own weight back (ISLET stopping: the containers go on). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#ticking?.catch(() => undefined);
    await this.restoreAll();
  }

  async #tick(): Promise<void> {
    if (this.#d.leads && !this.#d.leads()) {
      // The leader governs; its first sight of each container writes that container's weight again.
      this.#seen.clear();
      this.#listedAt = Number.NEGATIVE_INFINITY;
      this.#group = undefined;
      return;
    }
    const settings = this.#d.settings();
    if (settings.busyShares === 0 && !(settings.typingShares ?? 0)) {
      await this.restoreAll();
      return;
    }
    if (this.#now() - this.#listedAt >= REFRESH_MS) {
      this.#targets = await this.#d.targets();
      this.#listedAt = this.#now();
      const keep = new Set(this.#targets.map((t) => t.id));
      for (const id of this.#seen.keys()) if (!keep.has(id)) this.#seen.delete(id);
    }
    const quiet = await this.#quietGroup(settings);
    if (quiet) this.#quietTicks++;
    for (const t of this.#targets) {
      if (this.#closed) return;
      const s = this.#seen.get(t.id);
      if (quiet && s && !s.lowered && !s.raised && quiet.holds(t.id)) {
        // Under a core's CALM_PERCENT for the whole group over the tick: this one too, unread.
        s.calm++;
        s.stale = true;
        continue;
      }
      await this.#check(t, settings).catch(() => undefined);
    }
  }

  /**
   * The group's reading when the whole group used under CALM_PERCENT and `busyPercent` of one core since the last
   * tick's (then none of the containers it holds was busy), else undefined. Each call takes the next baseline.
   */
  async #quietGroup(o: GovernorSettings): Promise<GroupCpuTime | undefined> {
    const g = await this.#d.driver.groupCpuTime?.().catch(() => undefined);
    const at = this.#now();
    const last = this.#group;
    this.#group = g && { ns: g.cpuNs, at };
    if (!g || !last || g.cpuNs < last.ns || at <= last.at) return undefined;
    const percent = ((g.cpuNs - last.ns) / 1e6 / (at - last.at)) * 100;
    return percent < Math.min(CALM_PERCENT, o.busyPercent) ? g : undefined;
  }

  /** Gives every lowered or raised container its own weight back (when turned off, and at close). */
  async restoreAll(): Promise<void> {
    for (const [id, s] of this.#seen) {
      if ((s.lowered || s.raised) && (await this.#d.driver.setCpuWeight(id, s.shares).catch(() => false))) Object.assign(s, { lowered: false, raised: false });
    }
    this.#seen.clear();
    this.#listedAt = Number.NEGATIVE_INFINITY;
  }

  async #check(t: GovernedContainer, o: GovernorSettings): Promise<void> {
    const cpuNs = await this.#d.driver.cpuTime(t.id);
    const at = this.#now();
    let prev = this.#seen.get(t.id);
    if (cpuNs === undefined) {
      this.#seen.delete(t.id);
      return;
    }
    if (prev && cpuNs < prev.ns) {
      // A counter that went back is a restarted container, which the engine started at its configured weight:
      // a first sight again, so that a busy one is lowered at the next tick rather than counted as lowered already.
      this.#seen.delete(t.id);
      prev = undefined;
    }
    if (!prev) {
      // First sight: its own weight, whatever an earlier run of ISLET left.
      if (await this.#d.driver.setCpuWeight(t.id, t.shares))
        this.#seen.set(t.id, {
          ns: cpuNs,
          at,
          lowered: false,
          raised: false,
          keyAt: 0,
          calm: 1,
          calmNeeded: 1,
          shares: t.shares,
          stale: false,
          restoredAt: Number.NEGATIVE_INFINITY,
        });
      return;
    }
    const span = at - prev.at;
    const percent = span > 0 ? ((cpuNs - prev.ns) / 1e6 / span) * 100 : 0;
    const stale = prev.stale;
    Object.assign(prev, { ns: cpuNs, at, stale: false });
    // A stale reading spans quiet ticks, over each of which it used under busyPercent: an average at or over it can
    // only come from its last tick, so it is lowered as usual; under it, the reading is only a new baseline (a stale
    // container is neither lowered nor raised, so nothing else is judged from it).
    if (stale && percent < o.busyPercent) return;
    prev.calm = percent < CALM_PERCENT ? prev.calm + 1 : 0;
    if (!prev.lowered) {
      const busy = o.busyShares > 0 && percent >= o.busyPercent && o.busyShares < t.shares;
      if (busy && (await this.#d.driver.setCpuWeight(t.id, o.busyShares))) {
        Object.assign(prev, { lowered: true, raised: false, calm: 0, shares: t.shares });
        this.#d.log.debug(
          { event: 'cpu_weight_lowered', container: t.id.slice(0, 12), cpuPercent: Math.round(percent), shares: o.busyShares },
          'busy container at a lower CPU weight',
        );
        return;
      }
      // Raised, and its trainee stopped typing without an Enter (a full-screen program, a line left), or it worked
      // over the tick (a program that computes on each key: raised, it would take the weight's share of the CPU; no
      // key raises it again before CALM_TICKS calm ticks), or raising was turned off: its own weight back.
      if (prev.raised) {
        const worked = percent >= CALM_PERCENT;
        if (worked) prev.calmNeeded = CALM_TICKS;
        if (worked || at - prev.keyAt >= TYPING_IDLE_MS || !(o.typingShares ?? 0)) await this.#unraise(t.id, prev);
      }
      return;
    }
    // Lowering turned off (raising still on, or the tick would have restored every container): its weight back now.
    if ((prev.calm >= CALM_TICKS || o.busyShares === 0) && (await this.#d.driver.setCpuWeight(t.id, t.shares))) {
      Object.assign(prev, { lowered: false, calm: 0, shares: t.shares, restoredAt: at });
      this.#d.log.debug({ event: 'cpu_weight_restored', container: t.id.slice(0, 12), shares: t.shares }, 'quiet container back at its CPU weight');
    }
  }
}
