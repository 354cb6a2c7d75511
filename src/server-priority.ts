/**
 * Raises the priority of ISLET's event-loop thread (nice below 0).
 *
 * Why: every keystroke and login passes through this one thread. When
 * trainees' containers keep every core busy, the kernel shares CPU evenly
 * between runnable tasks, and at equal priority the thread that echoes a
 * hundred trainees' typing waits behind their compilers. Only this thread is
 * raised (on Linux, setpriority on the process id applies to the main thread
 * alone, and threads inherit the nice value of the thread that creates them,
 * so the libuv pool is started first and keeps the inherited priority); the
 * password-hashing process lowers its own.
 *
 * With Linux autogroups on (src/os/autogroup.ts), a thread's nice only ranks
 * it inside its own session's group; against other sessions (sshd sessions,
 * a load generator, anything started from another shell) the group's nice
 * counts, so the same value is also given to ISLET's autogroup. That group
 * is ISLET's session: everything else started from the same shell shares it
 * (run ISLET as a service, or under setsid, to keep it to ISLET). Containers
 * sit in the engine's cgroups, outside every autogroup; under systemd,
 * cgroup weights (CPUWeight=) decide instead and the autogroup is not used.
 */
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from './logger.ts';
import { setAutogroupNice } from './os/autogroup.ts';

export async function applyPriority(nice: number, log: Logger): Promise<void> {
  await stat(process.cwd()).catch(() => undefined); // starts the libuv thread pool before the main thread is raised
  const group = setAutogroupNice('self', nice);
  if (group === 'set') log.info({ event: 'autogroup_priority_set', nice }, `ISLET's session (scheduler autogroup) runs at nice ${nice}`);
  else if (group === 'refused')
    log.warn({ event: 'autogroup_priority_unchanged', nice }, "could not change the scheduler autogroup's nice (needs root or CAP_SYS_NICE)");
  try {
    if (getPriority(process.pid) === nice) return;
    setPriority(process.pid, nice);
    log.info({ event: 'priority_set', nice }, `event-loop thread runs at nice ${nice}`);
  } catch (err) {
    log.warn(
      { event: 'priority_unchanged', nice, inherited: safePriority(), err },
      'could not change the scheduling priority (needs root or CAP_SYS_NICE); running at the inherited one',
    );
  }
}

function safePriority(): number | undefined {
  try {
    return getPriority(process.pid);
  } catch {
    return undefined;
  }
}
