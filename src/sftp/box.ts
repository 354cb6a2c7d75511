/**
 * How the SFTP server runs things in the trainee's container: busybox
 * applets run as the container's user (ContainerTools), always with argv —
 * the few shell scripts below are constants that take every path as "$1"…,
 * never text built from what the client sent.
 */
import type { Execution } from '../runtime/runtime-driver.ts';
import { TOOL_PATH, type ContainerTools } from '../runtime/container-tools.ts';
import { SftpStatusError, STATUS, statusFromStderr } from './sftp-status.ts';

export interface Box {
  /** Starts `busybox <applet> args…` in the container; the caller owns the streams. */
  run(applet: string, args: readonly string[]): Promise<Execution>;
  /** Runs to completion and collects stdout (small outputs only). */
  capture(applet: string, args: readonly string[]): Promise<{ code: number; stdout: Buffer; stderr: string }>;
}

export function containerBox(tools: ContainerTools, containerId: string): Box {
  return {
    run: (applet, args) => tools.run(containerId, applet, args),
    capture: (applet, args) => tools.capture(containerId, applet, args),
  };
}

/** Runs a tool and throws the mapped status when it fails; resolves with its stdout. */
export async function mustRun(box: Box, applet: string, args: readonly string[], what: string): Promise<Buffer> {
  const r = await box.capture(applet, args);
  if (r.code !== 0) throw r.stderr ? statusFromStderr(r.stderr) : new SftpStatusError(STATUS.FAILURE, `${what} failed`);
  return r.stdout;
}

const B = TOOL_PATH;

/** Runs a constant script with positional arguments: `sh -c SCRIPT sh ARGS…`. */
export function shArgs(script: string, args: readonly string[]): string[] {
  return ['-c', script, 'sh', ...args];
}

/**
 * Opens $1 for reading (so a missing or unreadable file fails here, with the
 * kernel's reason), prints the marker line `+`, then streams the file.
 */
export const OPEN_READ_SCRIPT = `f=$1
: < "$f" || exit 1
echo +
exec ${B} cat "$f"`;

/**
 * Opens $1 for writing the way SFTP OPEN asks ($2: excl | trunc | creat |
 * trunc-existing | existing), gives a NEW file mode $3 (octal, may be empty),
 * prints the marker line `+`, then writes stdin to the file from offset 0
 * ($4 = 1: in append mode).
 */
export const OPEN_WRITE_SCRIPT = `f=$1 how=$2 perm=$3 app=$4
new=1
if [ -e "$f" ] || [ -h "$f" ]; then new=; fi
case $how in
  excl) set -C; : > "$f" || exit 1 ;;
  trunc) : > "$f" || exit 1 ;;
  creat) : >> "$f" || exit 1 ;;
  *) ${B} stat -L -c %f "$f" > /dev/null || exit 1
     if [ "$how" = trunc-existing ]; then : > "$f" || exit 1; else : >> "$f" || exit 1; fi ;;
esac
if [ -n "$new" ] && [ -n "$perm" ]; then ${B} chmod "$perm" "$f" || exit 1; fi
echo +
if [ "$app" = 1 ]; then exec ${B} dd of="$f" bs=65536 conv=notrunc oflag=append status=none; fi
exec ${B} dd of="$f" bs=65536 conv=notrunc status=none`;

/** Lists directory $1: one STAT_FORMAT record ($2) per entry (not . and ..). */
export const LIST_SCRIPT = `d=$1 fmt=$2
if [ -e "$d" ] && [ ! -d "$d" ]; then echo "opendir: $d: Not a directory" >&2; exit 1; fi
exec ${B} find -H "$d" -mindepth 1 -maxdepth 1 -exec ${B} stat -c "$fmt" {} +`;

/**
 * SETSTAT on $1: size $2, mode $3 (octal), owner $4 (uid:gid), atime $5 and
 * mtime $6 (epoch seconds); empty ones are left alone.
 */
export const SETSTAT_SCRIPT = `f=$1 size=$2 mode=$3 owner=$4 at=$5 mt=$6
${B} stat -L -c %f "$f" > /dev/null || exit 1
if [ -n "$size" ]; then ${B} truncate -s "$size" "$f" || exit 1; fi
if [ -n "$mode" ]; then ${B} chmod "$mode" "$f" || exit 1; fi
if [ -n "$owner" ]; then ${B} chown "$owner" "$f" || exit 1; fi
if [ -n "$at" ]; then ${B} touch -c -a -d "@$at" "$f" || exit 1; fi
if [ -n "$mt" ]; then ${B} touch -c -m -d "@$mt" "$f" || exit 1; fi
exit 0`;

/** SFTP v3 RENAME: $1 → $2, refusing to replace an existing $2. */
export const RENAME_SCRIPT = `if [ -e "$2" ] || [ -h "$2" ]; then echo "rename: can't rename to '$2': File exists" >&2; exit 1; fi
exec ${B} mv -T "$1" "$2"`;
