/**
 * The escape sequences that put an ISLET notice (a broadcast, "ada is watching
 * your terminal") on a trainee's screen without corrupting what is there.
 *
 * - A shell (normal screen): the notice is inserted as lines ABOVE the line the
 *   cursor is on (the screen scrolls up first when that line is at the bottom),
 *   so the prompt and what the trainee has typed stay intact with the cursor in
 *   them; the shell's line editor never notices (it only moves within its own line).
 * - A full-screen program (alternate screen): one line over the bottom row, to be
 *   repaired by asking the program to redraw (the caller nudges the size), the
 *   full notice kept for when the alternate screen ends (notice at the prompt).
 * - No screen model (screen_restore off): a plain line, as lifecycle notices do.
 *
 * Contract: text given here is already clean (cleanMessage); every sequence saves
 * and restores the cursor and its attributes (DECSC/DECRC).
 */
import type { ScreenState } from '../terminal-model/screen-model.ts';

/** Longest message a broadcast carries (characters, after cleaning). */
export const MESSAGE_MAX = 500;
/** Most rows a notice takes above a prompt. */
const MAX_ROWS = 4;
const PREFIX = '[ISLET] ';

/**
 * A message made safe for any terminal: C0/C1 controls, DEL and lone surrogates become spaces (no escape
 * sequence can pass), runs of blanks collapse, at most MESSAGE_MAX characters. Empty means nothing to say.
 */
export function cleanMessage(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, ' ');
  return [...flat.replace(/\s+/g, ' ').trim()].slice(0, MESSAGE_MAX).join('');
}

/** The notice in rows of at most `cols` characters (words kept whole where they fit), at most `max` rows. */
export function noticeRows(text: string, cols: number, max = MAX_ROWS): string[] {
  const width = Math.max(10, cols - 1);
  const rows: string[] = [];
  let row = '';
  for (const word of `${PREFIX}${text}`.split(' ')) {
    let w = [...word];
    while (w.length > 0) {
      const room = width - [...row].length - (row ? 1 : 0);
      if (w.length <= room) {
        row = row ? `${row} ${w.join('')}` : w.join('');
        w = [];
      } else if (row) {
        rows.push(row);
        row = '';
      } else {
        rows.push(w.slice(0, width).join(''));
        w = w.slice(width);
      }
    }
  }
  if (row) rows.push(row);
  if (rows.length > max) {
    const cut = rows.slice(0, max);
    cut[max - 1] = `${[...cut[max - 1]!].slice(0, width - 1).join('')}…`;
    return cut;
  }
  return rows;
}

const BOLD = '\x1b[0;1m';
const RESET = '\x1b[0m';

/**
 * Lines inserted above the cursor's line; that line (and the cursor in it) moves down, nothing is
 * overwritten. Only relative moves: the model knows the line structure around the cursor, but not
 * which row of the client's screen it is on (text the menu printed before the shell is not in it).
 * First k line feeds and k rows up make room below (scrolling the screen up when the line is at the
 * bottom, as output would), then the line is pushed down by k inserted rows, which take the notice.
 */
export function insertAbove(text: string, s: ScreenState): string {
  const rows = noticeRows(text, s.cols, Math.min(MAX_ROWS, Math.max(1, s.rows - 1)));
  const k = rows.length;
  const dy = s.cursorY - s.lineTop; // rows between the line's start and the cursor
  const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
  return (
    `${'\n'.repeat(k)}${up(k)}` + // room below; the cursor is back on its line, same column
    '\x1b7' + // cursor and attributes
    `\r${up(dy)}\x1b[${k}L` + // the line's first row, pushed down by k blank rows
    rows.map((r) => `\x1b[2K${BOLD}${r}${RESET}`).join('\r\n') +
    `\x1b8\x1b[${k}B` // the cursor where it was, k rows lower with its line
  );
}

/** One line over the bottom row (alternate screen); the program redraws it when nudged. */
export function statusLine(text: string, s: ScreenState): string {
  const row = noticeRows(text, s.cols, 1)[0] ?? '';
  return `\x1b7\x1b[${s.rows};1H\x1b[2K\x1b[0;7m${row}${RESET}\x1b8`;
}

/** A notice on its own lines where the screen is unknown. */
export function plainNotice(text: string): string {
  return `\r\n${PREFIX}${text}\r\n`;
}

/** Does this output leave the alternate screen (a full-screen program ended)? */
export function leavesAlternate(b: Buffer): boolean {
  return b.includes('\x1b[?1049l') || b.includes('\x1b[?1047l') || b.includes('\x1b[?47l');
}
