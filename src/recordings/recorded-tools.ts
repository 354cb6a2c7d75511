/**
 * The file service's ContainerTools, seen by the recorder: every file the SFTP server (src/sftp/) opens
 * for reading or writing, removes, creates, renames or links is reported as one event. It recognises the
 * file service's own constant scripts and busybox applets (src/sftp/box.ts); listing and stat are not
 * reported (a directory walk would drown the transfers). Everything else passes through unchanged.
 */
import type { ContainerTools } from '../runtime/container-tools.ts';
import { OPEN_READ_SCRIPT, OPEN_WRITE_SCRIPT, RENAME_SCRIPT } from '../sftp/box.ts';

export type FileOp = 'download' | 'upload' | 'remove' | 'rmdir' | 'mkdir' | 'rename' | 'symlink';

/** Which file operation a tool invocation is, and its paths; undefined for the ones not reported. */
export function fileOpOf(applet: string, args: readonly string[]): { op: FileOp; paths: string[] } | undefined {
  if (applet === 'sh' && args[0] === '-c') {
    const script = args[1];
    const rest = args.slice(3);
    if (script === OPEN_READ_SCRIPT) return { op: 'download', paths: rest.slice(0, 1) };
    if (script === OPEN_WRITE_SCRIPT) return { op: 'upload', paths: rest.slice(0, 1) };
    if (script === RENAME_SCRIPT) return { op: 'rename', paths: rest.slice(0, 2) };
    return undefined;
  }
  if (applet === 'unlink') return { op: 'remove', paths: args.slice(-1) };
  if (applet === 'rmdir') return { op: 'rmdir', paths: args.slice(-1) };
  if (applet === 'mkdir') return { op: 'mkdir', paths: args.slice(-1) };
  if (applet === 'ln') return { op: 'symlink', paths: args.slice(-2) };
  return undefined;
}

/** `tools` with run() and capture() reported to `report` (paths cut to 4096 characters). */
export function recordedTools(tools: ContainerTools, report: (op: FileOp, paths: string[]) => void): ContainerTools {
  const seen = (applet: string, args: readonly string[]) => {
    const f = fileOpOf(applet, args);
    if (f)
      report(
        f.op,
        f.paths.map((p) => p.slice(0, 4096)),
      );
  };
  return new Proxy(tools, {
    get(target, key) {
      if (key === 'run' || key === 'capture') {
        const fn = Reflect.get(target, key, target) as (id: string, applet: string, args: readonly string[], ...more: unknown[]) => unknown;
        return (id: string, applet: string, args: readonly string[], ...more: unknown[]) => {
          seen(applet, args);
          return fn.call(target, id, applet, args, ...more);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
