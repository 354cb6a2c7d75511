/**
 * The browser's resume key: the value of the `__Host-islet-resume` cookie
 * (Secure, HttpOnly, SameSite=Strict, Path=/). The server issues it on page
 * load when the browser has none, and a web session records the SHA-256 of
 * the key it was opened with; resuming that session later needs the same key
 * in the WebSocket's cookie, besides the session id and offset the page kept.
 * A stolen session id alone is therefore useless, and page scripts cannot
 * read the key.
 *
 * Contract: keys are 128 random bits plus an HMAC under a per-process secret,
 * so a forged or foreign key is recognised without storing every key issued;
 * the server stores only each session's key hash, with the session's expiry.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const RESUME_COOKIE = '__Host-islet-resume';

export class ResumeKeys {
  readonly #secret = randomBytes(32);

  #mac(id: string): string {
    return createHmac('sha256', this.#secret).update(id).digest('base64url');
  }

  issue(): string {
    const id = randomBytes(16).toString('base64url');
    return `${id}.${this.#mac(id)}`;
  }

  /** True for a key this process issued. */
  valid(key: string | undefined): key is string {
    if (!key || key.length > 128) return false;
    const [id, mac, extra] = key.split('.');
    if (!id || !mac || extra !== undefined) return false;
    const want = Buffer.from(this.#mac(id));
    const got = Buffer.from(mac);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** What a session stores about its owner's key. */
  static hash(key: string): string {
    return createHash('sha256').update(key).digest('base64url');
  }

  /** The Set-Cookie header value for a key. */
  static cookie(key: string): string {
    return `${RESUME_COOKIE}=${key}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=86400`;
  }

  /** The resume key from a Cookie request header, if any. */
  static fromHeader(header: string | undefined): string | undefined {
    for (const part of (header ?? '').split(';')) {
      const [name, ...v] = part.trim().split('=');
      if (name === RESUME_COOKIE) return v.join('=');
    }
    return undefined;
  }
}
