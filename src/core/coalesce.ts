/**
 * Last value wins: `push(v)` asks for `fn(v)`; calls never overlap, at most
 * one starts per `intervalMs`, and values pushed meanwhile replace each
 * other, so the newest one is always delivered (once things are quiet) and
 * a flood of pushes costs a few calls per second. For window changes, whose
 * only meaningful value is the last.
 */
export interface Coalescer<T> {
  push(value: T): void;
  /** Drops what is pending; later pushes are ignored. */
  cancel(): void;
}

export function coalesce<T>(fn: (value: T) => unknown, intervalMs: number): Coalescer<T> {
  let pending: { value: T } | undefined;
  let busy = false;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    if (busy || timer || !pending || cancelled) return;
    const { value } = pending;
    pending = undefined;
    busy = true;
    void Promise.resolve()
      .then(() => fn(value))
      .catch(() => undefined)
      .finally(() => {
        busy = false;
        if (cancelled) return;
        // The pause also follows the last call, so a burst after a quiet spell still starts at once.
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, intervalMs);
        timer.unref();
      });
  };
  return {
    push: (value) => {
      if (cancelled) return;
      pending = { value };
      pump();
    },
    cancel: () => {
      cancelled = true;
      pending = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
