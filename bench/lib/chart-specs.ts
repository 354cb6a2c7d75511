/**
 * Vega-Lite specs for the benchmark charts, plus the shapes of the result
 * files they read. Each builder is a pure function from a parsed result file
 * to a spec (or null when nothing in the file is chartable), so charts.ts
 * only has to find files and render.
 *
 * Result files are written by other bench scripts, possibly older versions
 * of them, so every field is treated as optional: a missing target or kind
 * just drops out of the chart instead of failing the whole run.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Layer, type Series, colorScale, dashScale, ecdf, nums, num, ruleWithLabel, subtitle, targetColor, targetsIn, BASE } from './chart-style.ts';

export type Target = 'islet' | 'peer';

/** Times are milliseconds. engine_floor exists only for islet (it is our measurement of the docker floor). */
export interface LoginLatencyResult {
  benchmark: 'login-latency';
  date?: string;
  machine?: Record<string, unknown>;
  samples?: {
    islet?: Partial<Record<'first_menu' | 'new' | 'reattach' | 'restart' | 'warm' | 'engine_floor', number[]>>;
    peer?: Partial<Record<'first_menu' | 'new' | 'reattach', number[]>>;
  };
}

/** times: ms from ssh start to shell prompt, one per trainee that got a shell. */
export interface StormRun {
  times?: number[];
  failures?: number;
}
export interface LoginStormResult {
  benchmark: 'login-storm';
  date?: string;
  trainees?: number;
  /** Keys are `<target>_<cold|warm>`, e.g. islet_cold, islet_warm, peer_cold. */
  runs?: Record<string, StormRun>;
}

export interface WorkloadStep {
  target: Target;
  n: number;
  exercise_ms?: number;
  echo_ms?: { p50?: number; p95?: number; p99?: number };
}
export interface WorkloadResult {
  benchmark: 'workload';
  date?: string;
  solo_ms?: Partial<Record<Target, number>>;
  steps?: WorkloadStep[];
  cutoff?: Partial<Record<Target, number | null>>;
  /** One solo time for both systems (bench/lib/cutoff.ts); preferred when present. */
  shared_solo_ms?: number;
  shared_cutoff?: Partial<Record<Target, number | null>>;
}

export interface DensityStep {
  target: Target;
  sessions: number;
  server_rss_mb?: number;
  server_pss_mb?: number;
  host_used_mb?: number;
}
export interface DensityResult {
  benchmark: 'density';
  date?: string;
  steps?: DensityStep[];
}

export interface ThroughputRun {
  target: Target;
  mb?: number;
  seconds?: number;
  mbps?: number;
}
export interface ThroughputResult {
  benchmark: 'throughput';
  date?: string;
  runs?: ThroughputRun[];
}

/** Order and wording follow the paper's Fig. 7 so the two can be read side by side. */
const KINDS = [
  ['first_menu', 'ssh start to\nfirst prompt'],
  ['new', 'new\ncontainer'],
  ['reattach', 'reattach\nlive shell'],
  ['restart', 'restart stopped\ncontainer'],
  ['warm', 'warm-pool\nclaim'],
  ['engine_floor', 'engine floor\n(create+attach+start)'],
] as const;

export function timeToShellSpec(r: LoginLatencyResult): TopLevelSpec | null {
  const rows: { kind: string; target: string; ms: number }[] = [];
  for (const target of ['islet', 'peer'] as const) {
    const bySeries: Record<string, unknown> = r.samples?.[target] ?? {};
    for (const [key, label] of KINDS) {
      // engine_floor is not islet's own path but the bare docker cost, so it gets its own "engine" colour.
      const shown = key === 'engine_floor' ? 'engine' : target;
      // A log scale cannot place 0 or negatives; they would only be timer glitches anyway.
      for (const ms of nums(bySeries[key]).filter((v) => v > 0)) rows.push({ kind: label, target: shown, ms });
    }
  }
  if (rows.length === 0) return null;
  const targets = targetsIn(rows.map((d) => d.target));
  return {
    ...BASE,
    title: { text: 'Time to a shell, by login path', subtitle: subtitle(r.date, 'each box: one sample per login; whiskers 1.5 IQR') },
    data: { values: rows },
    facet: {
      column: {
        field: 'kind',
        type: 'nominal',
        sort: KINDS.map(([, l]) => l),
        header: { title: null, labelExpr: "split(datum.value, '\\n')", labelFontSize: 11, labelOrient: 'bottom' },
      },
    },
    spec: {
      width: 80,
      height: 320,
      mark: { type: 'boxplot', size: 22 },
      encoding: {
        x: { field: 'target', type: 'nominal', sort: targets, axis: { title: null, labels: false, ticks: false } },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'time to shell prompt (ms, log scale)' } },
        color: { field: 'target', type: 'nominal', scale: colorScale(targets.map((t) => [t, targetColor(t)])), legend: { title: 'target' } },
      },
    },
    // Each column only holds the targets measured for it (engine only in the last one).
    resolve: { scale: { x: 'independent' } },
  };
}

export function loginStormSpec(r: LoginStormResult): TopLevelSpec | null {
  const series: Series[] = [];
  const rows: { run: string; s: number; frac: number }[] = [];
  for (const [key, run] of Object.entries(r.runs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const times = nums(run?.times).filter((v) => v >= 0);
    const failures = num(run?.failures) ?? 0;
    // Fraction of *all* trainees, so failed logins keep the curve below 1 instead of being hidden.
    const total = num(r.trainees) ?? times.length + failures;
    if (total <= 0) continue;
    const [target = key, mode = ''] = key.split('_');
    const label = `${target} ${mode} (${times.length}/${total})`.replace('  ', ' ');
    series.push({ label, color: targetColor(target), dash: mode === 'warm' ? [6, 3] : [1, 0] });
    for (const p of ecdf(times, total)) rows.push({ run: label, s: p.x / 1000, frac: p.y });
  }
  if (series.length === 0) return null;
  const legend = { title: 'run (shells/trainees)' };
  return {
    ...BASE,
    title: { text: 'Login storm: trainees with a shell over time', subtitle: subtitle(r.date, `${r.trainees ?? '?'} trainees start ssh at once`) },
    width: 560,
    height: 320,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 's', type: 'quantitative', axis: { title: 'time since the storm started (s)' } },
      y: { field: 'frac', type: 'quantitative', scale: { domain: [0, 1] }, axis: { title: 'fraction of trainees with a shell (0–1)' } },
      // Same field and legend title on both channels so Vega-Lite merges them into one legend.
      color: { field: 'run', type: 'nominal', scale: colorScale(series.map((s) => [s.label, s.color])), legend },
      strokeDash: { field: 'run', type: 'nominal', scale: dashScale(series), legend },
    },
  };
}

/** Solo time per target; falls back to the smallest-n step so a run without a solo pass still charts. */
function soloFor(r: WorkloadResult, target: string, steps: WorkloadStep[]): number | undefined {
  const shared = num(r.shared_solo_ms);
  if (shared !== undefined && shared > 0) return shared;
  const explicit = num(r.solo_ms?.[target as Target]);
  if (explicit !== undefined && explicit > 0) return explicit;
  const first = steps.filter((s) => s.target === target && num(s.exercise_ms) !== undefined).sort((a, b) => a.n - b.n)[0];
  return first && first.exercise_ms! > 0 ? first.exercise_ms : undefined;
}

function workloadSteps(r: WorkloadResult): WorkloadStep[] {
  return (Array.isArray(r.steps) ? r.steps : []).filter((s) => typeof s?.target === 'string' && num(s.n) !== undefined);
}

/** Legend label carries the cut-off so the Table 1 number is readable straight off the chart. */
function cutoffLabel(r: WorkloadResult, target: string): string {
  const c = r.shared_cutoff ? r.shared_cutoff[target as Target] : r.cutoff?.[target as Target];
  return c === undefined ? target : `${target} (cut-off ${c === null ? 'not reached' : c})`;
}

function lineByTarget(
  r: WorkloadResult,
  rows: { target: string; n: number; y: number }[],
  title: string,
  sub: string,
  yTitle: string,
  rule: Layer[],
): TopLevelSpec {
  const targets = targetsIn(rows.map((d) => d.target));
  const labelled = rows.map((d) => ({ ...d, series: cutoffLabel(r, d.target) }));
  return {
    ...BASE,
    title: { text: title, subtitle: subtitle(r.date, sub) },
    width: 520,
    height: 320,
    layer: [
      {
        data: { values: labelled },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 'n', type: 'quantitative', axis: { title: 'trainees active (count)' } },
          y: { field: 'y', type: 'quantitative', axis: { title: yTitle } },
          color: {
            field: 'series',
            type: 'nominal',
            legend: { title: 'target' },
            scale: colorScale(targets.map((t) => [cutoffLabel(r, t), targetColor(t)])),
          },
        },
      },
      ...rule,
    ],
  };
}

export function cutoffSpec(r: WorkloadResult): TopLevelSpec | null {
  const steps = workloadSteps(r);
  const rows = steps.flatMap((s) => {
    const solo = soloFor(r, s.target, steps);
    const ms = num(s.exercise_ms);
    return solo && ms !== undefined ? [{ target: s.target, n: s.n, y: ms / solo }] : [];
  });
  if (rows.length === 0) return null;
  return lineByTarget(
    r,
    rows,
    'Trainees per host: exercise slowdown under load',
    'exercise command time / its time with one trainee (one solo time for both)',
    'exercise time ÷ solo time (ratio)',
    ruleWithLabel(3, '3x solo (cut-off)'),
  );
}

export function echoUnderLoadSpec(r: WorkloadResult): TopLevelSpec | null {
  const rows = workloadSteps(r).flatMap((s) => {
    const p99 = num(s.echo_ms?.p99);
    return p99 === undefined ? [] : [{ target: s.target, n: s.n, y: p99 }];
  });
  if (rows.length === 0) return null;
  return lineByTarget(
    r,
    rows,
    'Keystroke echo latency under load',
    'p99 of keystroke-to-echo while all trainees work',
    'keystroke echo p99 (ms)',
    ruleWithLabel(50, 'target p99'),
  );
}

export function densitySpec(r: DensityResult): TopLevelSpec | null {
  const steps = Array.isArray(r.steps) ? r.steps : [];
  // PSS (shared pages split between the processes that map them) when recorded: an RSS sum counts the
  // peer's hundreds of docker CLI processes' shared binary once per process.
  const pss = steps.some((s) => num(s?.server_pss_mb) !== undefined);
  const measures = [
    [pss ? 'server_pss_mb' : 'server_rss_mb', 'server process memory'],
    ['host_used_mb', 'host memory used'],
  ] as const;
  const rows = steps.flatMap((s) =>
    measures.flatMap(([key, measure]) => {
      const mb = num(s?.[key]);
      const sessions = num(s?.sessions);
      return mb === undefined || sessions === undefined || typeof s.target !== 'string' ? [] : [{ target: s.target, sessions, measure, mb }];
    }),
  );
  if (rows.length === 0) return null;
  const targets = targetsIn(rows.map((d) => d.target));
  const color = colorScale(targets.map((t) => [t, targetColor(t)]));
  // Two panels with their own y scales: server RSS is tens of MB while the host
  // is thousands, so a shared axis would flatten the server lines to the floor.
  const panel = (measure: string) => ({
    title: { text: measure, fontSize: 12, anchor: 'middle' as const },
    width: 320,
    height: 280,
    transform: [{ filter: { field: 'measure', equal: measure } }],
    mark: { type: 'line' as const, point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'sessions', type: 'quantitative' as const, axis: { title: 'idle connected sessions (count)' } },
      y: { field: 'mb', type: 'quantitative' as const, axis: { title: `${measure} (MB)` } },
      color: { field: 'target', type: 'nominal' as const, scale: color, legend: { title: 'target' } },
    },
  });
  return {
    ...BASE,
    title: {
      text: 'Density: memory vs idle connected sessions',
      subtitle: subtitle(r.date, `left: server processes' ${pss ? 'PSS' : 'RSS'}; right: whole host, MemTotal - MemAvailable`),
    },
    data: { values: rows },
    hconcat: measures.filter(([, m]) => rows.some((d) => d.measure === m)).map(([, m]) => panel(m)),
    resolve: { scale: { y: 'independent' } },
  };
}

export function throughputSpec(r: ThroughputResult): TopLevelSpec | null {
  const runs = Array.isArray(r.runs) ? r.runs : [];
  const rows = runs.flatMap((run, i) => {
    const mb = num(run?.mb);
    const seconds = num(run?.seconds);
    // Older writers may omit mbps; derive it rather than drop the run.
    const mbps = num(run?.mbps) ?? (mb !== undefined && seconds ? mb / seconds : undefined);
    return mbps === undefined || typeof run.target !== 'string' ? [] : [{ target: run.target, mbps, run: i + 1 }];
  });
  if (rows.length === 0) return null;
  const targets = targetsIn(rows.map((d) => d.target));
  const x = { field: 'target', type: 'nominal', sort: targets, axis: { title: 'target', labelAngle: 0 } } as const;
  return {
    ...BASE,
    title: { text: 'Bulk transfer throughput over ssh', subtitle: subtitle(r.date, 'bar: mean of runs; dots: individual runs') },
    width: 90 * targets.length + 60,
    height: 300,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', size: 50 },
        encoding: {
          x,
          y: { field: 'mbps', type: 'quantitative', aggregate: 'mean', axis: { title: 'throughput (MB/s)' } },
          color: { field: 'target', type: 'nominal', scale: colorScale(targets.map((t) => [t, targetColor(t)])), legend: { title: 'target' } },
        },
      },
      {
        mark: { type: 'point', filled: true, color: '#222', size: 40, opacity: 0.8 },
        encoding: { x, y: { field: 'mbps', type: 'quantitative' } },
      },
    ],
  };
}
