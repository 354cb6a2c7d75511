/**
 * SFTP attributes between ssh2 and the container's tools: replies built from `stat` records, and the SETSTAT
 * script's arguments from what a client asked to change.
 */
import type { Attributes } from 'ssh2';
import type { SftpAttrs } from './stat-format.ts';

/** Optional attribute fields as the client sent them (ssh2 leaves absent ones undefined). */
export type ClientAttrs = Partial<Record<keyof Attributes, number | undefined>>;

/** SFTP attributes for ssh2's replies. */
export function toAttributes(a: SftpAttrs): Attributes {
  return { mode: a.mode, uid: a.uid, gid: a.gid, size: a.size, atime: a.atime, mtime: a.mtime };
}

/** The SETSTAT script's arguments for what the client asked to change, or undefined when nothing. */
export function setstatArgs(path: string, a: ClientAttrs): string[] | undefined {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
  const size = num(a.size);
  const mode = num(a.mode);
  const uid = num(a.uid);
  const gid = num(a.gid);
  const atime = num(a.atime);
  const mtime = num(a.mtime);
  const args = [
    path,
    size === undefined ? '' : String(size),
    mode === undefined ? '' : (mode & 0o7777).toString(8),
    uid === undefined || gid === undefined ? '' : `${uid}:${gid}`,
    atime === undefined ? '' : String(atime),
    mtime === undefined ? '' : String(mtime),
  ];
  return args.slice(1).some((x) => x !== '') ? args : undefined;
}
