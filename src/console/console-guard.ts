/**
 * The contract between the instructor console's login (src/console/, owned by
 * the console core) and every console feature's routes (roster, watch,
 * broadcast, accounts, recordings): a feature registers its routes with these
 * hooks and never looks at cookies or tokens itself.
 *
 * Contract:
 * - `authenticated` (a fastify preHandler / preValidation hook, also valid on
 *   WebSocket routes) answers 401 unless the request carries a valid
 *   instructor session cookie (`__Host-islet-console`), and 403 for a
 *   WebSocket whose Origin is not exactly the door's; on success
 *   `instructorOf(req)` gives the instructor's name.
 * - `change` does the same and also requires the session's CSRF token in the
 *   `x-csrf-token` header (403 otherwise): use it on every route that changes
 *   anything (POST, PUT, DELETE).
 * - `audit` records an instructor action as an audit event (logged with the
 *   instructor's name; never a password).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export type ConsoleHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface ConsoleGuard {
  readonly authenticated: ConsoleHook;
  readonly change: ConsoleHook;
  /** The instructor of an `authenticated` request; throws when the hook did not run. */
  instructorOf(req: FastifyRequest): string;
  audit(instructor: string, action: string, detail: Readonly<Record<string, unknown>>): void;
}
