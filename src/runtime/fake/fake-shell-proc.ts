/**
 * What the fake shell's commands run against: the instance (ShellMachine) and
 * one process (Proc), with the helpers every part of the shell shares.
 */
import { posix } from 'node:path';
import { constants } from 'node:os';
import type { TtySize } from '../runtime-driver.ts';
import type { FakeFs } from './fake-fs.ts';

/** What a shell sees of the instance it runs in. */
export interface ShellMachine {
  readonly fs: FakeFs;
  readonly hostname: string;
  /** The TTY size of the instance's main TTY (undefined without one). */
  ttySize(): TtySize | undefined;
  /** Running processes for `ps`: pid → [user, command line]. */
  readonly procs: Map<number, readonly [string, string]>;
  nextPid(): number;
  /** CPU time used so far, ns (each command costs a little). */
  cpuNs: number;
  /** uid of a user of the image, undefined when the image has none. */
  uidOf(user: string): number | undefined;
}

/** One process: its identity, variables, streams, and the signal that kills it. */
export interface Proc {
  readonly machine: ShellMachine;
  /** Variables, shared by the commands of one shell; `PWD` is the working directory. */
  vars: Record<string, string>;
  readonly user: string;
  readonly uid: number;
  /** Aborted with a signal name (`SIGTERM`, …) when the process is killed. */
  readonly signal: AbortSignal;
  /** What kills background jobs (`cmd &`): the shell's own signal, not the foreground line's Ctrl-C. */
  readonly jobSignal?: AbortSignal;
  out(text: string): void;
  err(text: string): void;
  /** Everything on stdin until it ends. */
  readAll(): Promise<string>;
  /** Whether stdin is the TTY (`stty` works). */
  readonly tty: boolean;
}

/** Thrown by `exit n`: ends the script (or the interactive shell) with `code`. */
export class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

export function cwd(p: Proc): string {
  return p.vars.PWD || '/';
}

export function signalStatus(sig: unknown): number {
  const n = (constants.signals as Record<string, number>)[String(sig)] ?? 15;
  return 128 + n;
}

/** Whether the process may create or overwrite the file at `path` (owner, world-writable, root). */
export function writable(p: Proc, path: string): boolean {
  const dir = p.machine.fs.get(posix.dirname(path));
  const old = p.machine.fs.get(path);
  if (dir?.kind !== 'dir' || old?.kind === 'dir') return false;
  if (p.uid === 0) return true;
  if (old) return old.uid === p.uid || (old.mode & 0o002) !== 0;
  return dir.uid === p.uid || (dir.mode & 0o002) !== 0;
}
