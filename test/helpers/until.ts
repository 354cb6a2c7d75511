/**
 * Waits for a condition instead of a fixed sleep, so a test does not fail on a slow or busy machine (a fixed 50 ms
 * wait for a flush failed under a load of ~100 on this 2-core VM).
 *
 * Contract: resolves once `ok()` is true (checked at once, then every `everyMs`); throws "timed out waiting for
 * <what>" after `ms` without it.
 */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
