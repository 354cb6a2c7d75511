/**
 * What every result file records about its run (issue 15.3): the commit (and whether the tree had
 * uncommitted changes, with their paths), the machine, start and end time, the exact command, and the
 * load on the machine when it started and ended, and how fast its memory and process starts were then
 * (bench/lib/machine-state.ts: the VM has slow spells that plain load does not show). A figure without
 * these cannot be cited.
 * A dirty tree is refused by bench/check-tree.ts at the start of `npm run bench` (unless --allow-dirty)
 * and marked in every result file (commit `abc1234-dirty`, `dirty_paths`).
 */
import { execFileSync } from 'node:child_process';
import { hostname, loadavg } from 'node:os';
import { relative } from 'node:path';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { machineState, type MachineState } from './machine-state.ts';

export interface RunMeta {
  readonly commit: string;
  readonly dirty: boolean;
  readonly dirty_paths: readonly string[];
  readonly machine: MachineInfo & { hostname: string };
  readonly started: string;
  readonly ended: string;
  readonly command: string;
  /** The command that ran this one (`npm run bench`), when run-all.sh started it. */
  readonly parent_command?: string;
  readonly load_at_start: readonly number[];
  readonly load_at_end: readonly number[];
  readonly machine_state_at_start: MachineState;
  readonly machine_state_at_end: MachineState;
}

/** Results are outputs of a run, not inputs: their changes do not make a tree dirty. */
const OUTPUTS = /^bench\/results\//;

/** Paths of `git status --porcelain` output (tracked changes; renames give the new path), results excluded. */
export function dirtyPaths(porcelain: string): string[] {
  return porcelain
    .split('\n')
    .filter((l) => l.length > 3)
    .map((l) =>
      l
        .slice(3)
        .replace(/^.* -> /, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .filter((p) => !OUTPUTS.test(p));
}

/** `abc1234`, or `abc1234-dirty` when anything besides results changed. */
export function commitLabel(head: string, dirty: readonly string[]): string {
  return `${head.slice(0, 7)}${dirty.length ? '-dirty' : ''}`;
}

/** The exact command line of this process, relative to the repository. */
export function commandLine(argv: readonly string[] = process.argv, nodeOptions = process.env.NODE_OPTIONS): string {
  const script = argv[1] ? relative(repoRoot, argv[1]) : '';
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  // A URL's password (e.g. --store postgres://user:pw@host/db) is masked: result files are committed.
  const masked = (a: string) => a.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]+@/i, '$1:***@');
  return [...(nodeOptions ? [`NODE_OPTIONS=${quote(nodeOptions)}`] : []), 'node', script, ...argv.slice(2).map((a) => quote(masked(a)))].join(' ');
}

export function treeState(): { head: string; dirty: string[] } {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repoRoot, timeout: 30_000 }).toString();
  try {
    return { head: git('rev-parse', 'HEAD').trim(), dirty: dirtyPaths(git('status', '--porcelain', '--untracked-files=no')) };
  } catch {
    return { head: 'unknown', dirty: [] };
  }
}

const startedAt = new Date().toISOString();
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
/** Probed when the benchmark loads this module, before it starts anything of its own. */
const stateAtStart = machineState();

/** The record of this run, ended now. The tree is read at the end too: a change during the run marks it. */
export function runMeta(): RunMeta {
  const start = treeState();
  return {
    commit: commitLabel(start.head, start.dirty),
    dirty: start.dirty.length > 0,
    dirty_paths: start.dirty,
    machine: { ...machineInfo(), hostname: hostname() },
    started: startedAt,
    ended: new Date().toISOString(),
    command: commandLine(),
    ...(process.env.ISLET_BENCH_COMMAND ? { parent_command: process.env.ISLET_BENCH_COMMAND } : {}),
    load_at_start: loadAtStart,
    load_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
    machine_state_at_start: stateAtStart,
    machine_state_at_end: machineState(),
  };
}
