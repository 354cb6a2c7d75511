/**
 * Reads an ftrace text dump of sched_switch and sched_waking events (tracefs `trace`) and answers, for one
 * thread, where its time off the CPU went: how long it waited runnable (woken or preempted, until it ran
 * again), its longest stretch on a CPU, and, for each long wait, which tasks ran on each CPU meanwhile.
 * Used by bench/echo-trace.ts to place the keystroke-echo tail (issue 15.4).
 *
 * Contract: pure; lines it does not know are ignored. A thread's wait ends when it is next switched in, and
 * also when it is seen switching out (a switch-in line the tracer did not write must not make a wait endless).
 */

import { pct } from './results.ts';

export interface Run {
  readonly cpu: number;
  readonly from: number;
  readonly to: number;
  readonly comm: string;
  readonly pid: number;
}

export interface Wait {
  readonly from: number;
  readonly to: number;
  readonly how: 'woken' | 'preempted';
}

export interface ThreadTrace {
  readonly runs: Run[];
  readonly waits: Wait[];
  /** Every task's stretches on a CPU (for "who ran meanwhile"). */
  readonly all: Run[];
  readonly first: number;
  readonly last: number;
}

const SWITCH = /\[(\d+)\][^:]*?\s(\d+)\.(\d+): sched_switch: prev_comm=(.*?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)/;
const WAKING = /\s(\d+)\.(\d+): sched_waking: comm=.*? pid=(\d+) prio/;

/** Microseconds from the trace's seconds.fraction (kept integral so sums stay exact). */
const us = (s: string, frac: string) => Number(s) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));

export function parseSchedTrace(lines: Iterable<string>, pid: number): ThreadTrace {
  const all: Run[] = [];
  const t = threadTraces(lines, [pid], all);
  const one = t.threads.get(pid)!;
  return { runs: one.runs, waits: one.waits, all, first: t.first, last: t.last };
}

/**
 * The runs and waits of each thread in `pids`, in one pass over the dump (the echo's hops of a hundred trainees
 * are two hundred threads); every task's runs also go to `all` when it is given. Same rules as parseSchedTrace.
 */
export function threadTraces(
  lines: Iterable<string>,
  pids: Iterable<number>,
  all?: Run[],
): { threads: Map<number, { runs: Run[]; waits: Wait[] }>; first: number; last: number } {
  const threads = new Map<number, { runs: Run[]; waits: Wait[]; since?: { at: number; how: Wait['how'] } }>();
  for (const pid of pids) threads.set(pid, { runs: [], waits: [] });
  const current = new Map<number, { from: number; comm: string; pid: number }>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const line of lines) {
    const s = SWITCH.exec(line);
    if (s) {
      const cpu = Number(s[1]);
      const at = us(s[2]!, s[3]!);
      first = Math.min(first, at);
      last = Math.max(last, at);
      const cur = current.get(cpu);
      if (cur) {
        const run = { cpu, from: cur.from, to: at, comm: cur.comm, pid: cur.pid };
        all?.push(run);
        threads.get(cur.pid)?.runs.push(run);
      }
      const next = Number(s[8]);
      current.set(cpu, { from: at, comm: s[7]!, pid: next });
      const prev = threads.get(Number(s[5]));
      if (prev) prev.since = s[6]!.startsWith('R') ? { at, how: 'preempted' } : undefined;
      const t = threads.get(next);
      if (t?.since) {
        t.waits.push({ from: t.since.at, to: at, how: t.since.how });
        t.since = undefined;
      }
      continue;
    }
    const w = WAKING.exec(line);
    if (w) {
      const t = threads.get(Number(w[3]));
      if (t && !t.since) t.since = { at: us(w[1]!, w[2]!), how: 'woken' };
    }
  }
  const out = new Map<number, { runs: Run[]; waits: Wait[] }>();
  for (const [pid, t] of threads) out.set(pid, { runs: t.runs, waits: t.waits });
  return { threads: out, first, last };
}

/** Collapses a task name to its program (the engine's shims have one name per process). */
export const program = (comm: string): string => (comm.startsWith('containerd-shim') ? 'containerd-shim' : comm.replace(/\/\d+$/, ''));

/**
 * CPU time (ms) each program had on each CPU while the thread waited in `wait`, largest first, and how many of
 * its threads ran (one shim for 60 ms, or sixty shims for 1 ms each).
 */
export function whoRan(t: ThreadTrace, wait: Wait, top = 4): { cpu: number; program: string; ms: number; threads: number }[] {
  const sums = new Map<string, { us: number; pids: Set<number> }>();
  for (const r of t.all) {
    const o = Math.min(wait.to, r.to) - Math.max(wait.from, r.from);
    if (o <= 0) continue;
    const key = `${r.cpu}\t${program(r.comm)}`;
    const sum = sums.get(key) ?? { us: 0, pids: new Set<number>() };
    sum.us += o;
    sum.pids.add(r.pid);
    sums.set(key, sum);
  }
  return [...sums]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([k, v]) => ({ cpu: Number(k.split('\t')[0]), program: k.split('\t')[1]!, ms: Math.round(v.us / 100) / 10, threads: v.pids.size }));
}

/** Where one thread's time went over an interval: on a CPU, runnable but not running, and asleep (the rest). */
export interface Breakdown {
  readonly ms: number;
  readonly cpuMs: number;
  readonly runnableMs: number;
  readonly asleepMs: number;
  /** Waits that began inside the interval because another task took the thread's CPU. */
  readonly preemptions: number;
  /** Waits that began inside the interval with the thread being woken. */
  readonly wakeups: number;
}

/**
 * The thread's time over [from, to] (µs, the trace's clock), its runs and waits clipped to it. A late event
 * loop that was mostly "runnable" was held off its CPU; one mostly "asleep" waited on something (a lock, a
 * disk, a page, or its poll, whose timeout should have ended the sleep); one mostly "on a CPU" was busy.
 */
export function breakdown(t: Pick<ThreadTrace, 'runs' | 'waits'>, from: number, to: number): Breakdown {
  const clip = (a: number, b: number) => Math.max(0, Math.min(to, b) - Math.max(from, a));
  const cpu = t.runs.reduce((s, r) => s + clip(r.from, r.to), 0);
  const runnable = t.waits.reduce((s, w) => s + clip(w.from, w.to), 0);
  const started = t.waits.filter((w) => w.from >= from && w.from < to);
  const ms = (v: number) => Math.round(v / 100) / 10;
  return {
    ms: ms(to - from),
    cpuMs: ms(cpu),
    runnableMs: ms(runnable),
    asleepMs: ms(Math.max(0, to - from - cpu - runnable)),
    preemptions: started.filter((w) => w.how === 'preempted').length,
    wakeups: started.filter((w) => w.how === 'woken').length,
  };
}

/** How long each program's threads waited for a CPU once woken (µs to the next switch in), pooled per program. */
export interface WakeLatency {
  readonly program: string;
  readonly wakeups: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Wake-ups that waited 10 ms or more. */
  readonly over10ms: number;
}

/**
 * Wake-to-run latency of every thread in the dump, pooled by program (lib/sched-trace.ts's `program`, so all
 * shims are one), most wake-ups first; programs woken fewer than `minWakeups` times are left out. Each hop of a
 * keystroke's echo (ISLET, dockerd, the container's shim, the trainee's shell, and back) is a wake-up of one of
 * these programs, so this says at which hop a busy machine makes the echo wait. A waking with no switch in
 * before the dump ends is not counted, nor one of a thread still on its CPU (it switches out first); a second
 * waking of a thread already waiting keeps the first.
 */
export function wakeLatencies(lines: Iterable<string>, minWakeups = 20): WakeLatency[] {
  const woken = new Map<number, { at: number; comm: string }>();
  const by = new Map<string, number[]>();
  for (const line of lines) {
    const s = SWITCH.exec(line);
    if (s) {
      // A thread woken while still on its CPU (it had not yet slept) switches out before it switches in: no wait.
      woken.delete(Number(s[5]));
      const pid = Number(s[8]);
      const w = woken.get(pid);
      if (w && pid !== 0) {
        woken.delete(pid);
        const key = program(w.comm);
        const list = by.get(key) ?? [];
        list.push(us(s[2]!, s[3]!) - w.at);
        by.set(key, list);
      }
      continue;
    }
    const w = WAKING_COMM.exec(line);
    if (w && !woken.has(Number(w[4]))) woken.set(Number(w[4]), { at: us(w[1]!, w[2]!), comm: w[3]! });
  }
  const ms = (v: number) => Math.round(v / 100) / 10;
  return [...by]
    .filter(([, xs]) => xs.length >= minWakeups)
    .map(([name, xs]) => {
      xs.sort((a, b) => a - b);
      return {
        program: name,
        wakeups: xs.length,
        p50Ms: ms(pct(xs, 0.5)),
        p99Ms: ms(pct(xs, 0.99)),
        maxMs: ms(xs[xs.length - 1]!),
        over10ms: xs.filter((x) => x >= 10_000).length,
      };
    })
    .sort((a, b) => b.wakeups - a.wakeups);
}

const WAKING_COMM = /\s(\d+)\.(\d+): sched_waking: comm=(.*?) pid=(\d+) prio/;
