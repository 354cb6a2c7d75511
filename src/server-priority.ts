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
 */
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from './logger.ts';

export async function applyPriority(nice: number, log: Logger): Promise<void> {
  await stat(process.cwd()).catch(() => undefined); // starts the libuv thread pool before the main thread is raised
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
