/**
 * Who is at the page, asked inside the terminal (so a password travels only
 * inside the WebSocket, never in a URL): the same Authenticator, throttling
 * and lock-outs as an SSH login (src/access/ via sessions/authenticator.ts).
 *
 * - `/` with a public gate login (one whose password is its name, demo/demo):
 *   the page is the gate, straight to the menu. With a secret gate password
 *   the page asks "Login:" and "Password:" as ssh would.
 * - `/#/alice` or `/#/alice+demo`: asks alice's password.
 * A direct `alice+env` login whose shell is already open elsewhere (another
 * tab, or SSH) asks whether to share it (mirror) or take it over (the other
 * windows are told and closed).
 *
 * Contract: at most MAX_ATTEMPTS failures per connection, each answered after
 * the throttle's delay; an address lock-out ends the connection; never logs
 * a password.
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import { Keyboard } from '../line-editor/keyboard.ts';
import type { Authenticator, Identity, ShellsOf } from '../sessions/index.ts';
import type { Terminal } from '../core/terminal.ts';
import { WebTerminal } from './web-terminal.ts';

export const MAX_ATTEMPTS = 3;

export interface LoginDeps {
  readonly config: ConfigSource;
  readonly auth: Authenticator;
  /** The terminals already on `account+env`'s shell (sessions: EnvironmentRunner.shellsOf). */
  readonly shellsOf: ShellsOf;
  readonly log: Logger;
}

const say = (t: Terminal, s: string) => {
  if (!t.closed) t.write(s.replace(/\r?\n/g, '\r\n'));
};

/** Resolves with the identity, or undefined when the trainee failed, left or was locked out (the caller closes). */
export async function webLogin(d: LoginDeps, t: Terminal, login: string | undefined): Promise<Identity | undefined> {
  const g = d.config.current().global;
  if (login === undefined && g.gate_accounts.some((a) => a.username === a.password)) return { method: 'gate' };
  const kb = new Keyboard(t);
  const ask = async (prompt: string, echo: boolean): Promise<string | undefined> => {
    say(t, prompt);
    const r = await kb.readLine({ echo, timeoutMs: g.menu_timeout * 1000, maxLength: 1024 });
    if (!echo && r.kind === 'line') say(t, '\n');
    return r.kind === 'line' ? r.text : undefined;
  };
  try {
    if (login !== undefined && !d.auth.isGate(login) && !d.auth.parseLogin(login)) {
      say(t, `"${login.replace(/[^\x20-\x7e]/g, '?')}" is not an ISLET login name.\n`);
      login = undefined;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const name = login ?? (await ask('Login: ', true))?.trim();
      if (name === undefined) return undefined;
      const password = await ask(login ? `${name.split('+')[0]}'s password: ` : 'Password: ', false);
      if (password === undefined) return undefined;
      const r = await d.auth.password(name, password, t.remoteAddress).catch(() => d.auth.failed(t.remoteAddress, 'error'));
      if (r.ok) {
        d.log.info(
          {
            event: r.identity.method === 'gate' ? 'gate_login_ok' : 'account_login_ok',
            door: 'web',
            method: r.identity.method,
            account: r.identity.account,
            environment: r.identity.environment,
            client: t.remoteAddress,
          },
          'web login ok',
        );
        return (await shareOrTakeOver(d, t, r.identity, ask)) ? r.identity : undefined;
      }
      d.log.info(
        {
          event: d.auth.isGate(name) ? 'gate_login_failed' : 'account_login_failed',
          door: 'web',
          user: name.slice(0, 64),
          reason: r.reason,
          delayMs: r.delayMs || undefined,
          client: t.remoteAddress,
        },
        'web login failed',
      );
      if (r.addressLocked && r.reason !== 'locked_out')
        d.log.warn({ event: 'address_locked_out', client: t.remoteAddress }, 'too many failed logins from this address');
      // Only failures wait: a guesser is slowed, a right password never is.
      if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
      if (t.closed) return undefined;
      if (r.message) say(t, `${r.message}\n`);
      else say(t, 'Login incorrect.\n');
      if (r.addressLocked) return undefined;
    }
    say(t, 'Too many failed logins.\n');
    return undefined;
  } finally {
    kb.release();
  }
}

/** For `alice+env` whose shell is attached elsewhere: share it, or take it over. False when the trainee left. */
async function shareOrTakeOver(d: LoginDeps, t: Terminal, who: Identity, ask: (p: string, echo: boolean) => Promise<string | undefined>): Promise<boolean> {
  if (!who.account || !who.environment) return true;
  // A web session waiting for its page to come back (web_resume) is no window the trainee sees: not counted, left alone.
  const live = (o: Terminal) => !(o instanceof WebTerminal) || o.attached;
  const account = who.account;
  const environment = who.environment;
  const others = (await d.shellsOf(account, environment)).filter(live);
  if (others.length === 0) return true;
  for (;;) {
    const a = (
      await ask(
        `Your ${who.environment} shell is open in ${others.length === 1 ? 'another window' : `${others.length} other windows`}.\n` +
          'Share it here too (both windows see and type), or take it over (the other windows are closed)? [share/take] ',
        true,
      )
    )
      ?.trim()
      .toLowerCase();
    if (a === undefined) return false;
    if (a === 's' || a === 'share') return true;
    if (a === 't' || a === 'take') {
      for (const o of (await d.shellsOf(account, environment)).filter(live)) {
        say(o, '\n[ISLET] This shell was taken over from another window.\n');
        o.close(0);
      }
      d.log.info(
        { event: 'shell_taken_over', door: 'web', account: who.account, environment: who.environment, closed: others.length, client: t.remoteAddress },
        'shell taken over',
      );
      return true;
    }
  }
}
