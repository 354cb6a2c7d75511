import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundSpread, stormFilesReport, type StormFile } from './storm-files.ts';

const file = (name: string, started: string, engine: number, islet: number, alternating: boolean): StormFile => ({
  file: name,
  run: { started, commit: name.slice(-12, -5), machine_state_at_start: { pageFaultUs: 12.5 } },
  engine_alone: { p95: engine, concurrency: 8 },
  summary: { islet_cold: { total: { p95: islet } } },
  rounds: [
    { engine_p95: engine, islet_p95: islet * 1.01 },
    { engine_p95: engine, islet_p95: islet * 0.99 },
  ],
  ...(alternating ? { storm_order: ['engine#0', 'islet#0', 'islet#1', 'engine#1'] } : {}),
});

test('stormFilesReport: one line per file, oldest first, with the ratio, its rounds and whether the row is met', () => {
  const t = stormFilesReport([
    file('archive/2026-12-05-login-storm-bbbbbbb.json', '2026-12-05T10:00:00Z', 16000, 19200, true),
    file('archive/2026-12-03-login-storm-aaaaaaa.json', '2026-12-03T10:00:00Z', 10000, 10500, false),
    file('2026-12-06-login-storm.json', '2026-12-06T08:26:00Z', 20000, 21000, true),
    { file: 'no-engine.json', summary: { islet_cold: { total: { p95: 1 } } } },
  ])!;
  const rows = t.split('\n').filter((l) => l.startsWith('| 2026'));
  assert.equal(rows.length, 3, 'a file without the engine alone is left out');
  assert.match(rows[0]!, /aaaaaaa.*engine first \| 10\.00 \| 10\.50 \| ×1\.05 \(1\.06, 1\.04\) \| yes \| – \| 12\.5 µs/, 'no CPU figures: –');
  assert.match(rows[1]!, /bbbbbbb.*alternating \| 16\.00 \| 19\.20 \| ×1\.20 .* \| no \|/);
  assert.match(rows[2]!, /2026-12-06-login-storm\.json.*×1\.05 .* \| yes \|/);
  // Only the alternating files are summarised: ×1.05 and ×1.20 (the engine-first ×1.05 is not counted).
  assert.match(t, /The 2 files whose engine alone and ISLET alternated: ×1\.05 to ×1\.20, median ×1\.13; the row \(≤ ×1\.10\) met in 1 of them/);
});

test("stormFilesReport: ISLET's CPU over the engine alone's per cold login, split into its server's and the rest, beside the allowance", () => {
  const round = (engine: number, islet: number, server: number) => ({
    engine: { machine_s: engine, groups: { front_end: 0 } },
    islet: { machine_s: islet, groups: { front_end: server } },
  });
  const f = {
    ...file('2026-12-06-login-storm.json', '2026-12-06T08:26:00Z', 20000, 23000, true),
    trainees: 100,
    // Two rounds: engine 30 + 34 = 64 CPU-s, ISLET 37 + 37 = 74 (10 more), its server 3.5 + 3.3 = 6.8, over 200 logins.
    cpu_per_round: [round(30, 37, 3.5), round(34, 37, 3.3), { islet: { machine_s: 50, groups: { front_end: 9 } } }],
  };
  const t = stormFilesReport([f, file('archive/2026-12-05-login-storm-bbbbbbb.json', '2026-12-05T10:00:00Z', 16000, 17000, true)])!;
  const row = t.split('\n').find((l) => l.includes('2026-12-06-login-storm.json'))!;
  // server 6.8 s / 200 = 34 ms; the rest (10 - 6.8) / 200 = 16 ms; allowed 0.1 x 64 / 200 = 32 ms. The round without an engine window is left out.
  assert.match(row, /\| no \| 34 \+ 16 \(32\) \|/);
  assert.match(t, /ISLET's server used 34 to 34 ms \(median 34\) of CPU;/);
  assert.match(t, /the rest of ISLET's CPU over the engine alone's 16 to 16 ms \(median 16\); the row allowed 32 to 32 ms/);
});

test('stormFilesReport: nothing to report without a storm file', () => {
  assert.equal(stormFilesReport([]), undefined);
});

test("roundSpread: one round's ratio over every round of the files, and how far consecutive rounds of one file differ", () => {
  // Rounds 1.0, 1.2 | 1.1, 1.05, 1.25: mean 1.12, sample SD 0.0975; steps 0.2 | 0.05, 0.2: median 0.2.
  const line = roundSpread([
    [1.0, 1.2],
    [1.1, 1.05, 1.25],
  ]);
  assert.equal(
    line,
    " One round's ratio over their 5 rounds: mean ×1.12, standard deviation 0.10 (×1.00 to ×1.25; 2 over ×1.10); " +
      'two consecutive rounds of one file differ by 0.20 at the median, up to 0.20.',
  );
  assert.equal(roundSpread([[1.1]]), '', 'one round: no spread to give');
  // Summarised only over the alternating files (the test file() has rounds ×1.01 and ×0.99 of its ratio).
  assert.match(stormFilesReport([file('2026-12-06-login-storm.json', '2026-12-06T08:26:00Z', 20000, 22000, true)])!, /over their 2 rounds: mean ×1\.10/);
});
