import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castV3ToV2 } from './export-v2.ts';

test('v3 to v2: absolute times, width/height header, o/i/m/r kept, x dropped into duration, comments and a cut last line dropped', () => {
  const v3 = [
    JSON.stringify({ version: 3, term: { cols: 90, rows: 20, type: 'xterm-256color' }, timestamp: 1700000000, title: 't', islet: { pid: 1 } }),
    '# a comment',
    '[0.5, "o", "a"]',
    '[0.25, "i", "b"]',
    '[1.1, "r", "100x30"]',
    '[0.1, "m", "mark"]',
    '[0.05, "x", "0"]',
    '[0.3, "o", "cu',
  ].join('\n');
  const [h, ...ev] = castV3ToV2(v3)
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(h, { version: 2, width: 90, height: 20, timestamp: 1700000000, duration: 2, title: 't', env: { TERM: 'xterm-256color' } });
  assert.deepEqual(ev, [
    [0.5, 'o', 'a'],
    [0.75, 'i', 'b'],
    [1.85, 'r', '100x30'],
    [1.95, 'm', 'mark'],
  ]);
});

test('v3 to v2 refuses a file that is not v3', () => {
  assert.throws(() => castV3ToV2('{"version": 2, "width": 80, "height": 24}\n'), /not an asciicast v3 file/);
});
