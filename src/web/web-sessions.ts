/**
 * The live web sessions of this process, by id: each is one trainee's
 * terminal (a WebTerminal running through the session engine) and the hash
 * of the resume key that opened it. A session whose WebSocket dropped waits
 * `resumeSeconds` for the page to come back, then closes (the engine detaches;
 * the shell keeps running in its container, as after an SSH disconnect).
 *
 * Contract: a resume needs the session id, a live session and the same
 * resume key (cookie); memory is bounded by `maxSessions` live sessions.
 */
import { randomBytes } from 'node:crypto';
import type { TtySize } from '../core/terminal.ts';
import { WebTerminal } from './web-terminal.ts';

export interface WebSession {
  readonly id: string;
  readonly term: WebTerminal;
  /** SHA-256 of the resume key, or undefined when the browser had none (the session cannot be resumed). */
  readonly owner: string | undefined;
  expiry: NodeJS.Timeout | undefined;
}

export type ResumeRefusal = 'unknown_session' | 'bad_cookie' | 'offset_not_kept';

export class WebSessions {
  readonly #m = new Map<string, WebSession>();

  get size(): number { return this.#m.size; }
  all(): WebSession[] { return [...this.#m.values()]; }

  open(size: TtySize, remoteAddress: string, owner: string | undefined): WebSession {
    const s: WebSession = { id: randomBytes(18).toString('base64url'), term: new WebTerminal({ size, remoteAddress }), owner, expiry: undefined };
    this.#m.set(s.id, s);
    s.term.onClose(() => { clearTimeout(s.expiry); this.#m.delete(s.id); });
    return s;
  }

  /** The session to resume, or why not. */
  find(id: string, ownerHash: string | undefined, seq: number): WebSession | ResumeRefusal {
    const s = this.#m.get(id);
    if (!s || s.term.closed) return 'unknown_session';
    if (!s.owner || s.owner !== ownerHash) return 'bad_cookie';
    if (!s.term.log.since(seq)) return 'offset_not_kept';
    return s;
  }

  /** The page is gone: wait for it, then end the session (at once when it cannot be resumed). */
  lost(s: WebSession, resumeSeconds: number): void {
    clearTimeout(s.expiry);
    if (!s.owner || resumeSeconds <= 0) { s.term.close(0); return; }
    s.expiry = setTimeout(() => s.term.close(0), resumeSeconds * 1000);
    s.expiry.unref();
  }

  back(s: WebSession): void { clearTimeout(s.expiry); s.expiry = undefined; }
}
