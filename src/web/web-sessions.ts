/**
 * The live web sessions of this process, by id: each is one trainee's
 * terminal (a WebTerminal running through the session engine) and the hash
 * of the resume key that opened it. A session whose WebSocket dropped waits
 * `resumeSeconds` for the page to come back, then closes (the engine detaches;
 * the shell keeps running in its container, as after an SSH disconnect).
 *
 * Contract: a resume needs the session id, a live session and the same
 * resume key (cookie); a reload (an offset no longer kept) reopens the
 * session for the identity that logged in, again only with the same key; memory is bounded by `maxSessions` live sessions.
 */
import { randomBytes } from 'node:crypto';
import type { TtySize } from '../core/terminal.ts';
import type { Identity } from '../sessions/index.ts';
import { WebTerminal } from './web-terminal.ts';

export interface WebSession {
  readonly id: string;
  readonly term: WebTerminal;
  /** SHA-256 of the resume key, or undefined when the browser had none (the session cannot be resumed). */
  readonly owner: string | undefined;
  expiry: NodeJS.Timeout | undefined;
  /** Who logged in, once they have: a reloaded page reopens the session as them without asking again. */
  identity: Identity | undefined;
}

export type ResumeRefusal = 'unknown_session' | 'bad_cookie' | 'offset_not_kept';

export class WebSessions {
  readonly #m = new Map<string, WebSession>();

  get size(): number {
    return this.#m.size;
  }
  all(): WebSession[] {
    return [...this.#m.values()];
  }

  open(size: TtySize, remoteAddress: string, owner: string | undefined): WebSession {
    const term = new WebTerminal({ size, remoteAddress });
    const s: WebSession = { id: randomBytes(18).toString('base64url'), term, owner, expiry: undefined, identity: undefined };
    this.#m.set(s.id, s);
    s.term.onClose(() => {
      clearTimeout(s.expiry);
      this.#m.delete(s.id);
    });
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

  /**
   * A reloaded page (its terminal empty, the offset it asks for no longer kept) of a live session with the same
   * resume key: the session to reopen as a fresh one for the same identity, or undefined.
   */
  reloaded(id: string, ownerHash: string | undefined): WebSession | undefined {
    const s = this.#m.get(id);
    return s && !s.term.closed && s.owner !== undefined && s.owner === ownerHash && s.identity ? s : undefined;
  }

  /** The page is gone: wait for it, then end the session (at once when it cannot be resumed). */
  lost(s: WebSession, resumeSeconds: number): void {
    clearTimeout(s.expiry);
    if (!s.owner || resumeSeconds <= 0) {
      s.term.close(0);
      return;
    }
    s.expiry = setTimeout(() => s.term.close(0), resumeSeconds * 1000);
    s.expiry.unref();
  }

  back(s: WebSession): void {
    clearTimeout(s.expiry);
    s.expiry = undefined;
  }
}
