/**
 * The cold storm's 1.1× row over every storm file kept (the current one and `bench/results/archive/`), one line
 * each, for docs/performance.md (bench/report.ts, marker `storm-files`).
 *
 * Why: the row has landed on both sides of its line from one run of the same code to the next (this VM's speed
 * drifts by more than ISLET's excess over the engine alone), so one file cannot say where ISLET stands; the spread
 * over the files can, and a table written from the files cannot drift from them as prose did.
 *
 * Contract: files without an engine-alone storm or an ISLET cold storm are left out; the summary counts only files
 * whose engine alone and ISLET alternated (`storm_order`, since 1a2c092), the method the row is judged by.
 */
import { median } from './stats.ts';

/** A login-storm result file as read from disk (loose JSON), with its path under bench/results. */
export interface StormFile {
  readonly file: string;
  readonly [field: string]: any;
}

const LIMIT = 1.1;

const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
const sec = (ms: number | undefined): string => (typeof ms === 'number' && Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');

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
      };
    })
    .sort((a, b) => a.when.localeCompare(b.when));
  if (rows.length === 0) return undefined;
  const head = ['run (UTC)', 'file', 'commit', 'creates at once', 'order', 'engine alone p95 (s)', 'ISLET cold p95 (s)', '× (rounds)', 'met?', 'fault'];
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
    typeof r.fault === 'number' ? `${r.fault} µs` : '–',
  ]);
  const table = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
  const judged = rows.filter((r) => r.alternating);
  const ratios = judged.map((r) => r.ratio);
  const met = judged.filter((r) => r.ratio <= LIMIT).length;
  const summary = judged.length
    ? `\n\nThe ${judged.length} files whose engine alone and ISLET alternated: ` +
      `×${r2(Math.min(...ratios))} to ×${r2(Math.max(...ratios))}, median ×${r2(median(ratios))}; ` +
      `the row (≤ ×${LIMIT.toFixed(2)}) met in ${met} of them. "fault": the first-touch page fault at the run's start (16 µs and over: a slow spell).`
    : '';
  return `${table}${summary}`;
}
