/**
 * Which terminals are attached to which container right now, so the
 * lifecycle can warn trainees before a stop and tell idle containers from
 * used ones. In memory by design: after a restart nobody is attached.
 */
import type { Terminal } from '../core/terminal.ts';
import { crlf } from './text.ts';

export class AttachRegistry {
  readonly #m = new Map<string, Set<Terminal>>();

  add(containerId: string, t: Terminal): void {
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
