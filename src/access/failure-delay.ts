/**
 * How long to hold the answer to a failed login, from how many failures
 * came before it: nothing for the first few (typos), then doubling from
 * half a second, capped. Only failures are delayed, never a right password
 * or key, so a guesser is slowed and the room is not.
 */
/** Failures answered at once before the delay starts. */
export const FREE_FAILURES = 5;
const FIRST_DELAY_MS = 500;

export function failureDelayMs(recentFailures: number, maxMs: number): number {
  if (recentFailures <= FREE_FAILURES || maxMs <= 0) return 0;
  return Math.min(maxMs, FIRST_DELAY_MS * 2 ** Math.min(20, recentFailures - FREE_FAILURES - 1));
}
