/**
 * One command for a direct `alice+<env>` login: runs in alice's container
 * for that environment (created or started as for a login), with stdin,
 * stdout and stderr kept apart (or one TTY), signals forwarded and the exit
 * status returned. The command goes to the container's own `/bin/sh -c`, as
 * a login shell would get it; ISLET never runs it on the host. The door maps
 * its protocol's signals to POSIX names and adds its words (DoorHints).
 */
import type { Readable, Writable } from 'node:stream';
import type { ConfigSource } from '../config/config-source.ts';
import type { TtySize } from '../core/terminal.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Logger } from '../logger.ts';
import type { Execution, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { coalesce } from '../core/coalesce.ts';
import type { Identity } from './authenticator.ts';
import type { EnvironmentRunner } from './environment-runner.ts';
import type { DoorHints } from './door-hints.ts';

export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  onResize(fn: (size: TtySize) => void): void;
  /** POSIX signals the client asks to deliver (the door maps its protocol's names; others never reach here). */
  onSignal(fn: (signal: CommandSignal) => void): void;
  onClose(fn: () => void): void;
}

export interface CommandOptions {
  readonly tty?: TtySize;
  readonly term?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** The door's words for a missing environment or program (sessions/door-hints.ts). */
  readonly hints?: DoorHints;
}

/** The signals a client may deliver to its command. */
export const COMMAND_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'] as const;
export type CommandSignal = (typeof COMMAND_SIGNALS)[number];
const SIGNALS: ReadonlySet<string> = new Set(COMMAND_SIGNALS);
/** Between the hang-up of a command whose client left and its SIGKILL. */
const HANGUP_GRACE_MS = 2000;
/** At most this many TTY resizes per second reach the engine per command. */
const RESIZE_INTERVAL_MS = 250;

/** Signals for one execution: one delivery at a time; a signal already waiting is not queued twice. */
function signalQueue(exec: Execution): { push(sig: NodeJS.Signals): void } {
  const waiting = new Set<NodeJS.Signals>();
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    for (let next = waiting.values().next(); !next.done; next = waiting.values().next()) {
      waiting.delete(next.value);
      await exec.signal(next.value).catch(() => undefined);
    }
    busy = false;
  };
  return {
    push: (sig) => {
      waiting.add(sig);
      void pump();
    },
  };
}

export interface CommandDeps {
  config: ConfigSource;
  runner: EnvironmentRunner;
  driver: RuntimeDriver;
  log: Logger;
}

export async function runCommand(deps: CommandDeps, io: CommandIo, who: Identity, command: string, opts: CommandOptions): Promise<number> {
  const fail = (text: string, code = 1) => {
    io.stderr.write(`islet: ${text}\n`);
    return code;
  };
  if (!who.account) return fail('log in as <account>+<environment> to run commands');
  const cfg = deps.config.current();
  const enabled = cfg.environments.filter((e) => e.enabled).map((e) => e.name);
  if (!who.environment) {
    const hint = opts.hints?.commandNeedsEnvironment?.(who.account, command, enabled);
    return fail(hint ?? `choose an environment: log in as ${who.account}+<environment> (environments: ${enabled.join(', ')})`);
  }
  const env = cfg.environments.find((e) => e.enabled && e.name === who.environment);
  if (!env) return fail(`no environment named ${who.environment}`);
  let id: string;
  try {
    id = await deps.runner.ensureRunning(who.account, env);
  } catch (err) {
    return fail(err instanceof IsletError ? err.userMessage : 'the environment could not be started', 255);
  }
  // Client variables pass only where the environment allows them by name.
  const passed = Object.fromEntries(Object.entries(opts.env ?? {}).filter(([k]) => env.accept_env.includes(k)));
  const exec = await deps.driver.exec(id, {
    cmd: ['/bin/sh', '-c', command],
    ...(opts.tty ? { tty: opts.tty } : {}),
    env: { ...passed, ...(opts.tty ? { TERM: opts.term ?? 'xterm' } : {}) },
  });
  deps.log.info({ event: 'command_started', account: who.account, environment: env.name, tty: !!opts.tty }, 'command started');
  // With a TTY, the client's EOF is a keystroke (Ctrl-D), not the end of the stream: closing our side would cut the output.
  io.stdin.pipe(exec.stdin, { end: !opts.tty });
  exec.stdout.pipe(io.stdout, { end: false });
  exec.stderr.pipe(io.stderr, { end: false });
  // Window changes: the last one wins, a few per second at most; signals: one delivery in flight, repeats merged.
  const resize = coalesce((s: TtySize) => exec.resize(s), RESIZE_INTERVAL_MS);
  io.onResize((s) => resize.push(s));
  const signals = signalQueue(exec);
  io.onSignal((sig) => {
    if (SIGNALS.has(sig)) signals.push(sig);
  });
  // A client that goes away takes its command with it: the engine stream is dropped at once (an unread
  // stream keeps the engine from finishing this and every later exec of the container) and the process
  // group gets SIGHUP, as OpenSSH's sshd does. There a command that ignores it still dies of SIGPIPE on its next
  // write; the engine does not close its pipes when the stream goes, so it would block forever: SIGKILL
  // follows after HANGUP_GRACE_MS (signal() finds nothing to hit when the command already ended).
  io.onClose(() => {
    exec.close();
    signals.push('SIGHUP');
    setTimeout(() => signals.push('SIGKILL'), HANGUP_GRACE_MS).unref();
  });
  const code = await exec.exited;
  resize.cancel();
  // Let the last output drain before the status is sent.
  const drained = (s: Readable) =>
    new Promise((r) => {
      s.once('end', r);
      s.once('close', r);
      setTimeout(r, 1000);
    });
  await Promise.all([exec.stdout, exec.stderr].map((s) => (s.readableEnded || s.destroyed ? undefined : drained(s))));
  const missing = code === 127 ? opts.hints?.missingProgram?.(command, env.name) : undefined;
  if (missing) io.stderr.write(`islet: ${missing}\n`);
  deps.log.info({ event: 'command_exited', account: who.account, environment: env.name, exitCode: code }, 'command exited');
  return code < 0 ? 255 : code;
}
