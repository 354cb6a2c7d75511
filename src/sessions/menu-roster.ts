/**
 * The interactive sessions in ISLET's menu (not in a shell), so a broadcast
 * reaches trainees who are choosing an environment or logging in too. In
 * memory: after a restart nobody is in the menu.
 */
import type { Terminal } from '../core/terminal.ts';
import { plainNotice } from './notice-text.ts';

export interface MenuEntry {
  readonly term: Terminal;
  /** The account once known (a gate login asks first). */
  readonly account: () => string | undefined;
  /** True while the session is in (or starting) a shell: the shell's notices are ShellTaps' business. */
  inShell: boolean;
  /** The prompt waiting for an answer, said again after a notice. */
  prompt: string | undefined;
}

export class MenuRoster {
  readonly #entries = new Set<MenuEntry>();

  add(term: Terminal, account: () => string | undefined): MenuEntry {
    const e: MenuEntry = { term, account, inShell: false, prompt: undefined };
    this.#entries.add(e);
    return e;
  }

  remove(e: MenuEntry): void {
    this.#entries.delete(e);
  }

  /** Sessions in the menu (none in a shell), of one account when given. */
  select(account?: string): MenuEntry[] {
    return [...this.#entries].filter((e) => !e.inShell && !e.term.closed && (!account || e.account() === account));
  }

  /** Writes a notice on a menu session and repeats its prompt (what was typed at it is kept, not shown again). */
  static notify(e: MenuEntry, text: string): void {
    if (e.term.closed) return;
    e.term.write(`${plainNotice(text)}${e.prompt ? e.prompt.replace(/\r?\n/g, '\r\n') : ''}`);
  }
}
