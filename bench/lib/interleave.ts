/**
 * The order of the interleaved comparison (issue 15.2). At every step the systems take turns
 * (ISLET, peer, ISLET, peer …), several repetitions each, so a noisy minute hits both alike; each
 * repetition also times every system's exercise with no one working (its solo time, in the same
 * interleaving), so each system has its own yardstick taken beside its loaded runs.
 */
export interface Slot {
  readonly n: number;
  readonly rep: number;
  readonly system: string;
  /** `loaded`: n−1 of the system's trainees work while the exercise runs; `solo`: nobody works. */
  readonly kind: 'loaded' | 'solo';
}

/**
 * The slots of one step: per repetition, each system loaded in turn, then each system solo in turn. n = 1 is
 * solo only. The order changes every repetition (`turnOrder`): each system takes the first slot of some
 * repetitions, and each follows each other system equally often. Why: with one fixed order the first system
 * met every step's first minutes (the rooms just grown, the machine at its busiest: archive/2026-12-04-workload-6b4cc52.json,
 * n = 100, ISLET's first slot at load 10.6 with all 21 of its slow keys in machine-wide stalls), and the
 * system after the peer always met what the peer's room had left behind.
 */
export function stepSlots(systems: readonly string[], n: number, reps: number): Slot[] {
  const out: Slot[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const order = turnOrder(systems, rep);
    if (n > 1) for (const system of order) out.push({ n, rep, system, kind: 'loaded' });
    for (const system of order) out.push({ n, rep, system, kind: 'solo' });
  }
  return out;
}

/**
 * The systems' order in repetition `rep`: the list turned by ⌊rep / 2⌋, reversed in odd repetitions (with two
 * systems A B, B A, B A, A B …; with three the six rows of a Williams square, abc cba bca acb cab bac). Over 2k
 * repetitions of k systems every system is first twice and every ordered pair of neighbours occurs equally often
 * (for k = 2 and 3, the counts the comparison uses), so neither a step's start nor one system's leftovers fall
 * on one system.
 */
export function turnOrder<T>(systems: readonly T[], rep: number): T[] {
  const k = systems.length;
  const shift = Math.floor(rep / 2) % Math.max(1, k);
  const turned = systems.map((_, i) => systems[(i + shift) % k]!);
  return rep % 2 === 1 ? turned.reverse() : turned;
}

/**
 * Finer steps near the 3× crossing: for every curve (system × yardstick) given as median ratio by n,
 * the n strictly between the last step below `threshold` and the first at or above it, spaced evenly
 * (at most `perCurve` new ones, at least `minGap` apart and from what was measured), at most `max` in all,
 * the curves taken in the order given (the caller puts the ones that matter most first). Sorted, unique.
 */
export function refineSteps(
  curves: readonly (readonly { n: number; ratio: number }[])[],
  measured: readonly number[],
  { threshold = 3, perCurve = 3, minGap = 5, max = Number.POSITIVE_INFINITY } = {},
): number[] {
  const out = new Set<number>();
  const taken = () => [...measured, ...out];
  for (const curve of curves) {
    const pts = [...curve].filter((p) => Number.isFinite(p.ratio)).sort((a, b) => a.n - b.n);
    const hi = pts.findIndex((p) => p.ratio >= threshold);
    if (hi <= 0) continue; // never crossed, or crossed at the first step: nothing to refine below it
    const lo = pts[hi - 1]!.n,
      up = pts[hi]!.n;
    for (let k = 1; k <= perCurve; k++) {
      const n = Math.round(lo + ((up - lo) * k) / (perCurve + 1));
      if (out.size < max && n > lo && n < up && taken().every((m) => Math.abs(m - n) >= minGap)) out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}
