/**
 * The cold storm's 1.1× row over every storm file kept (the current one and `bench/results/archive/`), one line
 * each, for docs/performance.md (bench/report.ts, marker `storm-files`).
 *
 * Why: the row has landed on both sides of its line from one run of the same code to the next (this VM's speed
 * drifts by more than ISLET's excess over the engine alone), so one file cannot say where ISLET stands; the spread
 * over the files can, and a table written from the files cannot drift from them as prose did.
 *
 * With each file's per-process CPU (`cpu_per_round`, since 2026-12-01) the line also splits ISLET's CPU over the
 * engine alone's per cold login into its server's part and the rest (the containers' shells, the engine, the SSH
 * clients of the load generator, the kernel), beside what the row allows (a tenth of the engine alone's CPU per
 * container): a storm keeps both cores busy, so ISLET's p95 over the engine alone's follows that difference, and
 * the split shows which part is steady from round to round and which swings.
 *
 * Contract: files without an engine-alone storm or an ISLET cold storm are left out; the summary counts only files
 * whose engine alone and ISLET alternated (`storm_order`, since 1a2c092), the method the row is judged by. CPU
 * figures sum every round that has both an engine-alone and an ISLET window; '–' where a file has none.
 */
import { median } from './stats.ts';

/** A login-storm result file as read from disk (loose JSON), with its path under bench/results. */
export interface StormFile {
  readonly file: string;
  readonly [field: string]: any;
}

const LIMIT = 1.1;

/** ms of CPU per cold login over the rounds with both windows: ISLET's server, the rest of ISLET's excess, and the row's allowance. */
export interface LoginCpu {
  readonly server: number;
  readonly rest: number;
  readonly allowed: number;
}

export function loginCpu(f: StormFile): LoginCpu | undefined {
  const n = Number(f.trainees ?? 100);
  const rounds = (Array.isArray(f.cpu_per_round) ? f.cpu_per_round : []).filter((r: any) => r?.engine?.machine_s > 0 && r?.islet?.machine_s > 0);
  if (rounds.length === 0 || !(n > 0)) return undefined;
  const sum = (pick: (r: any) => number) => rounds.reduce((a: number, r: any) => a + Number(pick(r)), 0);
  const logins = n * rounds.length;
  const engine = sum((r) => r.engine.machine_s);
  const excess = sum((r) => r.islet.machine_s) - engine;
  const server = sum((r) => r.islet.groups?.front_end ?? Number.NaN);
  if (!Number.isFinite(server)) return undefined;
  return { server: (server * 1000) / logins, rest: ((excess - server) * 1000) / logins, allowed: ((LIMIT - 1) * engine * 1000) / logins };
}

const r0 = (x: number): string => x.toFixed(0);
const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
const sec = (ms: number | undefined): string => (typeof ms === 'number' && Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');

/**
 * One round's ratio over every round of the given files (each file's rounds in their order): mean, sample standard
 * deviation, range, how many over the row, and how far two consecutive rounds of one file differ. '' with under two rounds.
 */
export function roundSpread(files: readonly (readonly number[])[]): string {
  const all = files.flat().filter(Number.isFinite);
  if (all.length < 2) return '';
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1));
  const steps = files.flatMap((rs) =>
    rs
      .slice(1)
      .map((x, i) => Math.abs(x - rs[i]!))
      .filter(Number.isFinite),
  );
  const over = all.filter((x) => x > LIMIT).length;
  const within = steps.length ? `; two consecutive rounds of one file differ by ${r2(median(steps))} at the median, up to ${r2(Math.max(...steps))}` : '';
  return (
    ` One round's ratio over their ${all.length} rounds: mean ×${r2(mean)}, standard deviation ${r2(sd)} ` +
    `(×${r2(Math.min(...all))} to ×${r2(Math.max(...all))}; ${over} over ×${LIMIT.toFixed(2)})${within}.`
  );
}

export function stormFilesReport(files: readonly StormFile[]): string | undefined {
  const rows = files
    .filter((f) => f.engine_alone?.p95 && f.summary?.islet_cold?.total?.p95)
    .map((f) => {
      const engine = Number(f.engine_alone.p95);
      const islet = Number(f.summary.islet_cold.total.p95);
      const rounds = Array.isArray(f.rounds) ? f.rounds.map((r: any) => Number(r.islet_p95) / Number(r.engine_p95)) : [];
      return {
        when: String(f.run?.started ?? f.date ?? ''),
        file: f.file,
        commit: String(f.run?.commit ?? '–'),
        cap: f.engine_alone.concurrency ?? '–',
        alternating: Array.isArray(f.storm_order),
        fault: f.run?.machine_state_at_start?.pageFaultUs,
        engine,
        islet,
        ratio: islet / engine,
        rounds,
        cpu: loginCpu(f),
      };
    })
    .sort((a, b) => a.when.localeCompare(b.when));
  if (rows.length === 0) return undefined;
  const head = [
    'run (UTC)',
    'file',
    'commit',
    'creates at once',
    'order',
    'engine alone p95 (s)',
    'ISLET cold p95 (s)',
    '× (rounds)',
    'met?',
    'CPU per login, ms: ISLET server + the rest of its excess (allowed)',
    'fault',
  ];
  const lines = rows.map((r) => [
    r.when.slice(0, 16).replace('T', ' '),
    `\`${r.file}\``,
    r.commit,
    String(r.cap),
    r.alternating ? 'alternating' : 'engine first',
    sec(r.engine),
    sec(r.islet),
    `×${r2(r.ratio)} (${r.rounds.map(r2).join(', ')})`,
    r.ratio <= LIMIT ? 'yes' : 'no',
    r.cpu ? `${r0(r.cpu.server)} + ${r0(r.cpu.rest)} (${r0(r.cpu.allowed)})` : '–',
    typeof r.fault === 'number' ? `${r.fault} µs` : '–',
  ]);
  const table = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
  const judged = rows.filter((r) => r.alternating);
  const ratios = judged.map((r) => r.ratio);
  const met = judged.filter((r) => r.ratio <= LIMIT).length;
  const cpus = judged.flatMap((r) => (r.cpu ? [r.cpu] : []));
  const span = (xs: number[]) => `${r0(Math.min(...xs))} to ${r0(Math.max(...xs))} ms (median ${r0(median(xs))})`;
  const cpuLine = cpus.length
    ? ` Per cold login in them, ISLET's server used ${span(cpus.map((c) => c.server))} of CPU; the rest of ISLET's CPU over the engine alone's ` +
      `${span(cpus.map((c) => c.rest))}; the row allowed ${span(cpus.map((c) => c.allowed))}.`
    : '';
  const roundsLine = roundSpread(judged.map((r) => r.rounds));
  const summary = judged.length
    ? `\n\nThe ${judged.length} files whose engine alone and ISLET alternated: ` +
      `×${r2(Math.min(...ratios))} to ×${r2(Math.max(...ratios))}, median ×${r2(median(ratios))}; ` +
      `the row (≤ ×${LIMIT.toFixed(2)}) met in ${met} of them.${roundsLine}${cpuLine} ` +
      `"fault": the first-touch page fault at the run's start (16 µs and over: a slow spell).`
    : '';
  return `${table}${summary}`;
}
