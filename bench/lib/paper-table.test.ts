import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paperCutoffFor, paperTable } from './paper-table.ts';

test('paperCutoffFor: the paper row of the same size, else the mean rate per vCPU', () => {
  assert.deepEqual(paperCutoffFor(2), { trainees: 34, basis: 't2.medium, 2 vCPUs' });
  // (11 + 17 + 15.75 + 18.375) / 4 = 15.53 per vCPU; × 16 = 248.5
  assert.equal(paperCutoffFor(16).trainees, 249);
});

test('paperTable: our figures beside the paper, from the files; missing files say so', () => {
  const t = paperTable({
    vcpus: 2,
    memGiB: 24,
    latency: { file: 'lat.json', summary: { islet: { new: { median: 250, p95: 400 }, first_menu: { median: 11 } }, peer: { new: { median: 290, p95: 330 } } } },
    workload: { file: 'w.json', analysis: { max_n: { peer: 200 }, cutoff: { own: { islet: { median: 150 }, peer: { median: null } } } } },
  });
  const row = (p: string) =>
    t
      .split('\n')
      .find((l) => l.startsWith(`| ${p}`))!
      .split(' | ');
  assert.deepEqual(row('Figure 7').slice(2, 4), ['median 250 ms, p95 400 ms', 'median 290 ms, p95 330 ms']);
  assert.deepEqual(row('Table 1').slice(1, 4), ['34 (t2.medium, 2 vCPUs)', '150', '> 200']);
  assert.match(row('Figure 6').at(-1)!, /no result file/);
});

test('paperTable: Table 1 reads on in the run above the workload run where it reached no crossing, and cites both', () => {
  const workload = {
    file: 'w.json',
    analysis: { max_n: { islet: 200, peer: 200 }, table: [], cutoff: { own: { islet: { median: null }, peer: { median: null } } } },
  };
  const cutoff = {
    file: 'w-cutoff.json',
    analysis: {
      max_n: { islet: 210, peer: 210 },
      table: [
        { system: 'islet', n: 210 },
        { system: 'peer', n: 210 },
      ],
      cutoff: { own: { islet: { median: null }, peer: { median: 210 } } },
    },
  };
  const row = (t: string) =>
    t
      .split('\n')
      .find((l) => l.startsWith('| Table 1'))!
      .split(' | ');
  assert.deepEqual(row(paperTable({ vcpus: 2, memGiB: 24, workload })).slice(2, 4), ['> 200', '> 200']);
  const t = row(paperTable({ vcpus: 2, memGiB: 24, workload, cutoff }));
  assert.deepEqual(t.slice(2, 4), ['> 210', '210']);
  assert.match(t.at(-1)!, /w\.json.*w-cutoff\.json/);
});

test("paperTable: Figure 6 gives the cores busy while the sessions idle, ISLET's once its accounts were sealed; none in a file without them", () => {
  const idle = (cores: number) => ({ machine_cores: cores, cores: {} });
  const density = {
    file: 'd.json',
    steps: [
      { target: 'islet', sessions: 1000, host_mb_per_session: 4.5, idle_cpu: idle(1.2) },
      { target: 'peer', sessions: 200, host_mb_per_session: 12.9, idle_cpu: idle(0.11) },
    ],
    settled: { sessions: 1000, idle_cpu: idle(0.57) },
  };
  const fig6 = (d: any) =>
    paperTable({ vcpus: 2, memGiB: 24, density: d })
      .split('\n')
      .find((l) => l.startsWith('| Figure 6'))!
      .split(' | ');
  assert.deepEqual(fig6(density).slice(2, 4), [
    '1000 idle, 4.5 MB host memory each, 0.57 of 2 cores busy',
    '200 idle, 12.9 MB host memory each, 0.11 of 2 cores busy',
  ]);
  const old = { file: 'd.json', steps: density.steps.map(({ idle_cpu: _, ...s }) => s) };
  assert.deepEqual(fig6(old).slice(2, 4), ['1000 idle, 4.5 MB host memory each', '200 idle, 12.9 MB host memory each']);
});
