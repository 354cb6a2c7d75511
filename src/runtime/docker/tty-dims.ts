/** A terminal dimension the Engine API accepts: a whole number from 1 to 65535 (anything else is clamped). */
export function clampDim(n: number): number {
  return Math.min(65535, Math.max(1, Math.floor(Number.isFinite(n) ? n : 1)));
}
