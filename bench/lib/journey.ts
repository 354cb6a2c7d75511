/**
 * The scripted trainee's journey, the same against ISLET and the peer: ssh in
 * as the gate login, create an account (or log in to one), choose an
 * environment, reach the shell prompt. Phases are timed from ssh start.
 */
import { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { SHELL_PROMPT, type Target } from './targets.ts';

export interface JourneyTimes {
  /** ssh start to the first menu prompt ("new or existing"). */
  readonly firstMenu: number;
  /** ssh start to the end of the SSH login (key exchange and authentication): the part of firstMenu before the menu. */
  readonly login: number;
  /** Account created or logged in: to the environment menu's [Choice] prompt. */
  readonly account: number;
  /** Environment choice to the shell prompt. */
  readonly shell: number;
  /** ssh start to the shell prompt. */
  readonly total: number;
}

const now = (): number => performance.now();

/** ssh in, create an account (or log in to one), up to the environment menu's [Choice] prompt. */
export async function openToMenu(
  target: Target,
  opts: { account: string; password: string; existing?: boolean; timeoutMs?: number },
): Promise<{ trainee: SshTrainee; firstMenu: number; login: number; account: number }> {
  const to = opts.timeoutMs ?? 60_000;
  const t = new SshTrainee();
  const t0 = now();
  try {
    await t.connect(target.port, target.gate.user, target.gate.password);
    await t.waitFor(/\[new\/existing\]: $/, to);
    const t1 = now();
    if (opts.existing) {
      t.send('existing\r');
      await t.waitFor(/Username: $/, to);
      t.send(`${opts.account}\r`);
      await t.waitFor(/Password: $/, to);
      t.send(`${opts.password}\r`);
    } else {
      t.send('new\r');
      await t.waitFor(/Choose a username.*: $/, to);
      t.send(`${opts.account}\r`);
      await t.waitFor(/Choose a password.*: $/, to);
      t.send(`${opts.password}\r`);
      await t.waitFor(/Verify your password: $/, to);
      t.send(`${opts.password}\r`);
    }
    await t.waitFor(/\[Choice\]: $/, to);
    return { trainee: t, firstMenu: t1 - t0, login: t.readyAt - t0, account: now() - t1 };
  } catch (err) {
    t.end();
    throw err;
  }
}

export async function openJourney(
  target: Target,
  opts: { account: string; password: string; existing?: boolean; choice: string; timeoutMs?: number },
): Promise<{ trainee: SshTrainee; times: JourneyTimes }> {
  const t0 = now();
  const m = await openToMenu(target, opts);
  const t2 = now();
  try {
    m.trainee.send(`${opts.choice}\r`);
    await m.trainee.waitFor(SHELL_PROMPT, (opts.timeoutMs ?? 60_000) * 2);
  } catch (err) {
    m.trainee.end();
    throw err;
  }
  const t3 = now();
  return { trainee: m.trainee, times: { firstMenu: m.firstMenu, login: m.login, account: m.account, shell: t3 - t2, total: t3 - t0 } };
}

/** Runs `cmd` at the shell prompt and resolves with its wall time (ms) and output. */
export async function run(t: SshTrainee, cmd: string, timeoutMs = 120_000): Promise<{ ms: number; out: string }> {
  const tag = Math.random().toString(36).slice(2, 8);
  t.skip();
  const t0 = now();
  // The marker is split in the command line so its echo does not match the pattern; only the output does.
  t.send(`${cmd}; echo "@@${tag}""@@"\r`);
  const m = await t.waitFor(new RegExp(`([\\s\\S]*)@@${tag}@@`), timeoutMs);
  const ms = now() - t0;
  await t.waitFor(SHELL_PROMPT, timeoutMs);
  return { ms, out: m[1] ?? '' };
}

/** Types `text` one character at a time, timing each echo (ms); the trainee's typing as a human would. */
export async function typeTimed(t: SshTrainee, text: string, gapMs: number, out: number[]): Promise<void> {
  for (const ch of text) {
    t.skip();
    out.push(await t.echo(ch));
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
}
