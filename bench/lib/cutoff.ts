/**
 * The cut-off (the paper's Table 1): the first n at which the exercise takes three times as long as alone.
 * Issue 15.2: published against two yardsticks — the solo time shared by all systems (median of every
 * solo run of the interleaving: the exercise runs in a container, so alone it is a property of the host)
 * and each system's own solo time (median of its own solo runs, taken in the same interleaving) — and with
 * spread: each loaded run is a ratio to the yardstick, and the cut-off is given for the median ratio, with
 * the earliest n at which any run reached 3× and the first n at which every run did.
 */
import { median, ratios, spread, type Spread } from './stats.ts';

/** One timed exercise of the interleaved run. */
export interface ExerciseRun {
  readonly system: string;
  readonly n: number;
  readonly rep: number;
  readonly kind: 'loaded' | 'solo';
  readonly exercise_ms: number;
}

export interface CutoffOf {
  /** First n whose median ratio is ≥ threshold; null: not reached by the largest n measured. */
  readonly median: number | null;
  /** First n at which at least one run reached it (the pessimistic reading). */
  readonly earliest: number | null;
  /** First n from which every run reached it (the optimistic reading). */
  readonly all_runs: number | null;
}

export interface CutoffAnalysis {
  readonly threshold: number;
  readonly shared_solo: Spread;
  readonly own_solo: Record<string, Spread>;
  /** Per system and n (n = 1: the solo runs): exercise time and the ratio to each yardstick. */
  readonly table: { system: string; n: number; exercise: Spread; ratio_shared: Spread; ratio_own: Spread }[];
  readonly cutoff: { shared: Record<string, CutoffOf>; own: Record<string, CutoffOf> };
  readonly max_n: Record<string, number>;
}

export function analyzeCutoff(runs: readonly ExerciseRun[], threshold = 3): CutoffAnalysis {
  const systems = [...new Set(runs.map((r) => r.system))];
  const solos = runs.filter((r) => r.kind === 'solo');
  const shared = median(solos.map((r) => r.exercise_ms));
  const own: Record<string, Spread> = {};
  for (const s of systems) own[s] = spread(solos.filter((r) => r.system === s).map((r) => r.exercise_ms));
  const table: CutoffAnalysis['table'] = [];
  const cutoff: CutoffAnalysis['cutoff'] = { shared: {}, own: {} };
  const max_n: Record<string, number> = {};
  for (const s of systems) {
    const mine = runs.filter((r) => r.system === s);
    const ns = [...new Set(mine.filter((r) => r.kind === 'loaded').map((r) => r.n))].sort((a, b) => a - b);
    const soloMs = solos.filter((r) => r.system === s).map((r) => r.exercise_ms);
    const rows = [{ n: 1, ms: soloMs }, ...ns.map((n) => ({ n, ms: mine.filter((r) => r.kind === 'loaded' && r.n === n).map((r) => r.exercise_ms) }))];
    const withRatios = rows.map(({ n, ms }) => ({
      system: s,
      n,
      exercise: spread(ms),
      ratio_shared: ratios(ms, shared),
      ratio_own: ratios(ms, own[s]!.median),
    }));
    table.push(...withRatios);
    max_n[s] = rows.at(-1)!.n;
    // The solo row is the yardstick, not a step: a slow solo run is no cut-off at n = 1.
    const loaded = withRatios.filter((r) => r.n > 1);
    cutoff.shared[s] = firstCrossing(
      loaded.map((r) => ({ n: r.n, ratio: r.ratio_shared })),
      threshold,
    );
    cutoff.own[s] = firstCrossing(
      loaded.map((r) => ({ n: r.n, ratio: r.ratio_own })),
      threshold,
    );
  }
  return { threshold, shared_solo: spread(solos.map((r) => r.exercise_ms)), own_solo: own, table, cutoff, max_n };
}

/** The three readings of the crossing over the rows sorted by n. */
export function firstCrossing(rows: readonly { n: number; ratio: Spread }[], threshold: number): CutoffOf {
  const first = (ok: (r: Spread) => boolean) => rows.find((r) => r.ratio.n > 0 && ok(r.ratio))?.n ?? null;
  return {
    median: first((r) => r.median >= threshold),
    earliest: first((r) => r.max >= threshold),
    all_runs: first((r) => r.min >= threshold),
  };
}

/**
 * True when at step `n` every loaded run of every system is at or past the threshold against both yardsticks:
 * every cut-off reading is then at or below `n`, so larger steps cannot move one (the run may skip them; past the
 * knee of the room's demand each such slot runs for minutes). False when any system has no run at `n`.
 */
export function everyRunPast(a: CutoffAnalysis, n: number): boolean {
  const systems = Object.keys(a.max_n);
  return (
    systems.length > 0 &&
    systems.every((s) => {
      const row = a.table.find((r) => r.system === s && r.n === n);
      return !!row && row.ratio_own.n > 0 && row.ratio_own.min >= a.threshold && row.ratio_shared.min >= a.threshold;
    })
  );
}
