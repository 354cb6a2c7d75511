/**
 * Runs an action on each item of a selection a few at a time, each with a time limit, and reports every
 * outcome: the console's actions on many accounts go to the engine, whose Debian 12 build deadlocks under
 * many parallel removals (moby#42545). The driver caps mutations too; this keeps one request from filling
 * that cap and gives the instructor an answer even when one item hangs (it goes on in the background).
 */
export type Outcome<T> = { readonly item: T; readonly ok: true; readonly value: unknown } | { readonly item: T; readonly ok: false; readonly error: unknown };

export class TimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s; it may still finish`);
  }
}

export async function eachLimited<T>(items: readonly T[], limit: number, timeoutMs: number, fn: (item: T) => Promise<unknown>): Promise<Outcome<T>[]> {
  const out: Outcome<T>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      let timer: NodeJS.Timeout | undefined;
      try {
        const limitHit = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimedOut(timeoutMs)), timeoutMs);
        });
        out[i] = { item, ok: true, value: await Promise.race([fn(item), limitHit]) };
      } catch (error) {
        out[i] = { item, ok: false, error };
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
