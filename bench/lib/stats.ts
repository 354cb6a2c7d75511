/** Spread of repeated measurements: every figure of the interleaved comparison is published as min / median / max. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** The median (mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function spread(xs: readonly number[]): Spread {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  return { min: Math.min(...ok), median: median(ok), max: Math.max(...ok), n: ok.length };
}

/** `a / b` of two spreads as a spread of ratios: min/min… would mix runs, so each run's ratio is taken to one yardstick. */
export function ratios(xs: readonly number[], yardstick: number, digits = 2): Spread {
  const f = 10 ** digits;
  const s = spread(xs.map((x) => x / yardstick));
  return { min: Math.round(s.min * f) / f, median: Math.round(s.median * f) / f, max: Math.round(s.max * f) / f, n: s.n };
}
