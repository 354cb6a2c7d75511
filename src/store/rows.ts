/**
 * Table rows to Store values, for the SQL stores (SQLite, PostgreSQL): the same columns (migrations.ts),
 * times as milliseconds (PostgreSQL's BIGINT arrives as a string, hence Number()).
 */
import type { Account, InstructorSessionRecord, LoginThrottleState, Ownership, StoredKey } from './store.ts';

export type Row = Record<string, unknown>;

const ms = (v: unknown): Date => new Date(Number(v));

export const toAccount = (r: Row): Account => ({
  name: String(r.name),
  passwordHash: String(r.password_hash),
  createdAt: ms(r.created_at),
  expiresAt: ms(r.expires_at),
  ...(r.environments == null ? {} : { environments: JSON.parse(String(r.environments)) as string[] }),
});

export const toOwnership = (r: Row): Ownership => ({
  account: String(r.account),
  environment: String(r.environment),
  containerId: String(r.container_id),
  containerName: String(r.container_name),
  createdAt: ms(r.created_at),
  state: r.state === 'running' ? 'running' : 'stopped',
  ...(r.started_at == null ? {} : { startedAt: ms(r.started_at) }),
  ...(r.last_seen_at == null ? {} : { lastSeenAt: ms(r.last_seen_at) }),
  ...(r.stop_reason == null ? {} : { stopReason: String(r.stop_reason) }),
});

export const toThrottle = (r: Row): LoginThrottleState => ({
  account: String(r.account),
  level: Number(r.level),
  failures: (JSON.parse(String(r.failures)) as number[]).map((t) => new Date(t)),
  ...(r.locked_at == null ? {} : { lockedAt: ms(r.locked_at) }),
  ...(r.locked_until == null ? {} : { lockedUntil: ms(r.locked_until) }),
});

export const toInstructorSession = (r: Row): InstructorSessionRecord => ({
  tokenHash: String(r.token_hash),
  instructor: String(r.instructor),
  credential: String(r.credential),
  expiresAt: ms(r.expires_at),
});

/** The WHERE clause of Store.deleteInstructorSessions with the engine's placeholder (`?`, `$1`), and its value. */
export function instructorSessionsWhere(which: { tokenHash: string } | { expiredAt: Date } | { instructor: string }, p: string): [string, string | number] {
  if ('tokenHash' in which) return [`token_hash = ${p}`, which.tokenHash];
  if ('instructor' in which) return [`instructor = ${p}`, which.instructor];
  return [`expires_at <= ${p}`, which.expiredAt.getTime()];
}

export const toKey = (r: Row): StoredKey => ({
  account: String(r.account),
  algo: String(r.algo),
  data: String(r.data),
  comment: String(r.comment),
  addedAt: ms(r.added_at),
});
