/**
 * Feeds metrics from the structured log events the engine and the doors already
 * write (logins, time to shell, throttling, a starved trainee CPU group), so no door carries a metrics call.
 * The door is the event's own `door` field, else the logger's module (sshd, web);
 * menu logins (the gate's "existing user" prompt) are door "any".
 */
import { onLogEvent } from '../logger.ts';
import type { IsletMetrics } from './metrics.ts';

const PATHS = new Set(['new', 'warm', 'restart', 'reattach']);

/** Keeps label values to a small fixed alphabet (a reason is a code word, never user input). */
const word = (v: unknown, fallback: string): string => (typeof v === 'string' && /^[a-z][a-z0-9_-]{0,39}$/i.test(v) ? v : fallback);

function doorOf(e: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string {
  if (e.door === 'ssh' || e.door === 'web') return e.door;
  return b.module === 'sshd' ? 'ssh' : b.module === 'web' ? 'web' : 'any';
}

/** Starts feeding `m` from log events; returns the function that stops it. */
export function feedMetricsFromLog(m: IsletMetrics): () => void {
  return onLogEvent((e, b) => {
    switch (e.event) {
      case 'gate_login_ok':
      case 'account_login_ok':
        m.logins.inc({ door: doorOf(e, b), kind: e.event.startsWith('gate') ? 'gate' : 'account', result: 'ok', reason: word(e.method, 'ok') });
        break;
      case 'gate_login_failed':
      case 'account_login_failed':
        m.logins.inc({ door: doorOf(e, b), kind: e.event.startsWith('gate') ? 'gate' : 'account', result: 'failed', reason: word(e.reason, 'other') });
        break;
      case 'login_ok':
        m.logins.inc({ door: doorOf(e, b), kind: 'menu', result: 'ok', reason: 'password' });
        break;
      case 'login_failed':
        m.logins.inc({ door: doorOf(e, b), kind: 'menu', result: 'failed', reason: word(e.reason, 'other') });
        break;
      case 'environment_started':
      case 'environment_attached': {
        const path = typeof e.path === 'string' && PATHS.has(e.path) ? e.path : e.event === 'environment_started' ? 'new' : 'reattach';
        if (typeof e.ms === 'number') m.timeToShell.observe({ path }, e.ms / 1000);
        break;
      }
      case 'account_throttled':
        m.throttles.inc();
        break;
      case 'trainee_cpu_starved':
        m.traineeCpuStarved.inc();
        break;
    }
  });
}
