/**
 * Removes what a terminal emulator sends on its own in answer to the program's
 * queries — DA1/DA2/DA3, DSR and cursor position reports, DECRQSS/XTGETTCAP/
 * XTVERSION (DCS), colour and title reports (OSC), mode and window reports —
 * from an instructor's input, so a watcher's terminal never answers for the
 * trainee's (only the trainee's own terminal does). Keys never produce these,
 * except modified F3 in one encoding (CSI 1;<mod> R), which is dropped too.
 */
const REPLIES = new RegExp(
  [
    '\\x1b\\[[?>=][0-9;]*c', // DA1, DA2, DA3
    '\\x1b\\[[0-9]+;[0-9]+R', // cursor position report
    '\\x1b\\[\\??[0-9]*n', // device status report
    '\\x1b\\[\\??[0-9;]*\\$y', // DECRPM mode report
    '\\x1b\\[[0-9;]*t', // window reports
    '\\x1bP[\\s\\S]*?(?:\\x1b\\\\|\\x07|$)', // DCS: DECRQSS, XTGETTCAP, XTVERSION answers
    '\\x1b\\][\\s\\S]*?(?:\\x1b\\\\|\\x07|$)', // OSC: colour, title, clipboard reports
    '\\x1b\\^[\\s\\S]*?(?:\\x1b\\\\|$)', // PM
    '\\x1b_[\\s\\S]*?(?:\\x1b\\\\|$)', // APC
  ].join('|'),
  'g',
);

export function stripTerminalReplies(b: Buffer): Buffer {
  // Fast path: no ESC, nothing to strip (almost every keystroke).
  if (!b.includes(0x1b)) return b;
  const s = b.toString('latin1');
  const out = s.replace(REPLIES, '');
  return out.length === s.length ? b : Buffer.from(out, 'latin1');
}
