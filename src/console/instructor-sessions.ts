/**
 * The instructor console's sessions, kept server-side in the Store (nothing that matters lives only in
 * memory: a restart logs nobody out): the cookie carries a random 256-bit key; the store keeps only the
 * key's SHA-256 with the instructor, the fingerprint of their password hash at login and the expiry. The
 * CSRF token is derived from the key (a different hash), so it is never stored either.
 *
 * Contract: `find` answers undefined for an unknown, expired or ended key (an expired one is deleted when
 * met; every login also deletes the expired ones); a session found once is cached in this process (at most
 * MAX_CACHED, the oldest dropped first) so `cached` answers synchronously for long-lived sockets. `end`
 * deletes from the store: another server sharing the store finds the session gone at its next `find`, but a
 * socket it holds open checks only its cache (until that server's next request for the session).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';

export const CONSOLE_COOKIE = '__Host-islet-console';
export const MAX_CACHED = 1000;

export interface InstructorSession {
  readonly instructor: string;
  readonly csrf: string;
  readonly expiresAt: number;
  /** Fingerprint of the instructor's password hash at login (a new password ends the session). */
  readonly credential: string;
}

export type SessionStore = Pick<Store, 'putInstructorSession' | 'getInstructorSession' | 'deleteInstructorSessions'>;

const hash = (key: string) => createHash('sha256').update(key).digest('base64url');
const csrfOf = (key: string) => createHash('sha256').update(`islet-console-csrf\0${key}`).digest('base64url');
const wellFormed = (key: string | undefined): key is string => !!key && key.length <= 100;

export class InstructorSessions {
  readonly #store: SessionStore;
  readonly #cache = new Map<string, InstructorSession>();
  readonly #now: () => number;

  constructor(store: SessionStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** A new session, stored: returns the cookie key (given to the browser only) and the session. */
  async open(instructor: string, credential: string, lifetimeSeconds: number): Promise<{ key: string; session: InstructorSession }> {
    await this.#store.deleteInstructorSessions({ expiredAt: new Date(this.#now()) });
    const key = randomBytes(32).toString('base64url');
    const session: InstructorSession = { instructor, credential, csrf: csrfOf(key), expiresAt: this.#now() + lifetimeSeconds * 1000 };
    await this.#store.putInstructorSession({ tokenHash: hash(key), instructor, credential, expiresAt: new Date(session.expiresAt) });
    this.#remember(hash(key), session);
    return { key, session };
  }

  /** The live session of a key: the cache, else the store (after a restart, or opened by another server). */
  async find(key: string | undefined): Promise<InstructorSession | undefined> {
    if (!wellFormed(key)) return undefined;
    const h = hash(key);
    let s = this.#cache.get(h);
    if (!s) {
      const r = await this.#store.getInstructorSession(h);
      if (!r) return undefined;
      s = { instructor: r.instructor, credential: r.credential, csrf: csrfOf(key), expiresAt: r.expiresAt.getTime() };
    }
    if (s.expiresAt <= this.#now()) {
      await this.end(key);
      return undefined;
    }
    this.#remember(h, s);
    return s;
  }

  /** The session if this process has met it and it has not expired (synchronous: a socket's liveness check). */
  cached(key: string | undefined): InstructorSession | undefined {
    if (!wellFormed(key)) return undefined;
    const s = this.#cache.get(hash(key));
    return s && s.expiresAt > this.#now() ? s : undefined;
  }

  async end(key: string | undefined): Promise<boolean> {
    if (!wellFormed(key)) return false;
    const h = hash(key);
    const had = this.#cache.delete(h);
    return (await this.#store.deleteInstructorSessions({ tokenHash: h })) > 0 || had;
  }

  /** Sessions cached in this process (tests, metrics). */
  get size(): number {
    return this.#cache.size;
  }

  #remember(h: string, s: InstructorSession): void {
    this.#cache.delete(h);
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(h, s);
  }

  /** The Set-Cookie value for a key (Max-Age: the session's lifetime). */
  static cookie(key: string, lifetimeSeconds: number): string {
    return `${CONSOLE_COOKIE}=${key}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(lifetimeSeconds))}`;
  }

  /** The Set-Cookie value that removes the cookie. */
  static clearCookie(): string {
    return `${CONSOLE_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** The console key from a Cookie request header, if any. */
  static fromHeader(header: string | undefined): string | undefined {
    for (const part of (header ?? '').split(';')) {
      const [name, ...v] = part.trim().split('=');
      if (name === CONSOLE_COOKIE) return v.join('=');
    }
    return undefined;
  }
}
