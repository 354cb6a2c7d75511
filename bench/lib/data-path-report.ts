/**
 * The data-path-cpu result (bench/data-path-cpu.ts): its steps, their summary
 * (median per MB / per keystroke over the runs), and the tables of
 * docs/performance.md's data-path section (used by bench/report.ts).
 */

/** One measured step of one run. */
export interface Step {
  target: string;
  crypto: string;
  cipher: string;
  step: 'tty' | 'exec' | 'keys';
  run: number;
  mb?: number;
  keys?: number;
  seconds: number;
  /** CPU seconds by group during the step; `server` sums the server side (everything but the client and the container). */
  cpu: Record<string, number>;
  /** dockerd and containerd CPU seconds in an idle window of the same length right after. */
  idle: Record<string, number>;
  /** exec only: the same groups for an exec of `true` (login, exec set-up), already subtracted from cpu. */
  loginCpu?: Record<string, number>;
  processes: { group: string; pid: number; comm: string; s: number }[];
}

export interface StepSummary {
  target: string;
  crypto: string;
  cipher: string;
  step: string;
  unit: string;
  runs: number;
  /** Per group: the median over the runs, in the unit. */
  median: Record<string, number>;
  /** The server side's total of each run, in the unit. */
  serverRuns: number[];
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** CPU ms per MB (streams) or µs per keystroke, by group, median over runs of the same system, crypto, cipher and step. */
export function summarizeSteps(steps: readonly Step[]): StepSummary[] {
  const key = (s: Step) => `${s.target}|${s.crypto}|${s.cipher}|${s.step}`;
  return [...new Set(steps.map(key))].map((k) => {
    const ss = steps.filter((s) => key(s) === k);
    const [target, crypto, cipher, step] = k.split('|') as [string, string, string, string];
    const per = (s: Step) => (step === 'keys' ? 1e6 / s.keys! : 1000 / s.mb!);
    const groups = [...new Set(ss.flatMap((s) => Object.keys(s.cpu)))];
    const med: Record<string, number> = {};
    for (const g of groups) med[g] = r3(median(ss.map((s) => (s.cpu[g] ?? 0) * per(s))));
    return {
      target,
      crypto,
      cipher,
      step,
      unit: step === 'keys' ? 'CPU µs per keystroke' : 'CPU ms per MB of output',
      runs: ss.length,
      median: med,
      serverRuns: ss.map((s) => r3(s.cpu.server! * per(s))),
    };
  });
}

/* The result file is read as loose JSON (as in report.ts): a field a run did not record prints as a dash. */
const md = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const fmt = (x: unknown, digits = 1): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
const short = (cipher: string): string => cipher.replace(/@openssh\.com$/, '');
const label = (s: StepSummary): string => (s.target === 'islet' ? `ISLET, ${s.crypto === 'native' ? 'native crypto' : 'JS fallback'}` : 'peer (OpenSSH)');

function rows(summary: StepSummary[], step: string, digits: number): string[][] {
  return summary
    .filter((s) => s.step === step)
    .map((s) => {
      const m = s.median;
      const front =
        s.target === 'islet'
          ? `${fmt(m.islet, digits)} (ISLET)`
          : `${fmt((m.sshd ?? 0) + (m.bash ?? 0) + (m['docker-cli'] ?? 0) + (m['peer-other'] ?? 0), digits)} (sshd ${fmt(m.sshd, digits)}, docker CLI ${fmt(m['docker-cli'], digits)})`;
      return [
        label(s),
        short(s.cipher),
        front,
        fmt(m.dockerd, digits),
        fmt(m.containerd, digits),
        fmt(m.shim, digits),
        `**${fmt(m.server, digits)}** (${s.serverRuns.map((x) => fmt(x, digits)).join(', ')})`,
        fmt(m.container, digits),
        fmt(m.client, digits),
      ];
    });
}

export function dataPathTables(r: any): string {
  const summary = summarizeSteps(r.steps as Step[]);
  const head = ['system', 'cipher', 'front end', 'dockerd', 'containerd', 'shim', 'server total (runs)', 'container', 'client'];
  const parts = [
    `**CPU ms per MB of output, \`head -c\` in the trainee's shell (PTY), both systems** (medians):\n\n${md(head, rows(summary, 'tty', 1))}`,
    `**CPU ms per MB of output, \`ssh acct+demo@host 'head -c …'\`** (exec, no PTY; ISLET only, the peer's ForceCommand has no exec; net of an exec of \`true\`; the client's CPU is not read, it has exited):\n\n${md(head, rows(summary, 'exec', 1))}`,
    `**CPU µs per keystroke**, each typed after the previous one's echo:\n\n${md(head, rows(summary, 'keys', 0))}`,
  ];
  const p = r.profile;
  if (p) {
    for (const k of ['tty', 'exec']) {
      const s = p[k];
      if (!s) continue;
      const areas = s.byArea
        .slice(0, 8)
        .map((a: any) => `${a.area} ${fmt(a.selfPct)}%`)
        .join(', ');
      parts.push(
        `**ISLET's main thread during the ${k} stream** (\`--cpu-prof\`, native crypto, ${short(p.cipher)}, ${fmt(s.busyMs, 0)} ms busy), by area: ${areas}. Top functions by self time:\n\n${md(
          ['self %', 'function', 'where'],
          s.top.slice(0, 10).map((f: any) => [fmt(f.selfPct), `\`${f.name}\``, f.where ? `\`${f.where}\`` : '']),
        )}`,
      );
    }
  }
  parts.push(
    `Source: \`bench/results/${r.file}\` (run ${String(r.start ?? r.date)
      .slice(0, 16)
      .replace('T', ' ')} UTC, commit ${r.commit}, \`${r.command}\`).`,
  );
  return parts.join('\n\n');
}
