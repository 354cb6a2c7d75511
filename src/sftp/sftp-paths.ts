/**
 * Path handling for SFTP requests. Paths are only normalised here (relative
 * ones start at the user's home); what the user may reach is decided by the
 * kernel, because every operation runs in the container as that user.
 * Every path handed to a tool is absolute, so none can be taken for an option.
 */
import { posix } from 'node:path';
import { SftpStatusError, STATUS } from './sftp-status.ts';

/** `p` made absolute against `home` and normalised ('.' and '' → home, '..' above / stays at /). */
export function resolvePath(home: string, p: string): string {
  checkPath(p);
  const base = home.startsWith('/') ? home : `/${home}`;
  return posix.resolve(base, p === '' ? '.' : p);
}

/** Rejects what no file name may hold (NUL) and absurd lengths. */
export function checkPath(p: string): void {
  if (p.includes('\0')) throw new SftpStatusError(STATUS.NO_SUCH_FILE, 'A path may not contain a NUL byte.');
  if (p.length > 8192) throw new SftpStatusError(STATUS.BAD_MESSAGE, 'Path too long.');
}
