/**
 * The escape sequences that put an ISLET notice (a broadcast, "ada is watching
 * your terminal") on a trainee's screen without corrupting what is there.
 *
 * - A shell (normal screen): the notice is inserted as lines ABOVE the line the
 *   cursor is on — pushing that line down when there is room below it, else
 *   scrolling only the rows above it (a scroll region) — so the prompt and what
 *   the trainee has typed stay intact with the cursor in them; the shell's line
 *   editor never notices (it only moves within its own line).
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

/** Lines inserted above the cursor's line; the cursor and the line it is on stay put (normal screen). */
export function insertAbove(text: string, s: ScreenState): string {
  const rows = noticeRows(text, s.cols, Math.min(MAX_ROWS, Math.max(1, s.rows - 1)));
  const k = rows.length;
  const top = s.lineTop;
  let out = '\x1b7';
  let first: number; // 0-based row of the first notice row
  const moved = s.cursorY + k < s.rows || top < k;
  if (s.cursorY + k < s.rows) {
    // Room below (a shell's output ends at its prompt): push the line down, nothing is lost.
    out += `\x1b[${top + 1};1H\x1b[${k}L`;
    first = top;
  } else if (top < k) {
    // Not enough rows above the line: push the screen down from the top (the bottom rows go).
    out += `\x1b[1;1H\x1b[${k}L`;
    first = 0;
  } else {
    // Scroll only the rows above the line up by k (a region 1..top, 1-based), freeing rows top-k..top-1.
    if (top > k) out += `\x1b[1;${top}r\x1b[${top};1H\x1b[${k}S\x1b[r`;
    first = top - k;
  }
  rows.forEach((r, i) => {
    out += `\x1b[${first + i + 1};1H\x1b[2K${BOLD}${r}${RESET}`;
  });
  out += '\x1b8';
  // Pushed down: the cursor's row moved by k (DECRC restored the old row).
  if (moved) out += `\x1b[${s.cursorY + k + 1};${s.cursorX + 1}H`;
  return out;
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
