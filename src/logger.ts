/**
 * One root logger (pino, JSON lines); modules take `log.child({ module })`.
 * Password fields are redacted by path as a second line of defence: no code
 * passes a password to the logger in the first place.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  return pino({
    level: opts.level ?? 'info',
    base: { service: 'islet' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'passwordHash', '*.passwordHash', 'hash'], censor: '[redacted]' },
  }, pino.destination({ dest: opts.destination ?? 1, sync: false }));
}
