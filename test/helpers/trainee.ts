/**
 * The trainee's journey as reusable steps over a TmuxSsh session, written
 * with the menu's own wording so tests read like the handout.
 */
import { TmuxSsh } from './tmux-ssh.ts';

export const PROMPT = /student@[\w.-]+:[^\n]*\$ $/m;

/** Connects as the shared gate login and answers the SSH password prompt. */
export async function gate(port: number, opts: { cols?: number; rows?: number; password?: string } = {}): Promise<TmuxSsh> {
  const s = await TmuxSsh.connect({ port, ...opts });
  await s.waitFor(/password:/i);
  await s.line(opts.password ?? 'demo');
  return s;
}

export async function createAccount(s: TmuxSsh, user: string, password = 'trainee1'): Promise<void> {
  await s.waitFor('Are you a new or existing user? [new/existing]:');
  await s.line('new');
  await s.waitFor('Choose a username: [a-zA-Z0-9]:');
  await s.line(user);
  await s.waitFor(`Your username is ${user}`);
  await s.waitFor('Choose a password:');
  await s.line(password);
  await s.waitFor('Verify your password:');
  await s.line(password);
  await s.waitFor('Your account will expire on');
}

export async function login(s: TmuxSsh, user: string, password = 'trainee1'): Promise<void> {
  await s.waitFor('Are you a new or existing user? [new/existing]:');
  await s.line('existing');
  await s.waitFor('Username:');
  await s.line(user);
  await s.waitFor('Password:');
  await s.line(password);
  await s.waitFor('Success');
}

/** Picks the menu entry whose name is `name`; returns its number. */
export async function choose(s: TmuxSsh, name: string): Promise<number> {
  const m = await s.waitFor(new RegExp(`(\\d+)\\) ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\|[\\s\\S]*?\\[Choice\\]: $`, 'm'));
  await s.line(m[1]!);
  return Number(m[1]);
}

/** Enrolls one authorized_keys line through the menu's add_key entry (the menu must be showing). */
export async function addKey(s: TmuxSsh, publicKeyLine: string): Promise<void> {
  await choose(s, 'add_key');
  await s.waitFor('Paste one SSH public key line');
  await s.line(publicKeyLine.trim());
  await s.waitFor('Key added.');
}

/** Runs a shell command and returns what it printed between two unique markers. */
export async function sh(s: TmuxSsh, cmd: string, timeoutMs = 20_000): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 8);
  await s.line(`echo B${tag}B; ${cmd}; echo E${tag}E`);
  const m = await s.waitFor(new RegExp(`\\nB${tag}B\\n([\\s\\S]*?)E${tag}E`), timeoutMs);
  return m[1]!.trimEnd();
}
