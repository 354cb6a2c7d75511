/**
 * Linux scheduler autogroups (sched(7), "The autogroup feature").
 *
 * Why this matters: with autogroup on (kernel.sched_autogroup_enabled=1, the
 * default of most desktop and many server kernels), every session (setsid)
 * outside a cgroup with its own CPU controller is scheduled as one group, and
 * a nice value set with setpriority only ranks a thread against the others of
 * its own group. Against other sessions (trainees' containers, sshd sessions,
 * a load generator) only the group's own nice counts, set through
 * /proc/<pid>/autogroup. So ISLET's server_priority and the password hasher's
 * idle priority both also set their group's nice.
 *
 * Contract: never throws; answers what it did.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type AutogroupResult = 'set' | 'unchanged' | 'absent' | 'refused';

/** The group's nice of `pid`'s autogroup; undefined when the kernel has no autogroups or it is off. */
export function autogroupNice(pid: number | 'self' = 'self'): number | undefined {
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return undefined;
    const m = /nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the nice of `pid`'s autogroup (every process of its session shares it). Lowering
 * priority is allowed to the owner; raising it needs root or CAP_SYS_NICE ('refused').
 */
export function setAutogroupNice(pid: number | 'self', nice: number): AutogroupResult {
  const now = autogroupNice(pid);
  if (now === undefined) return 'absent';
  if (now === nice) return 'unchanged';
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return autogroupNice(pid) === nice ? 'set' : 'refused';
  } catch {
    return 'refused';
  }
}
