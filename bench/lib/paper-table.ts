/**
 * ISLET and the peer against the paper's own figures (issue 15.6), scaled to this machine where the
 * paper's figure scales: Figure 7 (a new shell "less than a second"), Figure 6 (containers a host holds;
 * the paper gives "several hundred" on 16 vCPUs / 30 GiB, no count in its text), Table 1 (trainees before
 * the 3× cut-off: 34 on a 2-vCPU t2.medium, i.e. 17 per vCPU). Pure; the caller loads the result files.
 */
import { readCutoff } from './cutoff-reading.ts';
import type { ResultFile } from './targets-table.ts';

/** The paper's Table 1: machine, vCPUs, trainees at the cut-off. */
export const PAPER_TABLE_1 = [
  { machine: 't2.small', vcpus: 1, trainees: 11 },
  { machine: 't2.medium', vcpus: 2, trainees: 34 },
  { machine: 'c4.xlarge', vcpus: 4, trainees: 63 },
  { machine: 'c4.2xlarge', vcpus: 8, trainees: 147 },
] as const;

/** Trainees per vCPU at the paper's cut-off, for a machine of `vcpus` (the paper's row of that size, else the mean rate). */
export function paperCutoffFor(vcpus: number): { trainees: number; basis: string } {
  const same = PAPER_TABLE_1.find((r) => r.vcpus === vcpus);
  if (same) return { trainees: same.trainees, basis: `${same.machine}, ${same.vcpus} vCPUs` };
  const rate = PAPER_TABLE_1.reduce((a, r) => a + r.trainees / r.vcpus, 0) / PAPER_TABLE_1.length;
  return { trainees: Math.round(rate * vcpus), basis: `mean of Table 1, ${rate.toFixed(1)} per vCPU × ${vcpus}` };
}

const ms = (x: unknown) => (typeof x !== 'number' || Number.isNaN(x) ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const file = (r?: ResultFile) => (r ? `\`${r.file}\`` : 'no result file');

export function paperTable(x: {
  latency?: ResultFile;
  density?: ResultFile;
  workload?: ResultFile;
  /** `<date>-workload-cutoff.json`: read on where the workload run reached no crossing. */
  cutoff?: ResultFile;
  vcpus: number;
  memGiB: number;
}): string {
  const l = x.latency?.summary ?? {};
  const steps: any[] = x.density?.steps ?? [];
  const most = (t: string) => steps.filter((s) => s.target === t).sort((a, b) => b.sessions - a.sessions)[0];
  const mostI = most('islet'),
    mostP = most('peer');
  // Cores busy while they idle (since 2026-12-05): ISLET's once its hasher has sealed every account, when measured.
  const settled = x.density?.settled;
  const idleOf = (s: any, t: string) => (t === 'islet' && settled?.idle_cpu && settled.sessions === s.sessions ? settled.idle_cpu : s.idle_cpu);
  const dens = (s: any, t: string) => {
    if (!s) return '–';
    const idle = idleOf(s, t);
    return `${s.sessions} idle, ${s.host_mb_per_session} MB host memory each${idle ? `, ${idle.machine_cores} of ${x.vcpus} cores busy` : ''}`;
  };
  // Read on in the run above the main one where it reached no crossing (lib/cutoff-reading.ts).
  const reading = readCutoff(x.workload, x.cutoff);
  const cut = (t: string) => {
    const c = reading.of('own', t);
    if (!c) return '–';
    return c.median === null ? `> ${reading.maxN(t) ?? '?'}` : String(c.median);
  };
  const cutoffFiles = reading.usesAbove('islet') || reading.usesAbove('peer') ? `${file(x.workload)}, ${file(x.cutoff)}` : file(x.workload);
  const paper = paperCutoffFor(x.vcpus);
  const rows = [
    [
      'Figure 7: a new container, to its shell',
      '"less than a second" (docker run, c4.4xlarge, 16 vCPUs)',
      `median ${ms(l.islet?.new?.median)}, p95 ${ms(l.islet?.new?.p95)}`,
      `median ${ms(l.peer?.new?.median)}, p95 ${ms(l.peer?.new?.p95)}`,
      "ours: menu choice to the shell prompt over SSH, plus ISLET's first menu in " + ms(l.islet?.first_menu?.median),
      file(x.latency),
    ],
    [
      'Figure 6: containers held by one host',
      '"several hundred" idle on 16 vCPUs, 30 GiB, load barely moving (no count in the text)',
      dens(mostI, 'islet'),
      dens(mostP, 'peer'),
      `ours: each with a live SSH shell attached, on ${x.vcpus} vCPUs and ${x.memGiB} GiB; idle containers are bound by memory, not cores`,
      file(x.density),
    ],
    [
      'Table 1: trainees before the 3× cut-off',
      `${paper.trainees} (${paper.basis})`,
      cut('islet'),
      cut('peer'),
      'against each system\'s own solo time; see "how the workload differs" below the table',
      cutoffFiles,
    ],
  ];
  return [
    '| the paper | its figure, scaled to this machine | ISLET | peer | how ours is measured | result file |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
