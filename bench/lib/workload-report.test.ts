import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCutoff, type ExerciseRun } from './cutoff.ts';
import { cpuReport, cutoffReport, echoReport } from './workload-report.ts';

const runs: ExerciseRun[] = [
  { system: 'islet', n: 1, rep: 0, kind: 'solo', exercise_ms: 2000 },
  { system: 'peer', n: 1, rep: 0, kind: 'solo', exercise_ms: 1800 },
  { system: 'islet', n: 50, rep: 0, kind: 'loaded', exercise_ms: 6200 },
  { system: 'peer', n: 50, rep: 0, kind: 'loaded', exercise_ms: 4000 },
];
const file = {
  file: '2026-12-01-workload.json',
  method: { systems: ['islet', 'peer'], reps: 1, settleMs: 15000, steps: [1, 50], refined_steps: [] },
  analysis: analyzeCutoff(runs),
  steps: [
    {
      target: 'islet',
      n: 50,
      echo_ms: { samples: 10, p50: 1, p95: 2, p99: 3 },
      cpu_ms_per_trainee_s: { front_end: 1.5, dockerd: 2 },
      cpu_cores: { front_end: 0.07 },
    },
    { target: 'peer', n: 50, echo_ms: { samples: 9, p50: 1.1, p95: 2.2, p99: 3.3 }, cpu_ms_per_trainee_s: { front_end: 2.5 } },
  ],
};

test('cutoffReport: spread per system, both yardsticks, cut-off lines', () => {
  const t = cutoffReport(file);
  assert.match(t, /\| 1 \(solo\) \| 2\.00 \(2\.00–2\.00\) \| 1\.80 \(1\.80–1\.80\) \| 1\.05 \/ 1 \| 0\.95 \/ 1 \|/);
  // ISLET at 50: 6.2 / 1.9 = 3.26 shared, 6.2 / 2 = 3.1 own: crossed against both.
  assert.match(t, /\*\*islet\*\*: against the shared solo 50 .* against its own solo \(2\.00 \(2\.00–2\.00\) s\) 50/);
  assert.match(t, /\*\*peer\*\*: against the shared solo not reached by 50/);
});

test('cutoffReport: an old result without analysis is named and shown as it was measured', () => {
  const t = cutoffReport({
    file: 'old.json',
    shared_solo_ms: 2090,
    shared_cutoff: { islet: 150, peer: null },
    max_tested: { peer: 200 },
    steps: [
      { target: 'islet', n: 150, exercise_ms: 6950, shared_ratio: 3.32 },
      { target: 'peer', n: 150, exercise_ms: 3820, shared_ratio: 1.83 },
    ],
  });
  assert.match(t, /old\.json.*predates/);
  assert.match(t, /\| 150 \| 6\.95 \| 3\.82 \| 3\.32 \| 1\.83 \|/);
  assert.match(t, /cut-off: islet 150, peer not reached by 200/);
});

test('echoReport and cpuReport: one column per system, dashes for what is missing', () => {
  assert.match(echoReport(file), /\| 50 \| 10: 1 \/ 2 \/ 3 \| 9: 1\.1 \/ 2\.2 \/ 3\.3 \|/);
  const c = cpuReport(file);
  assert.match(c, /\| 50 \| islet \| 1\.5 \| 2 \| – \|/);
  assert.match(c, /\| 50 \| peer \| 2\.5 \| – \|/);
});

test('cpuReport: worked out again from the slots where the file has them (the summed windows, not the median)', () => {
  const slot = (window_s: number, front_end: number) => ({ system: 'peer', n: 51, kind: 'loaded', cpu: { window_s, machine_s: 0, groups: { front_end } } });
  // Stored as the old way had it: mean CPU 36.7 over the median window 10 s, 3.67 cores.
  const old = { target: 'peer', n: 51, cpu_ms_per_trainee_s: { front_end: 73.4 }, cpu_cores: { front_end: 3.67 } };
  const c = cpuReport({ file: 'x.json', steps: [old], slots: [slot(10, 10), slot(10, 10), slot(90, 90)] });
  // 110 CPU-seconds over 110 s: 1 core, 20 ms per working trainee per second.
  assert.match(c, /\| 51 \| peer \| 20 \| .* \| 1 \|/);
  assert.doesNotMatch(c, /3\.67/);
});
