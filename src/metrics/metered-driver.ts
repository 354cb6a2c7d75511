/**
 * A RuntimeDriver decorator that counts every engine call by operation and every
 * failure by error code, and times container starts. Behaviour is unchanged: results
 * and errors pass through untouched; properties (name, unsupported) are read through.
 */
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { IsletMetrics } from './metrics.ts';

/** A stable, low-cardinality code for a failure: an IsletError's code, a system errno, else the error's name. */
export function errorCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  if (typeof c === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(c)) return c;
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof s === 'number') return `HTTP_${s}`;
  return err instanceof Error ? err.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 40) || 'Error' : 'UNKNOWN';
}

export function meteredDriver(driver: RuntimeDriver, m: IsletMetrics): RuntimeDriver {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(driver, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      let w = wrapped.get(prop);
      if (!w) {
        const fn = v as (...a: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          m.engineCalls.inc({ operation: prop });
          const started = performance.now();
          const fail = (err: unknown) => {
            m.engineErrors.inc({ operation: prop, code: errorCode(err) });
            if (prop === 'start') m.containerStarts.inc({ result: 'error' });
            throw err;
          };
          let r: unknown;
          try {
            r = fn.apply(target, args);
          } catch (err) {
            return fail(err);
          }
          if (!(r instanceof Promise)) return r;
          return r.then((x) => {
            if (prop === 'start') {
              m.containerStarts.inc({ result: 'ok' });
              m.containerStartSeconds.observe((performance.now() - started) / 1000);
            }
            return x;
          }, fail);
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
