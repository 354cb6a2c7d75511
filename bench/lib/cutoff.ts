/**
 * The cut-off against one shared yardstick. The exercise runs inside a
 * container, so its time alone is a property of the host, not of the server
 * in front of it; on a noisy VM two solo measurements an hour apart differ by
 * a third, which would tilt a comparison. Both systems' ratios are therefore
 * taken against the median of all their solo runs together.
 */
export interface CutoffStep {
  target: string;
  n: number;
  exercise_ms: number;
  exercise_runs: number[];
  ratio: number;
  shared_ratio?: number;
}

export function sharedCutoff(steps: CutoffStep[]): { solo_ms: number; cutoff: Record<string, number | null> } {
  const solos = steps
    .filter((s) => s.n === 1)
    .flatMap((s) => s.exercise_runs)
    .sort((a, b) => a - b);
  const solo = solos.length ? solos[Math.floor((solos.length - 1) / 2)]! : Number.NaN;
  const cutoff: Record<string, number | null> = {};
  for (const s of steps) {
    s.shared_ratio = Math.round((s.exercise_ms / solo) * 100) / 100;
    if (!(s.target in cutoff)) cutoff[s.target] = null;
    if (cutoff[s.target] === null && s.shared_ratio >= 3) cutoff[s.target] = s.n;
  }
  return { solo_ms: solo, cutoff };
}
