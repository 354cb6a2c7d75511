/**
 * Text helpers for writing to a raw terminal: the client's terminal is in
 * raw mode, so every newline must be sent as CR LF.
 */
import type { SessionVars } from '../core/terminal.ts';

export const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

/** Fills `${NAME}` placeholders (session variables of the original ISLET) from `vars`; unknown names become empty. */
export function fillSessionVars(text: string, vars: SessionVars): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => vars[name] ?? '');
}

export const clearScreen = '\x1b[H\x1b[2J';
