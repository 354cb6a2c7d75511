/**
 * SFTP (v3) protocol constants and the mapping from what a busybox tool
 * printed on failure to the status a client sees: like OpenSSH's
 * sftp-server, a missing file is NO_SUCH_FILE, EACCES/EPERM is
 * PERMISSION_DENIED and anything else FAILURE with the tool's message.
 */

export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
} as const;
export type StatusCode = (typeof STATUS)[keyof typeof STATUS];

/** SSH_FXF_* open flags. */
export const OPEN_FLAG = { READ: 0x1, WRITE: 0x2, APPEND: 0x4, CREAT: 0x8, TRUNC: 0x10, EXCL: 0x20 } as const;

/** An operation failed with a status to send back to the client. */
export class SftpStatusError extends Error {
  readonly code: StatusCode;
  constructor(code: StatusCode, message: string) {
    super(message);
    this.name = 'SftpStatusError';
    this.code = code;
  }
}

const NO_SUCH_FILE = /no such file|nonexistent directory|not a directory|too many levels of symbolic links/i;
const PERMISSION_DENIED = /permission denied|operation not permitted/i;

/**
 * The status for a tool's stderr. The message is the first line without the
 * tool's own prefixes (`sh: line 0:`, `stat:`), e.g. "can't create /x: Permission denied".
 */
export function statusFromStderr(stderr: string, fallback = 'Operation failed'): SftpStatusError {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const message = cleanMessage(line) || fallback;
  const code = NO_SUCH_FILE.test(line) ? STATUS.NO_SUCH_FILE : PERMISSION_DENIED.test(line) ? STATUS.PERMISSION_DENIED : STATUS.FAILURE;
  return new SftpStatusError(code, message);
}

function cleanMessage(line: string): string {
  let m = line.replace(/^\/\.islet\/busybox:\s*/, '');
  m = m.replace(/^[a-z][\w.-]*:\s+(?:line \d+:\s+)?/, '');
  // ash's own wording for ENOENT: say it the usual way.
  m = m.replace(/: nonexistent directory$/, ': No such file or directory').replace(/: no such file$/, ': No such file or directory');
  // Control characters would reach the client's terminal: shown as ?.
  return m.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 400);
}

/** Any error as an SFTP status (unknown errors become FAILURE without internal details). */
export function toStatus(err: unknown): SftpStatusError {
  if (err instanceof SftpStatusError) return err;
  const user = (err as { userMessage?: unknown } | null)?.userMessage;
  if (typeof user === 'string' && user) return new SftpStatusError(STATUS.FAILURE, user);
  return new SftpStatusError(STATUS.FAILURE, 'The operation could not be completed in the environment.');
}
