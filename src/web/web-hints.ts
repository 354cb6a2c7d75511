/**
 * The web door's words in the session engine (sessions/door-hints.ts). A trainee's account is the same at
 * both doors, so what the SSH door says still applies from the page: downloading a home is done with scp or
 * sftp from the trainee's own computer, and a key enrolled here (pasted into the page's terminal as one line)
 * logs in over SSH. The page itself has no download of its own, so the download lines say where they apply.
 */
import type { DoorHints } from '../sessions/index.ts';

/** `ssh`: the SSH door's hints (sshd/ssh-hints.ts, given by the composition root). */
export function webHints(ssh: DoorHints): DoorHints {
  const download = ssh.download;
  const keys = ssh.keys;
  return {
    ...(download ? { download: (o: Parameters<typeof download>[0]) => ['  (in a terminal with an SSH client, not in this page)', ...download(o)] } : {}),
    ...(keys ? { keys: { ask: `${keys.ask} (paste into this page: Ctrl+Shift+V, or the browser's paste)`, added: keys.added } } : {}),
  };
}
