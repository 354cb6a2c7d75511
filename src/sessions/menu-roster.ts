/**
 * The interactive sessions in ISLET's menu (not in a shell), so a broadcast
 * reaches trainees who are choosing an environment or logging in too, and the
 * instructor console's roster shows who sits there (since when, idle since). In
 * memory: after a restart nobody is in the menu.
 */
import type { Terminal } from '../core/terminal.ts';
import { plainNotice } from './notice-text.ts';

export interface MenuEntry {
  /** Unique in this process (the roster row's key). */
  readonly id: number;
  readonly term: Terminal;
  /** When the session started, and when its trainee last typed (epoch ms). */
  readonly since: number;
  lastInput: number;
  /** The account once known (a gate login asks first). */
  readonly account: () => string | undefined;
  /** True while the session is in (or on its way to) a shell. */
  inShell: boolean;
  /** The prompt waiting for an answer, said again after a notice. */
  prompt: string | undefined;
}

export class MenuRoster {
  readonly #entries = new Map<MenuEntry, () => void>();
  #next = 0;

  add(term: Terminal, account: () => string | undefined): MenuEntry {
    const now = Date.now();
    const e: MenuEntry = { id: ++this.#next, term, since: now, lastInput: now, account, inShell: false, prompt: undefined };
    // One timestamp per input chunk (as AttachRegistry does for shells): the roster's idle time.
    this.#entries.set(
      e,
      term.onData(() => {
        e.lastInput = Date.now();
      }),
    );
    return e;
  }

  remove(e: MenuEntry): void {
    this.#entries.get(e)?.();
    this.#entries.delete(e);
  }

  /**
   * Sessions in the menu, of one account when given. `attached` tells a terminal already in its shell (the
   * shell's notices are ShellTaps' business) from one still on its way there (a container starting, a
   * queue for a place), which is told here.
   */
  select(account?: string, attached: (t: Terminal) => boolean = () => false): MenuEntry[] {
    return [...this.#entries.keys()].filter((e) => !e.term.closed && (!account || e.account() === account) && !(e.inShell && attached(e.term)));
  }

  /** Writes a notice on a menu session and repeats its prompt (what was typed at it is kept, not shown again). */
  static notify(e: MenuEntry, text: string): void {
    if (e.term.closed) return;
    e.term.write(`${plainNotice(text)}${!e.inShell && e.prompt ? e.prompt.replace(/\r?\n/g, '\r\n') : ''}`);
  }
}
