/**
 * The files of ISLET's trainee CPU group (trainee-cpu-group.ts) that say how it fares and turn its idle mark on and
 * off: its CPU time, its pressure stall (PSI `cpu.pressure`, `some ... total=`), and `cpu.idle`.
 *
 * Contract: `traineeGroupIo(root, group)` answers for cgroup v2 (the group under the root) or v1 (CPU time under
 * `cpuacct/`, the idle mark under `cpu/`, the pressure under the hybrid host's `unified/`), or undefined when neither
 * layout is there. Reads answer undefined when the file is missing or unreadable (no PSI; the unified hierarchy's
 * group appears with its first container); setIdle answers false when the mark could not be written, and never
 * creates the file (only the kernel does). It touches that one group's files and nothing else.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { someTotalUs } from './cgroup-pressure.ts';
import { TRAINEE_CPU_GROUP, type TraineeGroupFiles, traineeGroupFiles } from './trainee-cpu-group.ts';

export interface TraineeGroupIo {
  /** CPU time (ns) the group's tasks used, all of them. */
  usedNs(): number | undefined;
  /** Time (ns) during which at least one of its tasks was runnable but not running. */
  waitedNs(): number | undefined;
  /** Writes `cpu.idle` (1 or 0): true when written. */
  setIdle(idle: boolean): boolean;
}

const USAGE_USEC = /^usage_usec (\d+)/m;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

export function traineeGroupIo(root = '/sys/fs/cgroup', group = TRAINEE_CPU_GROUP): TraineeGroupIo | undefined {
  let usedNs: () => number | undefined;
  let files: TraineeGroupFiles;
  if (existsSync(join(root, 'cgroup.controllers'))) {
    files = traineeGroupFiles(root, 'v2', group);
    usedNs = () => {
      const m = USAGE_USEC.exec(read(files.cpu) ?? '');
      return m ? Number(m[1]) * 1000 : undefined;
    };
  } else if (existsSync(join(root, 'cpu'))) {
    files = traineeGroupFiles(root, 'v1', group);
    usedNs = () => {
      const text = read(files.cpu)?.trim();
      return text && /^\d+$/.test(text) ? Number(text) : undefined;
    };
  } else {
    return undefined;
  }
  const { pressure, idle } = files;
  return {
    usedNs,
    waitedNs: () => {
      const text = read(pressure);
      const us = text === undefined ? undefined : someTotalUs(text);
      return us === undefined ? undefined : us * 1000;
    },
    setIdle: (on) => {
      try {
        writeFileSync(idle, on ? '1' : '0', { flag: 'r+' });
        return true;
      } catch {
        return false;
      }
    },
  };
}
