/**
 * The one error type that crosses module boundaries.
 *
 * Contract: `code` is stable (documented in docs/codes.md, never reused),
 * `userMessage` is safe to show a trainee (no paths, ids, stack traces or
 * secrets), and `message` / `detail` are for the admin's log.
 */
import type { ErrorCode } from './codes.ts';

export class IsletError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, userMessage: string, adminMessage?: string, detail: Record<string, unknown> = {}, cause?: unknown) {
    super(adminMessage ?? userMessage, cause === undefined ? undefined : { cause });
    this.name = 'IsletError';
    this.code = code;
    this.userMessage = userMessage;
    this.detail = detail;
  }
}

/** Wraps anything thrown into an IsletError without losing the original as `cause`. */
export function toIsletError(err: unknown, code: ErrorCode, userMessage: string): IsletError {
  if (err instanceof IsletError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new IsletError(code, userMessage, msg, {}, err);
}
