/**
 * The cut-off, echo and CPU tables of docs/performance.md from an interleaved workload result
 * (bench/workload.ts, issue 15.2 and 15.4). Pure; workload-report.test.ts checks it.
 */
import { stepCpu } from './step-cpu.ts';
import type { ResultFile } from './targets-table.ts';

const s = (x: number | undefined) => (x === undefined || x === null || Number.isNaN(x) ? '–' : (x / 1000).toFixed(2));
const sp = (v: any, f = s) => (v?.n ? `${f(v.median)} (${f(v.min)}–${f(v.max)})` : '–');
const r2 = (x: number) => (x === undefined || x === null || Number.isNaN(x) ? '–' : String(x));
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function systemsOf(r: ResultFile): string[] {
  return r.method?.systems ?? [...new Set<string>((r.steps ?? []).map((x: any) => x.target))];
}

export function cutoffReport(r: ResultFile): string {
  const a = r.analysis;
  if (!a) return oldCutoff(r);
  const sys = systemsOf(r);
  const ns = [...new Set<number>(a.table.map((x: any) => x.n))].sort((x, y) => x - y);
  const at = (t: string, n: number) => a.table.find((x: any) => x.system === t && x.n === n);
  const rows = ns.map((n) => [
    n === 1 ? '1 (solo)' : String(n),
    ...sys.map((t) => sp(at(t, n)?.exercise)),
    ...sys.map((t) => (at(t, n) ? `${r2(at(t, n).ratio_shared.median)} / ${r2(at(t, n).ratio_own.median)}` : '–')),
  ]);
  const head = ['n', ...sys.map((t) => `exercise s, ${t}: median (min–max)`), ...sys.map((t) => `ratio ${t}: shared / own solo`)];
  const c = (kind: 'shared' | 'own', t: string) => {
    const x = a.cutoff[kind][t];
    return `${x.median ?? `not reached by ${a.max_n[t]}`} (first run at 3×: ${x.earliest ?? '–'}; every run: ${x.all_runs ?? '–'})`;
  };
  const lines = sys.map((t) => `- **${t}**: against the shared solo ${c('shared', t)}; against its own solo (${sp(a.own_solo[t])} s) ${c('own', t)}`);
  return [
    table(head, rows),
    '',
    `Shared solo (median of all ${a.shared_solo.n} solo runs): ${sp(a.shared_solo)} s. Cut-off (${a.threshold}× solo), median ratio:`,
    '',
    ...lines,
    '',
    `Interleaved: ${sys.join(', ')} in turn at every step${orderNote(r)}, ${r.method?.reps} repetitions, ${(r.method?.settleMs ?? 0) / 1000} s settle; ` +
      `coarse steps ${(r.method?.steps ?? []).join(', ')}, finer steps ${(r.method?.refined_steps ?? []).join(', ') || 'none'}.`,
  ].join('\n');
}

/** How the file's slots were ordered: files from 2026-12-05 turn the order every repetition and wait for a calm machine after growing. */
function orderNote(r: ResultFile): string {
  if (r.method?.order !== 'turnOrder') return ' (one fixed order)';
  return " (the order changing every repetition, `turnOrder`; each step's first slot after the machine calmed from the rooms' growth)";
}

export function echoReport(r: ResultFile): string {
  const sys = systemsOf(r);
  const steps: any[] = r.steps ?? [];
  const ns = [...new Set<number>(steps.map((x) => x.n))].filter((n) => n > 1).sort((x, y) => x - y);
  const at = (t: string, n: number) => steps.find((x) => x.target === t && x.n === n)?.echo_ms;
  return table(
    ['n', ...sys.map((t) => `${t}: keys, p50 / p95 / p99 ms`)],
    ns.map((n) => [String(n), ...sys.map((t) => (at(t, n) ? `${at(t, n).samples}: ${at(t, n).p50} / ${at(t, n).p95} / ${at(t, n).p99}` : '–'))]),
  );
}

const GROUPS = ['front_end', 'dockerd', 'containerd', 'shims', 'containers', 'generator', 'rest_of_machine'];

/** CPU per working trainee (ms of CPU per second), by process group, per system and n. */
export function cpuReport(r: ResultFile): string {
  const steps: any[] = (r.steps ?? []).filter((x: any) => x.cpu_ms_per_trainee_s);
  if (!steps.length) return '(no CPU accounting in this result)';
  // Worked out again from the slots where the file has them (lib/step-cpu.ts: files before 2026-12-02 stored
  // the mean CPU over the median window).
  const ofSlots = (t: string, n: number) => {
    const w = (r.slots ?? []).filter((x: any) => x.kind === 'loaded' && x.system === t && x.n === n && x.cpu).map((x: any) => x.cpu);
    return w.length ? stepCpu(w, n) : undefined;
  };
  const rows = steps
    .sort((x, y) => x.n - y.n || String(x.target).localeCompare(y.target))
    .map((x) => ({ ...x, ...ofSlots(x.target, x.n) }))
    .map((x) => [String(x.n), x.target, ...GROUPS.map((g) => r2(x.cpu_ms_per_trainee_s[g])), r2(x.cpu_cores?.front_end)]);
  let text = table(['n', 'system', ...GROUPS.map((g) => g.replace(/_/g, ' ')), 'front end, cores'], rows);
  const p = r.islet_profile;
  if (p) {
    const areas = p.byArea
      .slice(0, 8)
      .map((x: any) => `${x.area} ${x.selfPct}%`)
      .join(', ');
    const top = p.top.slice(0, 10).map((x: any) => [String(x.selfPct), `\`${x.name}\``, x.where ? `\`${x.where}\`` : '']);
    const busy = `${Math.round(p.busyMs)} ms busy of ${Math.round(p.totalMs)} ms`;
    const m = r.islet_profile_method;
    // Since 2e01ee1 the profile is a separate server's window after the compared runs; before, the compared ISLET's whole run.
    const what = m
      ? `on a separate server after the compared runs (not compared), ${m.trainees_working} trainees working for ${m.seconds} s, nice ${m.priority}`
      : 'over the whole run (the compared `islet` itself)';
    text += `\n\n**ISLET's main thread ${what}** (\`--cpu-prof\`, ${busy}), by area: ${areas}.\n\n${table(['self %', 'function', 'where'], top)}`;
  }
  return text;
}

/** A result from before the interleaved run (one block per system, one solo shared): its figures, marked as such. */
function oldCutoff(r: ResultFile): string {
  const steps: any[] = r.steps ?? [];
  const sys = systemsOf(r);
  const ns = [...new Set<number>(steps.map((x) => x.n))].sort((x, y) => x - y);
  const at = (t: string, n: number) => steps.find((x) => x.target === t && x.n === n);
  const rows = ns.map((n) => [String(n), ...sys.map((t) => s(at(t, n)?.exercise_ms)), ...sys.map((t) => r2(at(t, n)?.shared_ratio ?? at(t, n)?.ratio))]);
  const cut = r.shared_cutoff ?? r.cutoff ?? {};
  return [
    `\`${r.file}\` predates the interleaved run: each system was measured in one block, the median of its runs, no spread.`,
    '',
    table(['n', ...sys.map((t) => `exercise s, ${t}`), ...sys.map((t) => `ratio ${t} (shared solo)`)], rows),
    '',
    `Shared solo ${s(r.shared_solo_ms)} s; cut-off: ${sys.map((t) => `${t} ${cut[t] ?? `not reached by ${r.max_tested?.[t] ?? '?'}`}`).join(', ')}.`,
  ].join('\n');
}
