/**
 * The trainee's journey as steps over an SshTrainee (node ssh2 client, no
 * tmux): lighter than the OpenSSH helpers in trainee.ts, so a test can run
 * many trainees at once. Same menu wording as trainee.ts.
 */
import { SshTrainee } from './ssh-trainee.ts';

/** Escapes text for use inside a RegExp. */
export const lit = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The demo image's shell prompt at the end of the output so far. Busybox's
 * line editor follows it with terminal queries and clears (ESC[6n, ESC[J).
 */
export const SSH_PROMPT = /student@[\w.-]+:[^\r\n]*\$ (?:\x1b\[[0-9;?]*[A-Za-z])*$/;

/** Connects through the gate login; the returned trainee tolerates the server going away. */
export async function gateSsh(port: number): Promise<{ t: SshTrainee; closed: Promise<void> }> {
  const t = new SshTrainee();
  await t.connect(port);
  return { t, closed: t.whenClosed() };
}

export async function newAccountSsh(t: SshTrainee, user: string, password = 'trainee1'): Promise<void> {
  await t.waitFor(/Are you a new or existing user\? \[new\/existing\]: /);
  t.send('new\r');
  await t.waitFor(/Choose a username: \[a-zA-Z0-9\]: /);
  t.send(`${user}\r`);
  await t.waitFor(new RegExp(`Your username is ${lit(user)}`));
  await t.waitFor(/Choose a password: .*: /);
  t.send(`${password}\r`);
  await t.waitFor(/Verify your password: /);
  t.send(`${password}\r`);
  await t.waitFor(/Your account will expire on /);
}

export async function loginSsh(t: SshTrainee, user: string, password = 'trainee1'): Promise<void> {
  await t.waitFor(/Are you a new or existing user\? \[new\/existing\]: /);
  t.send('existing\r');
  await t.waitFor(/Username: /);
  t.send(`${user}\r`);
  await t.waitFor(/Password: /);
  t.send(`${password}\r`);
  await t.waitFor(/Success/);
}

/** Waits for the menu and picks the entry whose name is `name`; returns its number. */
export async function chooseSsh(t: SshTrainee, name: string, timeoutMs = 30_000): Promise<number> {
  const m = await t.waitFor(new RegExp(`(\\d+)\\) ${lit(name)}\\s+\\|[\\s\\S]*?\\[Choice\\]: $`), timeoutMs);
  t.send(`${m[1]}\r`);
  return Number(m[1]);
}

/** Runs a shell command and returns what it printed (CR removed) between two unique markers. */
export async function shSsh(t: SshTrainee, cmd: string, timeoutMs = 20_000): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 8);
  t.send(`echo B${tag}B; ${cmd}; echo E${tag}E\r`);
  const m = await t.waitFor(new RegExp(`\\nB${tag}B\\r?\\n([\\s\\S]*?)E${tag}E`), timeoutMs);
  return m[1]!.replace(/\r/g, '').trimEnd();
}
