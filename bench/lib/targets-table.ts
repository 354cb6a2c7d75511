/**
 * The targets table of docs/performance.md (issues 6 and 15), written from result files only
 * (issue 15.3): each row says which file its figures come from, and a target whose result file is
 * missing says so instead of quoting an earlier run. Pure: the caller loads the files.
 */

import { readCutoff } from './cutoff-reading.ts';

/** A loaded result file: its name in bench/results/ and its JSON. */
export type ResultFile = { file: string } & Record<string, any>;

export interface TargetInputs {
  readonly latency?: ResultFile;
  readonly storm?: ResultFile;
  /** bench/engine-storm.ts alone; used only when the storm file has no engine run of its own. */
  readonly engineStorm?: ResultFile;
  readonly density?: ResultFile;
  readonly workload?: ResultFile;
  /**
   * A bench/workload.ts run at steps above the main run's largest (`<date>-workload-cutoff.json`): where the main
   * run reached no 3× crossing, the cut-off rows read on in it. Used only if all its loaded steps lie above the
   * main run's largest n, so the two runs together cover the steps in order.
   */
  readonly cutoff?: ResultFile;
}

const ms = (x: unknown) => (typeof x !== 'number' || Number.isNaN(x) ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x * 10) / 10} ms`);
const yes = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : 'no');
/**
 * A row's result files, each with its commit and, where the file recorded it (bench/lib/machine-state.ts), the
 * first-touch page fault at its start: this VM's slow spells show there (about 16 to 21 µs per fault in them), and
 * they slow container starts several times over, so a reader can tell which rows met a slow machine.
 */
const src = (...files: (ResultFile | undefined)[]) =>
  files
    .filter((f): f is ResultFile => !!f)
    .map((f) => {
      const fault = f.run?.machine_state_at_start?.pageFaultUs;
      const notes = [f.run?.commit, typeof fault === 'number' ? `fault ${fault.toFixed(1)} µs` : undefined].filter(Boolean);
      return `\`${f.file}\`${notes.length ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ') || 'no result file';

type Row = [target: string, islet: string, peer: string, met: string, source: string];

function latencyRows(r: ResultFile | undefined): Row[] {
  const s = r?.summary ?? {};
  const i = s.islet ?? {},
    p = s.peer ?? {};
  const floor = i.engine_floor?.median;
  const over = i.new?.median - floor;
  return [
    ['choice → prompt, reattach ≤ 60 ms median', ms(i.reattach?.median), ms(p.reattach?.median), yes(r && i.reattach?.median <= 60), src(r)],
    ['choice → prompt, warm-pool claim ≤ 100 ms median', ms(i.warm?.median), '(no pool)', yes(r && i.warm?.median <= 100), src(r)],
    [
      'new container ≤ engine floor + 30 ms median',
      `${ms(i.new?.median)} vs floor ${ms(floor)} (${Number.isFinite(over) ? `${over >= 0 ? '+' : ''}${Math.round(over * 10) / 10} ms` : '–'})`,
      ms(p.new?.median),
      yes(r && Number.isFinite(over) ? over <= 30 : undefined),
      src(r),
    ],
  ];
}

function stormRows(r: ResultFile | undefined, engineFile: ResultFile | undefined): Row[] {
  const s = r?.summary ?? {};
  const engineP95: number | undefined = r?.engine_alone?.p95 ?? engineFile?.ms?.p95;
  const engineSrc = r?.engine_alone ? undefined : engineFile;
  const cold = s.islet_cold?.total?.p95,
    peerCold = s.peer_cold?.total?.p95,
    warm = s.islet_warm?.total?.p95;
  const all = (k: string) => (s[k]?.success ? String(s[k].success) : '–');
  const served = (k: string) => typeof s[k]?.success === 'string' && /^(\d+)\/\1$/.test(s[k].success);
  return [
    [`${r?.trainees ?? 100} at once: all served`, all('islet_cold'), all('peer_cold'), yes(r && served('islet_cold') && served('islet_warm')), src(r)],
    ['100 at once, cold: p95 ≤ 10 s', ms(cold), ms(peerCold), yes(r && cold <= 10_000), src(r)],
    [
      '100 at once, cold: p95 ≤ 1.1 × the engine alone (same run)',
      `${ms(cold)} vs engine ${ms(engineP95)} (×${engineP95 ? (cold / engineP95).toFixed(2) : '–'})`,
      `${ms(peerCold)} (×${engineP95 ? (peerCold / engineP95).toFixed(2) : '–'})`,
      yes(r && engineP95 ? cold <= 1.1 * engineP95 : undefined),
      src(r, engineSrc),
    ],
    ['100 at once, warm pool of 100: p95 ≤ 2 s', ms(warm), '(no pool)', yes(r && warm <= 2000), src(r)],
  ];
}

/** Cores busy over an idle window (bench/density.ts), with the parts a reader asks about first. */
export function idleCores(c: { machine_cores: number; cores: Record<string, number> }): string {
  const k = c.cores;
  const parts = `server ${k.front_end ?? '–'}, containers ${k.containers ?? '–'}, shims ${k.shims ?? '–'}`;
  return `${c.machine_cores} (${parts}, rest of the machine ${k.rest_of_machine ?? '–'})`;
}

function densityRows(r: ResultFile | undefined): Row[] {
  const steps: any[] = r?.steps ?? [];
  const settled = r?.settled;
  const islet1000 = steps.filter((s) => s.target === 'islet').sort((a, b) => b.sessions - a.sessions)[0];
  const peerMax = steps.filter((s) => s.target === 'peer').sort((a, b) => b.sessions - a.sessions)[0];
  const equal = peerMax ? steps.find((s) => s.target === 'islet' && s.sessions === peerMax.sessions) : undefined;
  const per = (s: any) => (s ? `${s.server_pss_mb_per_session ?? '–'} MB at ${s.sessions}` : '–');
  return [
    [
      `${islet1000?.sessions ?? 1000} idle sessions: ISLET memory ≤ 0.5 MB per session`,
      per(islet1000),
      per(peerMax),
      yes(r && islet1000 ? islet1000.sessions >= 1000 && islet1000.server_pss_mb_per_session <= 0.5 : undefined),
      src(r),
    ],
    // Since 2026-11-30: the same sessions once the hasher has sealed every account and been let go (no verdict:
    // the row above, taken 5 s after the last join, is the target's figure).
    ...(settled
      ? ([
          [
            // The hasher still running when the wait ended (bench/density.ts gives up after 300 s): not sealed yet.
            settled.server_processes > 1
              ? `${settled.sessions} idle sessions, the hasher still sealing ${settled.waited_s} s later (the wait's end)`
              : `${settled.sessions} idle sessions, every account sealed (${settled.waited_s} s later)`,
            `${settled.server_pss_mb_per_session} MB at ${settled.sessions}, ${settled.server_processes} process(es)`,
            '–',
            '–',
            src(r),
          ],
        ] as Row[])
      : []),
    // Since 2026-12-05: what the host's CPU does while every session idles (no target in the issue; no verdict). ISLET's
    // once its hasher has let go, the peer's at its largest step.
    ...(settled?.idle_cpu
      ? ([
          [
            `${settled.sessions} idle sessions, accounts sealed: the host's CPU (cores busy)`,
            idleCores(settled.idle_cpu),
            peerMax?.idle_cpu ? `${idleCores(peerMax.idle_cpu)} at ${peerMax.sessions}` : '–',
            '–',
            src(r),
          ],
        ] as Row[])
      : []),
    [
      `server memory per session at equal n (${peerMax?.sessions ?? '–'})`,
      per(equal),
      per(peerMax),
      yes(equal && peerMax ? equal.server_pss_mb_per_session <= peerMax.server_pss_mb_per_session : undefined),
      src(r),
    ],
  ];
}

/** The interleaved solo runs paired by step and repetition (ISLET's and the peer's of one slot): in how many ISLET's was the shorter. */
export function soloPairs(slots: unknown): { faster: number; total: number } {
  const by = new Map<string, Record<string, number>>();
  for (const s of Array.isArray(slots) ? slots : []) {
    if (s?.kind !== 'solo' || typeof s.exercise_ms !== 'number') continue;
    const k = `${s.n}/${s.rep}`;
    by.set(k, { ...by.get(k), [s.system]: s.exercise_ms });
  }
  let faster = 0,
    total = 0;
  for (const p of by.values()) {
    if (p.islet === undefined || p.peer === undefined) continue;
    total++;
    if (p.islet < p.peer) faster++;
  }
  return { faster, total };
}

function workloadRows(r: ResultFile | undefined, beyond?: ResultFile): Row[] {
  const steps: any[] = r?.steps ?? [];
  const at = (t: string, n: number) => steps.find((s) => s.target === t && s.n === n);
  const ns = [...new Set(steps.filter((s) => s.target === 'islet' && at('peer', s.n)).map((s) => s.n as number))].sort((x, y) => x - y);
  // Step 1 is the solo: the loaded exercise with nobody working is the solo time, kept apart in `solo_ms` (medians of
  // the interleaved solo runs) and counted here as a step like the others; `soloPairs` says how the pairs fell.
  const solo = r?.solo_ms as { islet?: number; peer?: number } | undefined;
  const hasSolo = typeof solo?.islet === 'number' && typeof solo?.peer === 'number';
  const behind = [...(hasSolo && solo!.islet! > solo!.peer! ? ['1 (solo)'] : []), ...ns.filter((n) => at('islet', n).exercise_ms > at('peer', n).exercise_ms)];
  const pairs = soloPairs(r?.slots);
  const soloNote = hasSolo
    ? `; solo ${ms(solo!.islet)} / ${ms(solo!.peer)}${pairs.total ? `, ISLET the faster in ${pairs.faster} of ${pairs.total} pairs` : ''}`
    : '';
  const stepCount = ns.length + (hasSolo ? 1 : 0);
  const n100 = ns.find((n) => n >= 100);
  const e = (t: string) => (n100 ? at(t, n100)?.echo_ms?.p99 : undefined);
  // The cut-offs, read on in the run above the main one where it reached none (lib/cutoff-reading.ts).
  const reading = readCutoff(r, beyond);
  const of = reading.of;
  const maxN = reading.maxN;
  const cut = (kind: 'shared' | 'own', t: string) => {
    const c = of(kind, t);
    if (!c) return '–';
    const m = c.median === null ? `> ${maxN(t)}` : String(c.median);
    return `${m} (runs: ${c.earliest ?? '–'} to ${c.all_runs ?? '–'})`;
  };
  // A cut-off not reached is only known to lie above the largest n measured.
  const num = (kind: 'shared' | 'own', t: string): { n: number; above: boolean } | undefined => {
    const c = of(kind, t);
    if (!c) return undefined;
    return c.median === null ? { n: maxN(t) ?? 0, above: true } : { n: c.median, above: false };
  };
  const atLeast = (c: { n: number; above: boolean } | undefined, k: number) => (!c ? undefined : c.n >= k ? true : c.above ? undefined : false);
  const notBelow = (i: { n: number; above: boolean } | undefined, p: { n: number; above: boolean } | undefined) => {
    if (!i || !p) return undefined;
    if (!p.above) return atLeast(i, p.n);
    return i.above ? undefined : i.n > p.n ? true : false; // the peer's lies above p.n
  };
  const cutoffSrc = reading.usesAbove('islet') || reading.usesAbove('peer') ? src(r, beyond) : src(r);
  const ci = num('own', 'islet'),
    cp = num('own', 'peer'),
    cs = num('shared', 'islet');
  return [
    [
      'exercise time ≤ the peer at every step (median of the interleaved runs)',
      stepCount ? `behind at ${behind.length ? behind.join(', ') : 'no step'}${soloNote}` : '–',
      `${stepCount} steps`,
      yes(stepCount ? behind.length === 0 : undefined),
      src(r),
    ],
    [
      `keystroke echo p99 ≤ 50 ms and ≤ the peer, ${n100 ? n100 - 1 : 99} trainees working`,
      ms(e('islet')),
      ms(e('peer')),
      yes(n100 !== undefined ? e('islet') <= 50 && e('islet') <= e('peer') : undefined),
      src(r),
    ],
    ['cut-off ≥ 34 trainees (shared solo)', cut('shared', 'islet'), cut('shared', 'peer'), yes(atLeast(cs, 34)), cutoffSrc],
    ["cut-off against each system's own solo ≥ the peer's", cut('own', 'islet'), cut('own', 'peer'), yes(notBelow(ci, cp)), cutoffSrc],
  ];
}

export function targetsTable(x: TargetInputs): string {
  const rows = [...latencyRows(x.latency), ...stormRows(x.storm, x.engineStorm), ...densityRows(x.density), ...workloadRows(x.workload, x.cutoff)];
  return ['| target (this machine) | ISLET | peer | met? | result file |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
