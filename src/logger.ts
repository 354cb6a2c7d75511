/**
 * One root logger (pino, JSON lines); modules take `log.child({ module })`.
 * Password fields are redacted by path as a second line of defence: no code
 * passes a password to the logger in the first place.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A structured log call's object (its `event` field names what happened) and the logger's bindings (`module`). */
export type LogEventListener = (event: Readonly<Record<string, unknown>>, bindings: Readonly<Record<string, unknown>>) => void;
const listeners = new Set<LogEventListener>();

/**
 * Subscribes to every structured log call (those with an `event` field) of loggers made by createLogger,
 * at enabled levels; metrics are fed this way (src/metrics/log-metrics.ts). Returns the unsubscribe function.
 */
export function onLogEvent(fn: LogEventListener): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'islet' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'passwordHash', '*.passwordHash', 'hash'], censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const first: unknown = args[0];
          if (listeners.size && first && typeof first === 'object' && typeof (first as { event?: unknown }).event === 'string') {
            const bindings = this.bindings();
            for (const fn of listeners) {
              try {
                fn(first as Record<string, unknown>, bindings);
              } catch {
                /* a listener never breaks logging */
              }
            }
          }
          method.apply(this, args);
        },
      },
    },
    pino.destination({ dest: opts.destination ?? 1, sync: false }),
  );
}
