/**
 * The OpenSSH client options every whole-stack test uses for a non-interactive login to a test server: no host-key
 * prompt or known_hosts file (each run has fresh host keys), errors only, never a password prompt, and only the keys
 * given with -i.
 */
export const OPENSSH_BATCH: readonly string[] = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'BatchMode=yes',
  '-o',
  'IdentitiesOnly=yes',
];
