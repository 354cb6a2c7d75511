/**
 * The idle check's CPU samples (LifecycleService.check): for each idle candidate, its CPU time and the time its
 * processes waited for a CPU at the previous check, so that each check can say what it used and what it wanted since.
 *
 * Why both: a job that wants a core can get next to none of it while the CPUs are short (ISLET's trainee group runs
 * at idle priority behind the host's own work, and the CPU-weight governor lowers a busy container to a weight of 2),
 * so by its use alone it looks idle; its waiting (RuntimeDriver.cpuWaited, the kernel's pressure stall information)
 * says otherwise. Where the driver cannot tell waiting, `waitedPercent` is undefined and only use counts.
 *
 * Contract: `judge` answers undefined at a candidate's first sample, when the driver has no CPU time for it, or when
 * no time passed; `keepOnly` and `delete` drop samples of containers that are no longer candidates.
 */
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';

export interface IdleJudgement {
  /** Percent of one core used since the previous sample. */
  readonly usedPercent: number;
  /** Percent of the span during which its processes waited for a CPU; undefined where the driver cannot tell. */
  readonly waitedPercent: number | undefined;
  /** Milliseconds since the previous sample. */
  readonly spanMs: number;
}

interface Sample {
  readonly ns: number;
  readonly waitedNs: number | undefined;
  readonly at: number;
}

export class IdleSamples {
  readonly #driver: Pick<RuntimeDriver, 'cpuTime' | 'cpuWaited'>;
  readonly #last = new Map<string, Sample>();

  constructor(driver: Pick<RuntimeDriver, 'cpuTime' | 'cpuWaited'>) {
    this.#driver = driver;
  }

  /** Samples container `id` at `at` (ms) and judges the span since its previous sample. */
  async judge(id: string, at: number): Promise<IdleJudgement | undefined> {
    const ns = await this.#driver.cpuTime(id).catch(() => undefined);
    if (ns === undefined) return undefined;
    const waitedNs = await this.#driver.cpuWaited?.(id).catch(() => undefined);
    const prev = this.#last.get(id);
    this.#last.set(id, { ns, waitedNs, at });
    if (!prev || at <= prev.at) return undefined;
    const spanMs = at - prev.at;
    const percent = (deltaNs: number) => (deltaNs / 1e6 / spanMs) * 100;
    const waited = waitedNs !== undefined && prev.waitedNs !== undefined && waitedNs >= prev.waitedNs ? percent(waitedNs - prev.waitedNs) : undefined;
    return { usedPercent: percent(ns - prev.ns), waitedPercent: waited, spanMs };
  }

  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.#last.keys()) if (!ids.has(id)) this.#last.delete(id);
  }

  delete(id: string): void {
    this.#last.delete(id);
  }
}
