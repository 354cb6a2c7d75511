/**
 * The instructor console's sessions, kept server-side: the cookie carries
 * only a random 256-bit key; the server keeps the key's SHA-256 with the
 * instructor, a per-session CSRF token and the expiry. A restart forgets
 * every session (instructors log in again), which is the safe direction.
 *
 * Contract: `find` answers undefined for an unknown, expired or ended key
 * and drops expired sessions as it meets them; at most MAX_SESSIONS live at
 * once (the oldest goes first), so logins cannot grow memory without bound.
 */
import { createHash, randomBytes } from 'node:crypto';

export const CONSOLE_COOKIE = '__Host-islet-console';
export const MAX_SESSIONS = 1000;

export interface InstructorSession {
  readonly instructor: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

const hash = (key: string) => createHash('sha256').update(key).digest('base64url');

export class InstructorSessions {
  readonly #byHash = new Map<string, InstructorSession>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new session: returns the cookie key (given to the browser only) and the session. */
  open(instructor: string, lifetimeSeconds: number): { key: string; session: InstructorSession } {
    if (this.#byHash.size >= MAX_SESSIONS) this.#byHash.delete(this.#byHash.keys().next().value!);
    const key = randomBytes(32).toString('base64url');
    const session = { instructor, csrf: randomBytes(32).toString('base64url'), expiresAt: this.#now() + lifetimeSeconds * 1000 };
    this.#byHash.set(hash(key), session);
    return { key, session };
  }

  find(key: string | undefined): InstructorSession | undefined {
    if (!key || key.length > 100) return undefined;
    const h = hash(key);
    const s = this.#byHash.get(h);
    if (s && s.expiresAt <= this.#now()) {
      this.#byHash.delete(h);
      return undefined;
    }
    return s;
  }

  end(key: string | undefined): boolean {
    return !!key && this.#byHash.delete(hash(key));
  }

  /** Ends every session of instructors `keep` rejects (removed from the config). */
  endUnless(keep: (instructor: string) => boolean): void {
    for (const [h, s] of this.#byHash) if (!keep(s.instructor)) this.#byHash.delete(h);
  }

  get size(): number {
    return this.#byHash.size;
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
