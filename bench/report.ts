/**
 * Writes the figures of the newest results into docs/performance.md, between
 * `<!-- results:NAME -->` and `<!-- /results:NAME -->` markers, as ISLET /
 * peer tables, so the page always shows what the results files hold.
 *
 * Usage: node bench/report.ts [resultsDir]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { repoRoot } from '../test/helpers/islet-process.ts';
import { dataPathTables } from './lib/data-path-report.ts';
import { idleCores, targetsTable } from './lib/targets-table.ts';
import { paperTable } from './lib/paper-table.ts';
import { stormFilesReport } from './lib/storm-files.ts';
import { cpuReport, cutoffReport, echoReport } from './lib/workload-report.ts';

const dir = process.argv[2] ?? join(repoRoot, 'bench/results');
const doc = join(repoRoot, 'docs/performance.md');

// Results files are read as loose JSON: a field a run did not record prints as a dash.
function newest(name: string): any | undefined {
  const f = readdirSync(dir)
    .filter((x) => new RegExp(`^\\d{4}-\\d{2}-\\d{2}-${name}\\.json$`).test(x))
    .sort()
    .pop();
  return f ? { file: f, ...JSON.parse(readFileSync(join(dir, f), 'utf8')) } : undefined;
}

/** Every login-storm file kept, the current ones and those in archive/ (their paths relative to `dir`). */
function allStormFiles(): any[] {
  const pick = (sub: string) =>
    readdirSync(join(dir, sub), { withFileTypes: true })
      .filter((e) => e.isFile() && /^\d{4}-\d{2}-\d{2}-login-storm(-[0-9a-f]{7,})?\.json$/.test(e.name))
      .map((e) => join(sub, e.name));
  return [...pick('.'), ...pick('archive')].map((f) => ({ file: f.replace(/^\.\//, ''), ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

const ms = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x} ms`);
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
// Every table names its result file, and the commit and command when the file records them (issue 15.3).
const from = (r: any) =>
  `\n\nSource: \`bench/results/${r.file}\` (run ${String(r.run?.started ?? r.date)
    .slice(0, 16)
    .replace('T', ' ')} UTC${
    r.run ? ` to ${String(r.run.ended).slice(11, 16)}, commit ${r.run.commit}, \`${r.run.command}\`` : ', before result files recorded their commit'
  }).`;

function latency(): string | undefined {
  const r = newest('login-latency');
  if (!r) return undefined;
  const s = r.summary;
  const kinds: [string, string][] = [
    ['first_menu', 'ssh start to first prompt'],
    ['new', 'choice to prompt, new container'],
    ['reattach', 'choice to prompt, reattach live shell'],
    ['restart', 'choice to prompt, restart stopped container'],
    ['warm', 'choice to prompt, warm-pool claim'],
    ['openssh_first_menu', 'OpenSSH client: ssh start to first prompt (5)'],
    ['openssh_new', 'OpenSSH client: new container (5)'],
  ];
  const rows = kinds.map(([k, label]) => [
    label,
    `${ms(s.islet?.[k]?.median)} / ${ms(s.peer?.[k]?.median)}`,
    `${ms(s.islet?.[k]?.p95)} / ${ms(s.peer?.[k]?.p95)}`,
  ]);
  rows.push(['engine floor: create + attach + start to prompt (Engine API)', `${ms(s.islet?.engine_floor?.median)}`, `${ms(s.islet?.engine_floor?.p95)}`]);
  return `${table([`${r.trainees} trainees, one at a time`, 'median ISLET / peer', 'p95 ISLET / peer'], rows)}${from(r)}`;
}

function storm(): string | undefined {
  const r = newest('login-storm');
  if (!r) return undefined;
  const s = r.summary;
  const row = (k: string, label: string) =>
    s[k]
      ? [
          label,
          s[k].success,
          ms(s[k].total.p50),
          ms(s[k].total.p95),
          ms(s[k].total.max),
          `${ms(s[k].firstMenu.p95)} / ${ms(s[k].account.p95)} / ${ms(s[k].shell.p95)}`,
        ]
      : [label, '–', '–', '–', '–', '–'];
  const t = table(
    ['run', 'shells', 'p50', 'p95', 'max', 'p95 of phases: first menu / account / environment'],
    [row('islet_cold', 'ISLET, new containers'), row('islet_warm', `ISLET, warm pool of ${r.trainees}`), row('peer_cold', 'peer, new containers')],
  );
  const e = r.echo_ms ?? {};
  const echo = `With the ${r.trainees} cold shells live and idle, one key a second each: echo p50/p95/p99 ISLET ${e.islet?.p50}/${e.islet?.p95}/${e.islet?.p99} ms, peer ${e.peer?.p50}/${e.peer?.p95}/${e.peer?.p99} ms.`;
  const eng = newest('engine-storm');
  const same = r.engine_alone;
  const floor = same
    ? `\n\nThe engine alone in the same run${same.rounds > 1 ? ` (${same.rounds} rounds, pooled)` : ''}, ` +
      // Files with storm_order ran the floor and ISLET alternating, the peer's storms after both (lib/storm-order.ts).
      `${r.storm_order ? `alternating with ISLET's cold storms, the peer's after them (order: ${r.storm_order.join(', ')})` : 'before the cold storms'} ` +
      `(${same.containers} containers created and started straight through the Engine API, ${same.concurrency} at a time, no SSH or accounts): running after p50 ${ms(same.p50)}, p95 ${ms(same.p95)}, max ${ms(same.max)}.`
    : eng
      ? `\n\nThe engine alone (\`node bench/engine-storm.ts\`: ${eng.containers} containers created and started straight through the Engine API, ${eng.concurrency} at a time, no SSH or accounts): running after p50 ${ms(eng.ms.p50)}, p95 ${ms(eng.ms.p95)}, max ${ms(eng.ms.max)} (\`bench/results/${eng.file}\`).`
      : '';
  return `${t}\n\n${echo}${floor}${stormCpu(r)}${from(r)}`;
}

type WindowCpu = { window_s: number; machine_s: number; groups: Record<string, number>; front_end_threads?: Record<string, number> };

/**
 * CPU seconds by process group over each storm's window, the rounds summed (results since cpu_per_round was
 * recorded), and the warm storm's own window (results since cpu_warm was recorded).
 */
function stormCpu(r: { cpu_per_round?: Record<string, WindowCpu>[]; cpu_warm?: WindowCpu }): string {
  const rounds = [...(r.cpu_per_round ?? [])];
  if (!rounds.length) return '';
  if (r.cpu_warm) rounds.push({ warm: r.cpu_warm });
  const runs = ['engine', 'islet', 'peer', 'warm'].filter((k) => rounds.some((x) => x[k]));
  const groups = ['front_end', 'dockerd', 'containerd', 'shims', 'containers', 'generator', 'rest_of_machine'];
  const sum = (k: string, f: (w: WindowCpu) => number) => rounds.reduce((a, x) => a + (x[k] ? f(x[k]) : 0), 0).toFixed(1);
  const label: Record<string, string> = {
    engine: 'engine alone',
    islet: 'ISLET, new containers',
    peer: 'peer, new containers',
    warm: 'ISLET, warm pool (one storm)',
  };
  const n = r.cpu_per_round!.length;
  const t = table(
    ['CPU seconds over the storm', 'window', 'whole machine', ...groups.map((g) => g.replace(/_/g, ' '))],
    runs.map((k) => [label[k]!, `${sum(k, (w) => w.window_s)} s`, sum(k, (w) => w.machine_s), ...groups.map((g) => sum(k, (w) => w.groups[g] ?? 0))]),
  );
  // ISLET's server by thread, the cold rounds summed (files since 2026-12-06 14:20 UTC record front_end_threads).
  const threads = new Map<string, number>();
  for (const x of r.cpu_per_round!) for (const [k, v] of Object.entries(x.islet?.front_end_threads ?? {})) threads.set(k, (threads.get(k) ?? 0) + v);
  const byThread = threads.size
    ? `\n\nISLET's server in its cold storms by thread (the rounds summed, CPU seconds): ${[...threads]
        .sort((a, b) => b[1] - a[1])
        .filter(([, v]) => v >= 0.05)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}. \`libuv-worker\` is the thread pool, where each new account's interim scrypt hash runs (docs/security.md).`
    : '';
  return (
    `\n\nWhere the CPU went (\`bench/lib/slot-cpu.ts\` over each storm's window, ${n} round${n > 1 ? 's' : ''} summed; ` +
    `"rest of machine" is mostly short-lived processes such as runc, which the per-process sampling misses):\n\n${t}${byThread}`
  );
}

function workload(): { cutoff: string; echo: string; cpu: string } | undefined {
  const r = newest('workload');
  if (!r) return undefined;
  return { cutoff: `${cutoffReport(r)}${from(r)}`, echo: `${echoReport(r)}${from(r)}`, cpu: `${cpuReport(r)}${from(r)}` };
}

function density(): string | undefined {
  const r = newest('density');
  if (!r) return undefined;
  const rows = r.steps.map((s: any) => [
    s.target,
    String(s.sessions),
    `${s.server_pss_mb ?? '–'} MB (${s.server_pss_mb_per_session ?? '–'} MB/session)`,
    `${s.server_rss_mb} MB in ${s.server_processes} processes`,
    `${s.host_used_mb} MB (${s.host_mb_per_session} MB/session)`,
    `${s.join_seconds} s`,
    s.idle_cpu ? idleCores(s.idle_cpu) : '–',
  ]);
  const b = r.baseline ?? {};
  const st = r.settled;
  const settled = st?.idle_cpu
    ? ` Cores busy with ISLET's ${st.sessions} sessions idle once its hasher had let go (${st.waited_s} s after the last join): ${idleCores(st.idle_cpu)}.`
    : '';
  const head = [
    'system',
    'idle sessions',
    'server PSS (per session over baseline)',
    'server RSS sum',
    'host memory used (per session over baseline)',
    'time to join them',
    'cores busy, all idle (20 s, 5 s after the join)',
  ];
  return `${table(head, rows)}\n\nBaselines before the first trainee: ISLET server ${b.islet?.server_pss_mb ?? b.islet?.server_rss_mb} MB, host ${b.islet?.host_used_mb} MB; peer server ${b.peer?.server_pss_mb ?? b.peer?.server_rss_mb} MB, host ${b.peer?.host_used_mb} MB. Host memory includes the containers themselves.${settled}${from(r)}`;
}

function throughput(): string | undefined {
  const r = newest('throughput');
  if (!r) return undefined;
  const of = (t: string) => r.runs.filter((x: any) => x.target === t).map((x: any) => x.mbps);
  const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) : '–');
  return `ISLET ${mean(of('islet'))} MB/s (runs: ${of('islet').join(', ')}), peer ${mean(of('peer'))} MB/s (runs: ${of('peer').join(', ')}).${from(r)}`;
}

let text = readFileSync(doc, 'utf8');
const put = (name: string, body: string | undefined) => {
  if (!body) {
    console.error(`skip ${name}: no results`);
    return;
  }
  const re = new RegExp(`<!-- results:${name} -->[\\s\\S]*?<!-- /results:${name} -->`);
  if (!re.test(text)) {
    console.error(`skip ${name}: no markers in docs/performance.md`);
    return;
  }
  text = text.replace(re, `<!-- results:${name} -->\n${body}\n<!-- /results:${name} -->`);
};
put('latency', latency());
put('storm', storm());
put('storm-files', stormFilesReport(allStormFiles()));
const w = workload();
put('cutoff', w?.cutoff);
put('echo', w?.echo);
put('workload-cpu', w?.cpu);
put(
  'targets',
  targetsTable({
    latency: newest('login-latency'),
    storm: newest('login-storm'),
    engineStorm: newest('engine-storm'),
    density: newest('density'),
    workload: newest('workload'),
    cutoff: newest('workload-cutoff'),
  }),
);
put('density', density());
put('throughput', throughput());
{
  // Scaled to the machine the cut-off ran on (its result file says), else this one.
  const wl = newest('workload');
  const m = wl?.run?.machine ?? wl?.machine ?? {};
  put(
    'paper',
    paperTable({
      latency: newest('login-latency'),
      density: newest('density'),
      workload: wl,
      cutoff: newest('workload-cutoff'),
      vcpus: m.cpus ?? cpus().length,
      memGiB: m.memGiB ?? Math.round(totalmem() / 2 ** 30),
    }),
  );
}
const dataPath = newest('data-path-cpu');
put('data-path-cpu', dataPath ? dataPathTables(dataPath) : undefined);
writeFileSync(doc, text);
console.log(`updated ${doc}`);
