/**
 * A SessionHandler decorator per front door: it knows which door it was given to,
 * so sessions can be counted by door without the engine or the door knowing about
 * metrics. A terminal counts as "shell" while the attach registry holds it, else "menu";
 * commands (`ssh alice+env@host cmd`) count as "command".
 */
import type { Terminal } from '../core/terminal.ts';
import type { SessionHandler } from '../sessions/index.ts';

export class SessionCounter {
  readonly #terms = new Map<Terminal, string>();
  readonly #commands = new Map<string, number>();

  /** Wraps `handler` for one door. */
  wrap(handler: SessionHandler, door: string): SessionHandler {
    return {
      handle: async (term, who, hints) => {
        this.#terms.set(term, door);
        try {
          return await handler.handle(term, who, hints);
        } finally {
          this.#terms.delete(term);
        }
      },
      exec: async (io, who, command, opts) => {
        this.#commands.set(door, (this.#commands.get(door) ?? 0) + 1);
        try {
          return await handler.exec(io, who, command, opts);
        } finally {
          this.#commands.set(door, (this.#commands.get(door) ?? 1) - 1);
        }
      },
      openContainer: (who) => handler.openContainer(who),
      openPort: (who, host, port) => handler.openPort(who, host, port),
    };
  }

  /** The door (`ssh`, `web`) an interactive session's terminal came through; undefined once it ended. */
  doorOf(t: Terminal): string | undefined {
    return this.#terms.get(t);
  }

  /** Counts by door and state; `attached` are the terminals in a shell right now. */
  counts(attached: readonly Terminal[]): { door: string; state: string; count: number }[] {
    const inShell = new Set(attached);
    const n = new Map<string, number>();
    const add = (door: string, state: string, k = 1) => {
      const key = `${door}\0${state}`;
      n.set(key, (n.get(key) ?? 0) + k);
    };
    for (const door of ['ssh', 'web']) {
      add(door, 'menu', 0);
      add(door, 'shell', 0);
      add(door, 'command', 0);
    }
    for (const [t, door] of this.#terms) add(door, inShell.has(t) ? 'shell' : 'menu');
    for (const [door, k] of this.#commands) add(door, 'command', k);
    return [...n].map(([key, count]) => {
      const [door, state] = key.split('\0') as [string, string];
      return { door, state, count };
    });
  }
}
