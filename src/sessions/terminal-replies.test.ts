import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripTerminalReplies } from './terminal-replies.ts';

const strip = (s: string) => stripTerminalReplies(Buffer.from(s, 'latin1')).toString('latin1');

test("a watcher's terminal replies never reach the shell; keys do", () => {
  // Control: keys with escape sequences pass unchanged.
  for (const key of ['ls\r', '\x1b[A', '\x1b[15~', '\x1bOP', '\x1b[1;5D', '\x1bb', '\x03']) assert.equal(strip(key), key);
  // Replies: DA1, DA2, CPR, DSR, DECRQSS, XTVERSION, OSC colour report, DECRPM, window size report.
  const replies = [
    '\x1b[?1;2c',
    '\x1b[>0;276;0c',
    '\x1b[12;40R',
    '\x1b[0n',
    '\x1bP1$r0m\x1b\\',
    '\x1bP>|xterm.js(5.5)\x1b\\',
    '\x1b]11;rgb:0000/0000/0000\x1b\\',
    '\x1b[?2004;2$y',
    '\x1b[8;24;80t',
  ];
  for (const r of replies) assert.equal(strip(`a${r}b`), 'ab', JSON.stringify(r));
});
