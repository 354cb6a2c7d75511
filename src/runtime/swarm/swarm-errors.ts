/**
 * The Swarm driver's errors, in the Docker driver's codes (the runner and the doors read codes and statuses,
 * never which driver spoke): a trainee sees the engine client's "busy" message, the admin the detail.
 */
import { IsletError } from '../../core/islet-error.ts';
import { MSG_BUSY } from '../docker/engine-client.ts';

export function unavailable(detail: string, extra: Record<string, unknown>): IsletError {
  return new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, detail, extra);
}

export function notFound(id: string, op: string): IsletError {
  return new IsletError('RUNTIME_FAILED', MSG_BUSY, `${op}: no such service ${id}`, { op, statusCode: 404, engineMessage: `no such service ${id}` });
}

export function notRunning(id: string, lost: string | undefined): IsletError {
  return new IsletError('RUNTIME_FAILED', MSG_BUSY, `instance ${id} has no reachable container${lost ? ` (${lost})` : ''}`, {
    statusCode: 409,
    engineMessage: 'is not running',
  });
}

/** A path segment for the Engine API. */
export function enc(s: string): string {
  return encodeURIComponent(s);
}
