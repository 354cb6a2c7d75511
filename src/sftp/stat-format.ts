/**
 * File attributes as busybox `stat -c STAT_FORMAT` prints them, parsed into
 * SFTP attributes, plus the `ls -l` style long name SFTP listings carry.
 *
 * One record per file: `<mode hex> <size> <uid> <gid> <atime> <mtime> <nlink> <user> <group> <path>\n`.
 * The path comes last and may itself hold newlines; records are still found
 * without ambiguity because every printed path is absolute (has a `/` right
 * after the fields) while a file NAME can never contain `/`: text after a
 * newline inside a name can never look like the start of a record.
 * (User and group names with spaces would break a record; they do not occur
 * in /etc/passwd-style databases.)
 */

export const STAT_FORMAT = '%f %s %u %g %X %Y %h %U %G %n';

export interface SftpAttrs {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly atime: number;
  readonly mtime: number;
}

export interface StatRecord {
  /** The path as printed (absolute). */
  readonly path: string;
  /** The last component of the path. */
  readonly name: string;
  readonly attrs: SftpAttrs;
  readonly nlink: number;
  readonly user: string;
  readonly group: string;
}

const RECORD_START = /(?:^|\n)([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\S+) (\S+) (?=\/)/g;

/** All records in `out` (the stdout of one or more `stat -c STAT_FORMAT` runs). */
export function parseStatRecords(out: string): StatRecord[] {
  const starts: { index: number; pathAt: number; m: RegExpExecArray }[] = [];
  RECORD_START.lastIndex = 0;
  for (let m = RECORD_START.exec(out); m; m = RECORD_START.exec(out)) {
    starts.push({ index: m.index + (m[0].startsWith('\n') ? 1 : 0), pathAt: m.index + m[0].length, m });
  }
  const records: StatRecord[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]!.index - 1 : out.endsWith('\n') ? out.length - 1 : out.length;
    const path = out.slice(s.pathAt, end);
    const [, mode, size, uid, gid, atime, mtime, nlink, user, group] = s.m;
    records.push({
      path,
      name: baseName(path),
      attrs: { mode: parseInt(mode!, 16), size: Number(size), uid: Number(uid), gid: Number(gid), atime: Number(atime), mtime: Number(mtime) },
      nlink: Number(nlink),
      user: user!,
      group: group!,
    });
  }
  return records;
}

/**
 * For a listing arriving in pieces: the records of `out` known to be complete (every one but the last that
 * started, which may still grow), and the text from where that last one starts. At the end of the stream,
 * parse the rest with parseStatRecords.
 */
export function splitCompleteRecords(out: string): { complete: StatRecord[]; rest: string } {
  RECORD_START.lastIndex = 0;
  let lastStart = -1;
  for (let m = RECORD_START.exec(out); m; m = RECORD_START.exec(out)) lastStart = m.index + (m[0].startsWith('\n') ? 1 : 0);
  if (lastStart <= 0) return { complete: [], rest: out };
  return { complete: parseStatRecords(out.slice(0, lastStart)), rest: out.slice(lastStart) };
}

function baseName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1) || '/';
}

const S_IFMT = 0o170000;
const TYPE_CHAR: Readonly<Record<number, string>> = {
  0o140000: 's',
  0o120000: 'l',
  0o100000: '-',
  0o060000: 'b',
  0o040000: 'd',
  0o020000: 'c',
  0o010000: 'p',
};

/** `drwxr-xr-x` style mode string (setuid/setgid/sticky as s/S, t/T). */
export function modeString(mode: number): string {
  const t = TYPE_CHAR[mode & S_IFMT] ?? '?';
  const rwx = (bits: number, special: boolean, on: string, off: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? on : off) : bits & 1 ? 'x' : '-'}`;
  return (
    t +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's', 'S') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's', 'S') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't', 'T')
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The long name OpenSSH's sftp-server sends (`ls -l` style, times in UTC):
 * `-rw-r--r--    1 student  student      1234 Jan  2 03:04 name`; the year
 * replaces the time for files older than six months or in the future.
 */
export function longName(r: Pick<StatRecord, 'name' | 'attrs' | 'nlink' | 'user' | 'group'>, nowSeconds = Date.now() / 1000): string {
  const a = r.attrs;
  const user = r.user === 'UNKNOWN' ? String(a.uid) : r.user;
  const group = r.group === 'UNKNOWN' ? String(a.gid) : r.group;
  const d = new Date(a.mtime * 1000);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const sixMonths = (365 * 24 * 3600) / 2;
  const recent = a.mtime <= nowSeconds && nowSeconds - a.mtime < sixMonths;
  const when = recent
    ? `${MONTHS[d.getUTCMonth()]} ${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
    : `${MONTHS[d.getUTCMonth()]} ${day}  ${d.getUTCFullYear()}`;
  return `${modeString(a.mode)} ${String(r.nlink).padStart(4)} ${user.padEnd(8)} ${group.padEnd(8)} ${String(a.size).padStart(8)} ${when} ${r.name}`;
}
