/**
 * A decorator around the door-neutral address guard (admit/closed), one per door:
 * every admitted connection counts as open for that door until closed() is called
 * for it, every refusal is counted by reason. Admission decisions are the guard's own.
 */
import type { IsletMetrics } from './metrics.ts';

interface Guard {
  admit(ip: string): string | undefined;
  closed(ip: string): void;
}

/** Returns `guard` itself (a Proxy keeps its class type and private state) with counting around admit and closed. */
export function meteredGuard<G extends Guard>(guard: G, door: string, m: IsletMetrics): G {
  const admit = (ip: string) => {
    const refusal = guard.admit(ip);
    if (refusal === undefined) m.connections.inc({ door });
    else m.connectionsRefused.inc({ door, reason: refusal });
    return refusal;
  };
  const closed = (ip: string) => {
    m.connections.dec({ door });
    guard.closed(ip);
  };
  return new Proxy(guard, {
    get(target, prop) {
      if (prop === 'admit') return admit;
      if (prop === 'closed') return closed;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
