/**
 * The SFTP server ISLET runs for `sftp`/`scp` (modern scp speaks SFTP),
 * backed by the trainee's container: every file operation runs inside the
 * container as its user through ContainerTools, so permissions, ownership
 * and confinement are the kernel's.
 *
 * PLACEHOLDER: being written; it answers every request with OP_UNSUPPORTED.
 */
import type { SFTPWrapper } from 'ssh2';
import type { Logger } from '../logger.ts';
import type { ContainerTools } from '../sessions/container-tools.ts';

export interface SftpContext {
  readonly tools: ContainerTools;
  readonly containerId: string;
  /** The user's home (initial directory for relative paths). */
  readonly home: string;
  readonly log: Logger;
}

export function serveSftp(sftp: SFTPWrapper, _ctx: SftpContext): void {
  for (const ev of ['OPEN', 'READ', 'WRITE', 'FSTAT', 'FSETSTAT', 'CLOSE', 'OPENDIR', 'READDIR', 'LSTAT', 'STAT', 'REMOVE', 'RMDIR', 'REALPATH', 'READLINK', 'SETSTAT', 'MKDIR', 'RENAME', 'SYMLINK'] as const) {
    sftp.on(ev, (reqid: number) => sftp.status(reqid, 8 /* OP_UNSUPPORTED */));
  }
}
