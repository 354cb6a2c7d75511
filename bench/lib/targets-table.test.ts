import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetsTable, type ResultFile } from './targets-table.ts';

const latency: ResultFile = {
  file: '2026-12-01-login-latency.json',
  run: { commit: 'abc1234' },
  summary: {
    islet: { reattach: { median: 13 }, warm: { median: 22 }, new: { median: 270 }, engine_floor: { median: 250 } },
    peer: { reattach: { median: 62 }, new: { median: 290 } },
  },
};
const storm: ResultFile = {
  file: '2026-12-01-login-storm.json',
  trainees: 100,
  engine_alone: { p95: 13_000 },
  summary: {
    islet_cold: { success: '100/100', total: { p95: 14_000 } },
    islet_warm: { success: '100/100', total: { p95: 1900 } },
    peer_cold: { success: '99/100', total: { p95: 15_000 } },
  },
};
const workload: ResultFile = {
  file: '2026-12-01-workload.json',
  steps: [
    { target: 'islet', n: 50, exercise_ms: 3000, echo_ms: { p99: 20 } },
    { target: 'peer', n: 50, exercise_ms: 3100, echo_ms: { p99: 25 } },
    { target: 'islet', n: 100, exercise_ms: 4200, echo_ms: { p99: 45 } },
    { target: 'peer', n: 100, exercise_ms: 4000, echo_ms: { p99: 40 } },
  ],
  analysis: {
    max_n: { islet: 200, peer: 200 },
    cutoff: {
      shared: { islet: { median: 150, earliest: 125, all_runs: 175 }, peer: { median: null, earliest: 175, all_runs: null } },
      own: { islet: { median: 150, earliest: 125, all_runs: 175 }, peer: { median: 175, earliest: 150, all_runs: null } },
    },
  },
};

const row = (table: string, start: string) =>
  table
    .split('\n')
    .find((l) => l.startsWith(`| ${start}`))!
    .split(' | ');

test('targetsTable: every row from the files, with its source and commit', () => {
  const t = targetsTable({ latency, storm, workload });
  assert.deepEqual(row(t, 'new container').slice(1, 5), ['270 ms vs floor 250 ms (+20 ms)', '290 ms', 'yes', '`2026-12-01-login-latency.json` (abc1234) |']);
  assert.equal(row(t, 'choice → prompt, reattach')[3], 'yes');
});

test('targetsTable: a file that recorded the machine probe names its first-touch page fault beside the commit', () => {
  const probed = { ...latency, run: { commit: 'abc1234', machine_state_at_start: { pageFaultUs: 19.214, spawnMs: 11, cpuPressureAvg60: 1, load1: 1 } } };
  assert.equal(row(targetsTable({ latency: probed }), 'new container')[4], '`2026-12-01-login-latency.json` (abc1234; fault 19.2 µs) |');
});

test('targetsTable: storm against the engine of the same run; all served needs every shell', () => {
  const t = targetsTable({ storm });
  const r = row(t, '100 at once, cold: p95 ≤ 1.1');
  assert.equal(r[1], '14.00 s vs engine 13.00 s (×1.08)');
  assert.equal(r[3], 'yes');
  assert.equal(row(t, '100 at once: all served')[2], '99/100');
});

test('targetsTable: behind the peer at a step, echo above the peer, cut-offs with their run range', () => {
  const t = targetsTable({ workload });
  assert.equal(row(t, 'exercise time')[1], 'behind at 100');
  assert.equal(row(t, 'exercise time')[3], 'no');
  assert.deepEqual(row(t, 'keystroke echo').slice(1, 4), ['45 ms', '40 ms', 'no']);
  assert.deepEqual(row(t, "cut-off against each system's own").slice(1, 4), ['150 (runs: 125 to 175)', '175 (runs: 150 to –)', 'no']);
  assert.deepEqual(row(t, 'cut-off ≥ 34').slice(1, 4), ['150 (runs: 125 to 175)', '> 200 (runs: 175 to –)', 'yes']);
});

test('targetsTable: the solo is step 1 of the exercise row, with how its interleaved pairs fell', () => {
  const slots = [
    { n: 1, rep: 0, system: 'islet', kind: 'solo', exercise_ms: 3000 },
    { n: 1, rep: 0, system: 'peer', kind: 'solo', exercise_ms: 3100 },
    { n: 25, rep: 0, system: 'islet', kind: 'solo', exercise_ms: 3300 },
    { n: 25, rep: 0, system: 'peer', kind: 'solo', exercise_ms: 3200 },
    { n: 25, rep: 0, system: 'peer', kind: 'loaded', exercise_ms: 1 },
  ];
  const ahead = targetsTable({ workload: { ...workload, steps: workload.steps.slice(0, 2), solo_ms: { islet: 3000, peer: 3100 }, slots } });
  assert.deepEqual(row(ahead, 'exercise time').slice(1, 4), ['behind at no step; solo 3.00 s / 3.10 s, ISLET the faster in 1 of 2 pairs', '2 steps', 'yes']);
  // By a millisecond is behind: the target is the median, whatever the pairs say.
  const level = targetsTable({ workload: { ...workload, steps: workload.steps.slice(0, 2), solo_ms: { islet: 3101, peer: 3100 }, slots } });
  assert.deepEqual(row(level, 'exercise time').slice(1, 4), ['behind at 1 (solo); solo 3.10 s / 3.10 s, ISLET the faster in 1 of 2 pairs', '2 steps', 'no']);
});

test('targetsTable: a result from before the interleaved run gives its median cut-offs, no run range', () => {
  const t = targetsTable({
    workload: { file: 'old.json', steps: [], shared_cutoff: { islet: 150, peer: null }, cutoff: { islet: 200, peer: 150 }, max_tested: { peer: 200 } },
  });
  assert.deepEqual(row(t, 'cut-off ≥ 34').slice(1, 4), ['150 (runs: – to –)', '> 200 (runs: – to –)', 'yes']);
  assert.deepEqual(row(t, "cut-off against each system's own").slice(1, 4), ['200 (runs: – to –)', '150 (runs: – to –)', 'yes']);
});

test('targetsTable: a cut-off not reached by a small run proves nothing: no verdict', () => {
  const t = targetsTable({
    workload: {
      file: 'small.json',
      steps: [],
      analysis: {
        max_n: { islet: 4, peer: 4 },
        cutoff: { shared: { islet: { median: null }, peer: { median: null } }, own: { islet: { median: null }, peer: { median: 4 } } },
      },
    },
  });
  assert.deepEqual(row(t, 'cut-off ≥ 34').slice(1, 4), ['> 4 (runs: – to –)', '> 4 (runs: – to –)', '–']);
  // ISLET above 4, the peer at 4: ISLET's is higher.
  assert.equal(row(t, "cut-off against each system's own")[3], 'yes');
});

test('targetsTable: where the main run reached no crossing, the cut-off rows read on in a run above it', () => {
  const main: ResultFile = {
    file: '2026-12-01-workload.json',
    run: { commit: 'aaa1111' },
    steps: [],
    analysis: {
      max_n: { islet: 200, peer: 200 },
      table: [],
      cutoff: {
        shared: { islet: { median: null, earliest: 150, all_runs: null }, peer: { median: null, earliest: null, all_runs: null } },
        own: { islet: { median: null, earliest: 150, all_runs: null }, peer: { median: null, earliest: null, all_runs: null } },
      },
    },
  };
  const beyond = (lowest: number): ResultFile => ({
    file: '2026-12-01-workload-cutoff.json',
    run: { commit: 'bbb2222' },
    steps: [],
    analysis: {
      max_n: { islet: 350, peer: 350 },
      table: ['islet', 'peer'].flatMap((system) => [1, lowest, 350].map((n) => ({ system, n }))),
      cutoff: {
        shared: { islet: { median: 300, earliest: 250, all_runs: 350 }, peer: { median: 275, earliest: 250, all_runs: 300 } },
        own: { islet: { median: 325, earliest: 275, all_runs: null }, peer: { median: 300, earliest: 250, all_runs: 350 } },
      },
    },
  });
  // Without the run above, nothing is decided.
  assert.equal(row(targetsTable({ workload: main }), "cut-off against each system's own")[3], '–');
  const t = targetsTable({ workload: main, cutoff: beyond(250) });
  // ISLET's earliest run crossing stays the main run's (150); the rest come from the run above.
  assert.deepEqual(row(t, "cut-off against each system's own").slice(1, 4), ['325 (runs: 150 to –)', '300 (runs: 250 to 350)', 'yes']);
  assert.deepEqual(row(t, 'cut-off ≥ 34').slice(1, 4), ['300 (runs: 150 to 350)', '275 (runs: 250 to 300)', 'yes']);
  assert.match(row(t, "cut-off against each system's own")[4]!, /workload\.json.*aaa1111.*workload-cutoff\.json.*bbb2222/);
  // A run that measured at or below the main run's largest n does not continue it.
  const overlapping = targetsTable({ workload: main, cutoff: beyond(200) });
  assert.equal(row(overlapping, "cut-off against each system's own")[1], '> 200 (runs: 150 to –)');
  assert.doesNotMatch(row(overlapping, "cut-off against each system's own")[4]!, /cutoff/);
});

test('targetsTable: a missing result file says so, no figure and no verdict', () => {
  const t = targetsTable({});
  const r = row(t, 'new container');
  assert.equal(r[3], '–');
  assert.match(r[4]!, /no result file/);
});

test('targetsTable: a density wait that ended with the hasher still running does not say every account was sealed', () => {
  const density = (processes: number): ResultFile => ({
    file: 'd.json',
    steps: [{ target: 'islet', sessions: 1000, server_pss_mb_per_session: 0.25 }],
    settled: { sessions: 1000, waited_s: processes > 1 ? 306.2 : 95.8, server_processes: processes, server_pss_mb_per_session: 0.16 },
  });
  assert.equal(row(targetsTable({ density: density(1) }), '1000 idle sessions, every account sealed (95.8 s later)')[1], '0.16 MB at 1000, 1 process(es)');
  const t = targetsTable({ density: density(2) });
  assert.equal(t.includes('every account sealed'), false);
  assert.equal(row(t, '1000 idle sessions, the hasher still sealing 306.2 s later')[1], '0.16 MB at 1000, 2 process(es)');
});

test('targetsTable: the idle CPU row shows ISLET settled and the peer at its largest step, without a verdict; none for a file without it', () => {
  const idle = (server: number) => ({ machine_cores: 0.5, cores: { front_end: server, containers: 0.01, shims: 0.3, rest_of_machine: 0.1 } });
  const file: ResultFile = {
    file: 'd.json',
    steps: [
      { target: 'islet', sessions: 1000, server_pss_mb_per_session: 0.25 },
      { target: 'peer', sessions: 200, server_pss_mb_per_session: 8, idle_cpu: idle(0.004) },
    ],
    settled: { sessions: 1000, waited_s: 70, server_processes: 1, server_pss_mb_per_session: 0.1, idle_cpu: idle(0.039) },
  };
  const r = row(targetsTable({ density: file }), "1000 idle sessions, accounts sealed: the host's CPU");
  assert.equal(r[1], '0.5 (server 0.039, containers 0.01, shims 0.3, rest of the machine 0.1)');
  assert.equal(r[2], '0.5 (server 0.004, containers 0.01, shims 0.3, rest of the machine 0.1) at 200');
  assert.equal(r[3], '–');
  const old = targetsTable({ density: { ...file, settled: { sessions: 1000, waited_s: 70, server_processes: 1, server_pss_mb_per_session: 0.1 } } });
  assert.equal(old.includes("the host's CPU"), false);
});
