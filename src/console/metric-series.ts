/**
 * The few ISLET metrics the console draws as small charts, sampled from the
 * metrics registry (src/metrics/) every `intervalMs` into short series:
 * sessions open by door (SSH, browser), logins per minute, mean time to
 * shell, and engine calls per second. Only while a console looks.
 *
 * Contract: each series holds at most `points` values, oldest first; a rate
 * is over the interval before its point (none before the second sample).
 */
import type { IsletMetrics } from '../metrics/metrics.ts';

export interface Series {
  readonly name: string;
  readonly unit: string;
  readonly points: number[];
}

type Metric = { get(): Promise<{ values: { value: number; labels: Record<string, string | number>; metricName?: string }[] }> };

const total = async (m: Metric, pick: (v: { labels: Record<string, string | number>; metricName?: string }) => boolean = () => true) =>
  (await m.get()).values.filter(pick).reduce((a, v) => a + v.value, 0);

export class MetricSeries {
  readonly #m: IsletMetrics;
  readonly #points: number;
  readonly #series = new Map<string, Series>();
  #prev: { at: number; logins: number; calls: number; tssSum: number; tssCount: number } | undefined;

  constructor(m: IsletMetrics, points = 60) {
    this.#m = m;
    this.#points = points;
    for (const [name, unit] of [
      ['SSH sessions', ''],
      ['Browser sessions', ''],
      ['Logins per minute', '/min'],
      ['Time to shell (mean)', 's'],
      ['Engine calls per second', '/s'],
    ] as const)
      this.#series.set(name, { name, unit, points: [] });
  }

  #push(name: string, v: number): void {
    const p = this.#series.get(name)!.points;
    p.push(Math.round(v * 100) / 100);
    if (p.length > this.#points) p.shift();
  }

  async sample(now = Date.now()): Promise<void> {
    const m = this.#m;
    const sessions = (await (m.sessions as unknown as Metric).get()).values;
    const byDoor = (door: string) => sessions.filter((v) => v.labels.door === door).reduce((a, v) => a + v.value, 0);
    this.#push('SSH sessions', byDoor('ssh'));
    this.#push('Browser sessions', byDoor('web'));
    const logins = await total(m.logins as unknown as Metric);
    const calls = await total(m.engineCalls as unknown as Metric);
    const tss = (await (m.timeToShell as unknown as Metric).get()).values;
    const tssSum = tss.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
    const tssCount = tss.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
    const p = this.#prev;
    if (p && now > p.at) {
      const s = (now - p.at) / 1000;
      this.#push('Logins per minute', ((logins - p.logins) / s) * 60);
      this.#push('Engine calls per second', (calls - p.calls) / s);
      const n = tssCount - p.tssCount;
      this.#push('Time to shell (mean)', n > 0 ? (tssSum - p.tssSum) / n : 0);
    }
    this.#prev = { at: now, logins, calls, tssSum, tssCount };
  }

  all(): Series[] {
    return [...this.#series.values()].map((s) => ({ ...s, points: [...s.points] }));
  }
}
