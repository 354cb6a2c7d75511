/**
 * Speaks to all trainees, or some: a message on every selected attached
 * terminal — shells (placed around what is on screen: shell-taps.ts,
 * notice-text.ts) and sessions still in the menu. Used by the instructor
 * console and by `islet broadcast` (through the control socket).
 *
 * Selection: everyone; one account (its shells and menu sessions); one
 * environment (the shells in it: a trainee in the menu is in no environment).
 */
import { IsletError } from '../core/islet-error.ts';
import type { Logger } from '../logger.ts';
import type { MenuRoster } from './menu-roster.ts';
import { MenuRoster as Roster } from './menu-roster.ts';
import { cleanMessage, MESSAGE_MAX } from './notice-text.ts';
import type { ShellTaps } from './shell-taps.ts';

export interface BroadcastTarget {
  readonly account?: string;
  readonly environment?: string;
}

export interface BroadcastResult {
  /** Shells the message was put on. */
  readonly shells: number;
  /** Sessions in the menu (or still on their way into a shell) it was shown in. */
  readonly menus: number;
}

export class Broadcaster {
  readonly #taps: ShellTaps;
  readonly #menus: MenuRoster;
  readonly #log: Logger;

  constructor(taps: ShellTaps, menus: MenuRoster, log: Logger) {
    this.#taps = taps;
    this.#menus = menus;
    this.#log = log;
  }

  /** Sends `message` (cleaned: no control characters, at most MESSAGE_MAX characters) from `from`. */
  async send(message: string, target: BroadcastTarget, from: string): Promise<BroadcastResult> {
    const text = cleanMessage(message);
    if (!text) throw new IsletError('BROADCAST_INVALID', 'The message is empty.', `broadcast from ${from} with no printable text`);
    if (target.account && target.environment)
      throw new IsletError('BROADCAST_INVALID', 'Choose an account or an environment, not both.', `broadcast from ${from} named both`);
    const said = `${from}: ${text}`;
    const shells = await Promise.all(this.#taps.select(target).map((id) => this.#taps.notice(id, said)));
    const menus = target.environment ? [] : this.#menus.select(target.account, (t) => this.#taps.attachedTerminal(t));
    for (const m of menus) Roster.notify(m, said);
    const result = { shells: shells.filter(Boolean).length, menus: menus.length };
    this.#log.info({ event: 'broadcast', from, account: target.account, environment: target.environment, chars: text.length, ...result }, 'broadcast sent');
    return result;
  }
}

export { MESSAGE_MAX };
