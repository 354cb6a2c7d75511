/**
 * The two operator endpoints, independent of the HTTP server that carries them:
 * GET /healthz (200 or 503 with a small JSON, no authentication: it reveals nothing
 * but ok/not ok per part) and GET /metrics (Prometheus text). /metrics is refused
 * unless the caller is allowed: with a token configured, `Authorization: Bearer <token>`
 * is required everywhere; without one, only the dedicated metrics listener serves it.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IsletMetrics } from './metrics.ts';
import type { HealthReport } from './health.ts';

export interface ObservabilityDeps {
  readonly metrics: IsletMetrics;
  readonly health: () => Promise<HealthReport>;
  /** The bearer token /metrics needs; empty: none (then only `openMetrics` servers serve /metrics). Read per request. */
  readonly token: () => string;
}

export interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when the Authorization header carries the token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return !!m && timingSafeEqual(digest(m[1]!), digest(token));
}

/**
 * Answers `path` or returns undefined when it is not one of ours. `openMetrics`: this server is the
 * dedicated metrics listener (the operator chose where it listens).
 */
export async function observe(d: ObservabilityDeps, path: string, authorization: string | undefined, openMetrics: boolean): Promise<Reply | undefined> {
  const p = path.split('?')[0];
  if (p === '/healthz') {
    const h = await d.health();
    return { status: h.ok ? 200 : 503, type: 'application/json; charset=utf-8', body: JSON.stringify(h), headers: { 'cache-control': 'no-store' } };
  }
  if (p === '/metrics') {
    const token = d.token();
    if (token ? !bearerMatches(authorization, token) : !openMetrics) {
      if (!token) return { status: 404, type: 'text/plain; charset=utf-8', body: 'not found\n' };
      return { status: 401, type: 'text/plain; charset=utf-8', body: 'bearer token required\n', headers: { 'www-authenticate': 'Bearer' } };
    }
    return { status: 200, type: d.metrics.contentType, body: await d.metrics.text(), headers: { 'cache-control': 'no-store' } };
  }
  return undefined;
}
