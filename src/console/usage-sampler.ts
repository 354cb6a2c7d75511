/**
 * CPU and memory of every running trainee container, sampled from the
 * engine's stats for the instructor console's roster, at a bounded cost:
 * at most `concurrency` stats calls in flight and at most `perSecond` started
 * per second, so a cycle over N containers takes at least N / perSecond
 * seconds (1000 containers at 20/s: a 50 s cycle) and never less than
 * `minCycleMs`. It runs only while somebody looks (start/stop), and never on
 * the login path.
 *
 * Contract: CPU is a percentage of one core over the time between a
 * container's last two samples (undefined after its first), or with
 * `windowMs`, over about that long: from the sample that many ms back (passes
 * closer together than the window give a fresher figure over the same span);
 * a container that
 * left the target list is forgotten at the end of the cycle; an engine error
 * skips that container for the cycle (it keeps its last figures).
 */
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';

export interface Usage {
  /** Percent of one core since the previous sample; undefined after the first sample. */
  readonly cpuPercent?: number;
  /** Bytes in use; undefined when the driver cannot tell. */
  readonly memoryBytes?: number;
  /** When sampled (epoch ms). */
  readonly at: number;
}

export interface SamplerOptions {
  readonly driver: Pick<RuntimeDriver, 'cpuTime' | 'usage'>;
  /** The containers to sample now (asked at the start of each cycle). */
  readonly targets: () => Promise<readonly string[]>;
  readonly concurrency?: number;
  readonly perSecond?: number;
  readonly minCycleMs?: number;
  /** CPU over about this span (ms): measured from the sample ceil(windowMs / minCycleMs) passes back. Default: one pass back. */
  readonly windowMs?: number;
  /** Called after each cycle (the roster pushes what changed). */
  readonly onCycle?: () => void;
  readonly now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class UsageSampler {
  readonly #o: Required<Omit<SamplerOptions, 'onCycle' | 'windowMs'>> & Pick<SamplerOptions, 'onCycle'>;
  /** Samples kept per container: the CPU figure is measured from the oldest. */
  readonly #keep: number;
  readonly #last = new Map<string, { past: { cpuNs: number; at: number }[] } & Usage>();
  #running = false;
  #loop: Promise<void> | undefined;
  /** Stats calls made (for the bench and tests). */
  calls = 0;
  cycles = 0;

  constructor(o: SamplerOptions) {
    // 20 stats calls a second cost ISLET about 2.6 % of one core (1.3 ms each, measured by bench/console-roster.ts).
    // Concurrency 20, not 4: Docker answers a stats call only at its stats collector's next tick (once a second)
    // while any other is pending, so calls take ~1 s each and 4 in flight gave 4 calls a second (a 50 s cycle
    // at 200 containers); 20 in flight reach the 20 a second the pacing allows (bench/console-roster.ts --engine docker).
    this.#o = { concurrency: 20, perSecond: 20, minCycleMs: 2000, now: Date.now, ...o };
    this.#keep = o.windowMs ? Math.max(1, Math.ceil(o.windowMs / this.#o.minCycleMs - 0.01)) : 1;
  }

  get(id: string): Usage | undefined {
    const u = this.#last.get(id);
    return (
      u && {
        at: u.at,
        ...(u.cpuPercent !== undefined ? { cpuPercent: u.cpuPercent } : {}),
        ...(u.memoryBytes !== undefined ? { memoryBytes: u.memoryBytes } : {}),
      }
    );
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  /** Stops after the current call; figures are kept (a console reopened soon shows them at once). */
  stop(): void {
    this.#running = false;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const started = this.#o.now();
      await this.cycle(false).catch(() => undefined);
      this.#o.onCycle?.();
      const rest = this.#o.minCycleMs - (this.#o.now() - started);
      if (rest > 0 && this.#running) await sleep(rest);
    }
  }

  /** One pass over the targets, paced and capped (`explicit`: a test's, which runs without start()). */
  async cycle(explicit = true): Promise<void> {
    const ids = [...(await this.#o.targets())];
    const spacing = (this.#o.concurrency * 1000) / this.#o.perSecond;
    let next = 0;
    const worker = async () => {
      while (next < ids.length && (explicit || this.#running)) {
        const id = ids[next++]!;
        const t0 = this.#o.now();
        await this.#sample(id).catch(() => undefined);
        const wait = spacing - (this.#o.now() - t0);
        if (wait > 0) await sleep(wait);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, ids.length) }, worker));
    const keep = new Set(ids);
    for (const id of this.#last.keys()) if (!keep.has(id)) this.#last.delete(id);
    this.cycles++;
  }

  async #sample(id: string): Promise<void> {
    const d = this.#o.driver;
    this.calls++;
    const u = d.usage ? await d.usage(id) : await d.cpuTime(id).then((cpuNs) => (cpuNs === undefined ? undefined : { cpuNs, memoryBytes: undefined }));
    const at = this.#o.now();
    if (!u) {
      this.#last.delete(id);
      return;
    }
    const past = this.#last.get(id)?.past ?? [];
    // A counter that went back (the container restarted): the older samples measure nothing.
    if (past.length && u.cpuNs < past[past.length - 1]!.cpuNs) past.length = 0;
    const from = past[0];
    const cpuPercent = from && at > from.at && u.cpuNs >= from.cpuNs ? ((u.cpuNs - from.cpuNs) / 1e6 / (at - from.at)) * 100 : undefined;
    past.push({ cpuNs: u.cpuNs, at });
    if (past.length > this.#keep) past.shift();
    this.#last.set(id, {
      past,
      at,
      ...(cpuPercent !== undefined ? { cpuPercent } : {}),
      ...(u.memoryBytes !== undefined ? { memoryBytes: u.memoryBytes } : {}),
    });
  }
}
