/**
 * The EEVDF scheduler's slice request of one thread (sched_setattr(2) `sched_runtime` for SCHED_OTHER,
 * Linux 6.12 and later; sched(7)).
 *
 * Why: since Linux 6.6 the fair scheduler (EEVDF) orders runnable threads by a virtual deadline, and a
 * thread's deadline comes sooner the shorter the slice it asks for. A thread that wakes with a shorter
 * slice than the running one may preempt it at once (the kernel's PREEMPT_SHORT), where at the default
 * slice (about 0.7 ms × (1 + log2 of the CPU count)) it waits for the running thread's slice to end. A
 * short slice changes when a thread runs, not how much: its weight, and so its share of the CPU under
 * contention, stays that of its nice value. ISLET's event loop runs for a millisecond or two at a time and
 * every keystroke waits for it to wake, so bench/echo-trace.ts --slice-ab tests whether a short slice
 * shortens the echo tail (no effect was found: docs/performance.md). A bench tool, not part of the product.
 *
 * Node has no call for sched_setattr, so one short perl process (perl-base is part of every Debian and
 * Ubuntu system) makes the syscall for the threads given. The slice is read back from
 * /proc/<tid>/sched (`se.slice`), which is how an older kernel that ignores the request is told apart.
 *
 * Contract: never throws; answers what it did.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { schedPolicy } from '../../src/os/idle-policy.ts';

export type SliceResult = 'set' | 'unchanged' | 'unsupported' | 'refused';

/** The kernel clamps a requested slice to this range (kernel/sched/syscalls.c). */
export const MIN_SLICE_NS = 100_000;
export const MAX_SLICE_NS = 100_000_000;

/** sched_setattr's number on the architectures ISLET runs on; others answer 'unsupported'. */
const SYSCALL: Partial<Record<string, number>> = { x64: 314, arm64: 274 };

/** `se.slice` of a thread in ns; undefined where the kernel shows none (before EEVDF) or the thread is gone. */
export function threadSlice(tid: number | 'self'): number | undefined {
  try {
    const m = /^se\.slice\s*:\s*(\d+)/m.exec(readFileSync(`/proc/${tid}/sched`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks for a slice of `ns` nanoseconds for thread `tid` (a process id names its main thread), keeping its
 * policy and nice. Only SCHED_OTHER and SCHED_BATCH threads take a slice request.
 */
export function setThreadSlice(tid: number, ns: number): SliceResult {
  const now = threadSlice(tid);
  // sched_setattr must be given the thread's policy and nice again (on Linux getpriority takes a thread id).
  const policy = schedPolicy(tid);
  let nice: number | undefined;
  try {
    nice = getPriority(tid);
  } catch {
    nice = undefined;
  }
  if (SYSCALL[process.arch] === undefined || now === undefined || nice === undefined || (policy !== 0 && policy !== 3)) return 'unsupported';
  const want = Math.min(MAX_SLICE_NS, Math.max(MIN_SLICE_NS, Math.round(ns)));
  if (now === want) return 'unchanged';
  if (setSlices([tid], want, { resetOnFork: false }).set !== 1) return 'refused';
  // A kernel before 6.12 accepts the call and ignores the runtime of a fair policy.
  return threadSlice(tid) === want ? 'set' : 'unsupported';
}

/** sched_setattr's SCHED_FLAG_RESET_ON_FORK: a thread's children start at the kernel's defaults (sched(7)). */
const RESET_ON_FORK = 0x01;

// struct sched_attr, version 0 (48 bytes): size, policy, flags, nice, priority, runtime, deadline, period; one
// perl process makes the call for every thread: argv is nr, flags, then (tid, policy, nice, ns) per thread.
// A thread that is gone or refuses is counted, not fatal.
const BATCH_SCRIPT =
  'my ($nr, $flags, @t) = map { $_ + 0 } @ARGV; my $bad = 0;' +
  'while (@t) { my ($tid, $policy, $nice, $ns) = splice(@t, 0, 4);' +
  '  my $attr = pack("LLQlLQQQ", 48, $policy, $flags, $nice, 0, $ns, 0, 0);' +
  '  syscall($nr, $tid, $attr, 0) == 0 or $bad++; }' +
  'print "$bad\\n";';

/**
 * Asks for a slice of `ns` nanoseconds for every thread of `tids` (0: the kernel's own slice, which clears a
 * request), each keeping its policy and nice, in one perl process so that switching a room of threads takes one
 * spawn. With `resetOnFork`, what those threads start afterwards runs at the kernel's defaults, as the relay's
 * `-s` does (native/pty-relay.c). Answers how many threads took the request; never throws.
 */
export function setSlices(tids: readonly number[], ns: number, opts: { resetOnFork: boolean }): { set: number; failed: number } {
  const nr = SYSCALL[process.arch];
  if (nr === undefined) return { set: 0, failed: tids.length };
  const want = ns === 0 ? 0 : Math.min(MAX_SLICE_NS, Math.max(MIN_SLICE_NS, Math.round(ns)));
  const args: string[] = [];
  let skipped = 0;
  for (const tid of tids) {
    const policy = schedPolicy(tid);
    let nice: number;
    try {
      nice = getPriority(tid);
    } catch {
      skipped++;
      continue;
    }
    if (policy !== 0 && policy !== 3) {
      skipped++;
      continue;
    }
    args.push(String(tid), String(policy), String(nice), String(want));
  }
  if (args.length === 0) return { set: 0, failed: skipped };
  let bad: number;
  try {
    const r = spawnSync('perl', ['-e', BATCH_SCRIPT, String(nr), String(opts.resetOnFork ? RESET_ON_FORK : 0), ...args], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    bad = r.status === 0 ? Number(r.stdout.trim()) : args.length / 4;
  } catch {
    bad = args.length / 4;
  }
  return { set: args.length / 4 - bad, failed: skipped + bad };
}
