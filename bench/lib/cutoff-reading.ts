/**
 * The cut-offs of a workload result, read on in a run above it (issue 15.2). Where the main run
 * (`<date>-workload.json`) reached no 3× crossing by its largest n, a second run at larger n
 * (`<date>-workload-cutoff.json`) continues it, if every step that run loaded lies above the main run's
 * largest n for that system: the two then cover the steps in order. Each reading (median, earliest run,
 * every run) is the main run's crossing if it has one, else the run above's. Pure: the caller loads the files.
 */
import type { CutoffOf } from './cutoff.ts';
import type { ResultFile } from './targets-table.ts';

type Kind = 'shared' | 'own';

export interface CutoffReading {
  /** The crossing against a yardstick; undefined when the main file has none for the system. */
  of(kind: Kind, system: string): CutoffOf | undefined;
  /** The largest n measured for the system, over both runs when the run above counts. */
  maxN(system: string): number | undefined;
  /** True when the run above supplied a reading for the system (cite both files then). */
  usesAbove(system: string): boolean;
}

export function readCutoff(main: ResultFile | undefined, above?: ResultFile): CutoffReading {
  const a = main?.analysis;
  // A result from before the interleaved run has only the median cut-offs: shared_cutoff, and cutoff (own solo).
  const legacy = (kind: Kind, t: string): CutoffOf | undefined => {
    const m = (kind === 'shared' ? main?.shared_cutoff : main?.cutoff)?.[t];
    return m === undefined ? undefined : { median: m, earliest: null, all_runs: null };
  };
  const mainOf = (kind: Kind, t: string): CutoffOf | undefined => a?.cutoff?.[kind]?.[t] ?? (a ? undefined : legacy(kind, t));
  const mainMax = (t: string): number | undefined => a?.max_n?.[t] ?? main?.max_tested?.[t];
  const continues = (t: string) => {
    const b = above?.analysis;
    const loaded = (b?.table ?? []).filter((row: any) => row.system === t && row.n > 1).map((row: any) => row.n as number);
    const max = mainMax(t);
    return b && main && max !== undefined && loaded.length > 0 && Math.min(...loaded) > max ? b : undefined;
  };
  const usesAbove = (t: string) => continues(t) !== undefined && (mainOf('own', t)?.median === null || mainOf('shared', t)?.median === null);
  return {
    of(kind, t) {
      const m = mainOf(kind, t);
      const b: CutoffOf | undefined = continues(t)?.cutoff?.[kind]?.[t];
      if (!m || !b) return m;
      return { median: m.median ?? b.median, earliest: m.earliest ?? b.earliest, all_runs: m.all_runs ?? b.all_runs };
    },
    maxN: (t) => continues(t)?.max_n?.[t] ?? mainMax(t),
    usesAbove,
  };
}
