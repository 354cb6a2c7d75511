/**
 * The SCHED_IDLE scheduling policy (sched(7)) for work that must only use CPU nobody else wants (sealing
 * passwords, src/accounts/background-hasher.ts).
 *
 * Why not only nice 19: a CPU running a nice-19 task is busy to the kernel's wake-up placement, so a
 * waking thread (ISLET's event loop, a trainee's shell) queues behind whatever runs on the other cores
 * instead of taking the hasher's. Traced in a 99-trainee workload (2026-12-01, ftrace sched_switch): ISLET's
 * event loop waited 30 ms on one core while the other ran the nice-19 hasher for half of that time. A CPU whose only runnable
 * tasks are SCHED_IDLE counts as idle when a task wakes (select_idle_sibling), and any normal task preempts
 * them at once.
 *
 * Node has no call for it, so the child is started through util-linux's `chrt --idle 0`, which sets the
 * policy and execs the real command: every thread the child ever makes inherits it, which setting it
 * afterwards could not promise (threads made before the change keep theirs).
 *
 * Contract: never throws. idleLauncher() answers undefined where chrt is missing or refuses (another OS),
 * and the caller falls back to nice alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const SCHED_IDLE = 5;

let probed: string | undefined | null = null;

/**
 * The chrt binary that can start a command under SCHED_IDLE on this host; undefined when there is none.
 * Probed once, synchronously (one short process, a few ms), at the first use: the server's start
 * (BackgroundHasher.prepare), else the hasher's first job.
 *
 * The probe asks chrt which policies it knows (`chrt -m`) and runs nothing under SCHED_IDLE: a command
 * started so waits for a CPU nobody else wants, which a busy host may not have for seconds. (The first probe
 * ran `chrt --idle 0 true`; in a loaded unit run on 2026-12-02 it concluded "no chrt" on a host that has
 * one, most likely by running out of its 5 s, which also blocks the caller that long.) A chrt that then cannot set the policy makes the child
 * fail to start, and the hasher hashes in process (background-hasher.ts).
 */
export function idleLauncher(): string | undefined {
  if (probed !== null) return probed;
  probed = undefined;
  for (const path of ['/usr/bin/chrt', '/bin/chrt']) {
    if (!existsSync(path)) continue;
    try {
      const r = spawnSync(path, ['-m'], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000 });
      if (r.status === 0 && /^SCHED_IDLE\b/m.test(r.stdout)) probed = path;
    } catch {
      // a chrt that cannot run counts as none
    }
    break; // the first chrt found decides
  }
  return probed;
}

/** The scheduling policy of `pid` (0 SCHED_OTHER, 3 SCHED_BATCH, 5 SCHED_IDLE …); undefined when it cannot be read. */
export function schedPolicy(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses); policy is field 41, the 39th after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const policy = Number(rest[38]);
    return Number.isInteger(policy) ? policy : undefined;
  } catch {
    return undefined;
  }
}
