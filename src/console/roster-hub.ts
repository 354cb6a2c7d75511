/**
 * Pushes the roster to every open console while anybody looks: a snapshot
 * every tick (1 s), or right after each pass of the usage sampler (two a tick)
 * when it reads local cgroup files; to each console only the rows that changed (RosterDiff),
 * so a change reaches the page within about a tick and a steady room costs
 * little. The usage sampler and the metric series run only while a console
 * is open.
 *
 * Message (JSON text): {t:'roster', now, upsert:[RosterRow], remove:[key], capacity, metrics?}
 * — the first one to a console carries every row and the charts' series; later ones only what changed
 * (`metrics` when re-sampled).
 *
 * Contract: a console whose socket has more than MAX_BUFFERED bytes unsent is
 * skipped for the tick (it gets what changed at the next one, nothing is lost).
 */
import type { IsletMetrics } from '../metrics/metrics.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import { MetricSeries, type Series } from './metric-series.ts';
import { readStored, RosterDiff, rosterSnapshot, type Capacity, type RosterSnapshot, type RosterSources, type StoredRoster } from './roster-state.ts';
import { UsageSampler, type SamplerOptions } from './usage-sampler.ts';

export const MAX_BUFFERED = 1024 * 1024;

export interface RosterHubOptions {
  readonly sources: Omit<RosterSources, 'usage'>;
  readonly driver: Pick<RuntimeDriver, 'cpuTime' | 'usage' | 'usageLocal'>;
  readonly metrics?: IsletMetrics;
  readonly tickMs?: number;
  readonly metricsMs?: number;
  readonly sampler?: Partial<Pick<SamplerOptions, 'concurrency' | 'perSecond' | 'minCycleMs'>>;
}

interface Subscriber {
  readonly send: (text: string) => void;
  readonly buffered: () => number;
  readonly diff: RosterDiff;
  /** False: its console session ended; the hub calls `end`. */
  readonly alive: () => boolean;
  readonly end: () => void;
  capacity?: string;
  metricsSent: number;
}

export class RosterHub {
  readonly #o: RosterHubOptions;
  readonly sampler: UsageSampler;
  readonly #series: MetricSeries | undefined;
  readonly #subs = new Set<Subscriber>();
  #timer: NodeJS.Timeout | undefined;
  #metricsTimer: NodeJS.Timeout | undefined;
  #metricsVersion = 0;
  #last: RosterSnapshot | undefined;
  /** The store's part of the roster and when it was read. */
  #stored: { at: number; data: StoredRoster } | undefined;
  #busy = false;
  /** Ticks follow the sampler's passes (a local driver) instead of their own timer. */
  readonly #local: boolean;
  /** Ticks computed (bench). */
  ticks = 0;

  constructor(o: RosterHubOptions) {
    this.#o = o;
    // A driver reading cgroup files (usageLocal: one pread each, a few microseconds) samples every container
    // twice a tick, all at once (no pacing: no timer per container), with CPU over the last tick (two passes),
    // and the push follows each pass at once. So a busy loop shows in the CPU column (20 % of a core) within
    // about 0.7 s and its end (under 5 %) within about 1.5 s, where one pass a tick took up to 2 s for the end.
    // The store is still read once a tick (#stored). Through the Engine API's stats call the pace stays capped
    // and pushes keep their own timer.
    this.#local = !!o.driver.usageLocal;
    const tick = o.tickMs ?? 1000;
    const fast = this.#local ? { concurrency: 64, perSecond: Number.POSITIVE_INFINITY, minCycleMs: tick / 2, windowMs: tick } : {};
    this.sampler = new UsageSampler({
      driver: o.driver,
      targets: async () => this.#last?.running ?? [],
      ...fast,
      ...o.sampler,
      ...(this.#local ? { onCycle: () => void this.#tick([...this.#subs], true) } : {}),
    });
    this.#series = o.metrics ? new MetricSeries(o.metrics) : undefined;
  }

  /** The roster now (every row; `fresh` false: the store as read up to 3/4 of a tick ago, so twice as many passes as ticks read it once a tick). */
  async snapshot(fresh = true): Promise<RosterSnapshot> {
    const now = Date.now();
    const tick = this.#o.tickMs ?? 1000;
    if (fresh || !this.#stored || now - this.#stored.at >= (tick * 3) / 4) this.#stored = { at: now, data: await readStored(this.#o.sources.store) };
    return rosterSnapshot({ ...this.#o.sources, usage: (id) => this.sampler.get(id) }, this.#stored.data);
  }

  /** Starts pushing to a console; returns its unsubscribe. */
  subscribe(s: Omit<Subscriber, 'diff' | 'metricsSent' | 'capacity'>): () => void {
    const sub: Subscriber = { ...s, diff: new RosterDiff(), metricsSent: -1 };
    this.#subs.add(sub);
    if (this.#subs.size === 1) this.#start();
    void this.#tick([sub], false);
    return () => {
      this.#subs.delete(sub);
      if (this.#subs.size === 0) this.#stop();
    };
  }

  get consoles(): number {
    return this.#subs.size;
  }

  #start(): void {
    if (!this.#local) this.#timer = setInterval(() => void this.#tick([...this.#subs], true), this.#o.tickMs ?? 1000).unref();
    this.sampler.start();
    if (this.#series) {
      const sample = () =>
        void this.#series!.sample()
          .then(() => this.#metricsVersion++)
          .catch(() => undefined);
      sample();
      this.#metricsTimer = setInterval(sample, this.#o.metricsMs ?? 10_000).unref();
    }
  }

  #stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#metricsTimer);
    this.#timer = this.#metricsTimer = undefined;
    this.sampler.stop();
  }

  /** `periodic`: the timer's (skipped while the previous one runs); else a new console's first push. */
  async #tick(subs: Subscriber[], periodic: boolean): Promise<void> {
    if (periodic && this.#busy) return;
    if (periodic) this.#busy = true;
    try {
      const snap = await this.snapshot(!periodic);
      this.#last = snap;
      this.ticks++;
      const series: Series[] | undefined = this.#series?.all();
      for (const s of subs) {
        if (!this.#subs.has(s)) continue;
        if (!s.alive()) {
          s.end();
          continue;
        }
        if (s.buffered() > MAX_BUFFERED) continue;
        const { upsert, remove } = s.diff.diff(snap.rows);
        const cap = JSON.stringify(snap.capacity);
        const metricsDue = series && s.metricsSent !== this.#metricsVersion;
        if (!upsert.length && !remove.length && cap === s.capacity && !metricsDue) continue;
        s.capacity = cap;
        const msg: { t: 'roster'; now: number; upsert: typeof upsert; remove: string[]; capacity: Capacity; metrics?: Series[] } = {
          t: 'roster',
          now: Date.now(),
          upsert,
          remove,
          capacity: snap.capacity,
        };
        if (metricsDue) {
          msg.metrics = series;
          s.metricsSent = this.#metricsVersion;
        }
        s.send(JSON.stringify(msg));
      }
    } catch {
      // The store or engine failed this tick; the next one tries again.
    } finally {
      if (periodic) this.#busy = false;
    }
  }

  close(): void {
    for (const s of [...this.#subs]) s.end();
    this.#subs.clear();
    this.#stop();
  }
}
