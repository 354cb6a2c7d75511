/**
 * Which terminals are attached to which container right now, so the
 * lifecycle can warn trainees before a stop and tell idle containers from
 * used ones. In memory by design: after a restart nobody is attached.
 */
import type { Terminal } from '../core/terminal.ts';
import { crlf } from './text.ts';

/** When a terminal attached and when its trainee last typed (epoch ms), for the instructor console's roster. */
export interface Presence {
  readonly since: number;
  readonly lastInput: number;
}

/** Whose shell a terminal is attached to. */
export interface AttachOwner {
  readonly account: string;
  readonly environment: string;
}

export class AttachRegistry {
  readonly #m = new Map<string, Set<Terminal>>();
  readonly #presence = new Map<Terminal, { since: number; lastInput: number; off: () => void; owner: AttachOwner | undefined }>();

  /** `owner`: whose shell it is (a gate login's recording finds its account here, without a store query). */
  add(containerId: string, t: Terminal, owner?: AttachOwner): void {
    if (!this.#presence.has(t)) {
      const p = { since: Date.now(), lastInput: Date.now(), off: () => undefined as void, owner };
      // One timestamp per input chunk: the cost of knowing how long a trainee has been idle.
      p.off = t.onData(() => {
        p.lastInput = Date.now();
      });
      this.#presence.set(t, p);
    }
    let s = this.#m.get(containerId);
    if (!s) {
      s = new Set();
      this.#m.set(containerId, s);
    }
    s.add(t);
  }

  remove(containerId: string, t: Terminal): void {
    const s = this.#m.get(containerId);
    if (!s) return;
    s.delete(t);
    if (s.size === 0) this.#m.delete(containerId);
    this.#presence.get(t)?.off();
    this.#presence.delete(t);
  }

  /** When `t` attached and last sent input; undefined when it is not attached. */
  presence(t: Terminal): Presence | undefined {
    const p = this.#presence.get(t);
    return p && { since: p.since, lastInput: p.lastInput };
  }

  /** Whose shell `t` is attached to, when the attach said so; undefined when not attached. */
  ownerOf(t: Terminal): AttachOwner | undefined {
    return this.#presence.get(t)?.owner;
  }

  /** The containers with a terminal attached now. */
  containers(): string[] {
    return [...this.#m.keys()];
  }

  /** The terminals attached to one container (a door offering "take over" closes them). */
  terminals(containerId: string): Terminal[] {
    return [...(this.#m.get(containerId) ?? [])];
  }

  count(containerId: string): number {
    return this.#m.get(containerId)?.size ?? 0;
  }

  /** Writes an ISLET notice on every terminal attached to the container. */
  notify(containerId: string, text: string): number {
    const s = this.#m.get(containerId);
    for (const t of s ?? []) if (!t.closed) t.write(crlf(`\r\n[ISLET] ${text}\n`));
    return s?.size ?? 0;
  }

  /** Every attached terminal (for a server-wide notice). */
  all(): Terminal[] {
    return [...this.#m.values()].flatMap((s) => [...s]);
  }
}
