/**
 * The load generator's priority (bench/workload.ts, echo-trace.ts, recording-overhead.ts): it stands in for the
 * trainees' own machines, so its scheduling delays must not swamp the echo times it measures, for every system
 * alike. Its event loop runs at nice −10 and, where the kernel's autogroups are on, so does its session's
 * autogroup: a thread's nice only ranks it inside its own autogroup, and against the containers' cgroups and the
 * servers' sessions only the group's nice counts (src/os/autogroup.ts). Before 2026-12-05 only the thread's nice
 * was set, so the generator's group met the containers at nice 0, like a server at nice 0.
 *
 * The servers under test are unaffected: ISLET is started in a session of its own (and at nice 0 by
 * bench/lib/targets.ts), the peer's sshd daemonizes into its own. Returns what was set, for the result files.
 */
import { setPriority } from 'node:os';
import { type AutogroupResult, setAutogroupNice } from '../../src/os/autogroup.ts';

export const GENERATOR_NICE = -10;

export function raiseGenerator(): { nice: number | 'unchanged'; autogroup: AutogroupResult } {
  let nice: number | 'unchanged' = GENERATOR_NICE;
  try {
    setPriority(process.pid, GENERATOR_NICE);
  } catch {
    nice = 'unchanged';
    console.log('load generator priority unchanged (not root)');
  }
  return { nice, autogroup: setAutogroupNice('self', GENERATOR_NICE) };
}
