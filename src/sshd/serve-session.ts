/**
 * One session channel of a logged-in SSH connection (ssh-server.ts): its pty, window changes and
 * environment, then a shell adapted to a Terminal for the SessionHandler, or (an account login only) a
 * command or SFTP inside the account's container. Other subsystems, X11 and agent forwarding are refused.
 */
import type { ServerChannel, Session } from 'ssh2';
import type { Logger } from '../logger.ts';
import { COMMAND_SIGNALS, type CommandSignal, type DoorHints, type Identity, type SessionHandler } from '../sessions/index.ts';
import { SshTerminal } from './ssh-terminal.ts';
import { serveSftp } from '../sftp/sftp-session.ts';

/** Marks a channel at work until any of `ends` closes (the connection's idle timer waits meanwhile). */
export type Busy = (...ends: { once(event: 'close', f: () => void): unknown }[]) => void;

export interface ServeSessionOptions {
  readonly who: Identity;
  /** The client's address, the shell's Terminal reports it. */
  readonly ip: string;
  readonly log: Logger;
  readonly handler: SessionHandler;
  /** The SSH door's words in the menu and for commands (ssh-hints.ts). */
  readonly hints: DoorHints;
  readonly busy: Busy;
  /** Where a shell's Terminal is kept while its session runs (the connection's and the server's). */
  readonly terminals: { add(t: SshTerminal): void; delete(t: SshTerminal): void };
}

/** Serves an accepted session channel: its requests until it closes. */
export function serveSession(session: Session, o: ServeSessionOptions): void {
  const { who, ip, log, busy } = o;
  let pty: { term: string; cols: number; rows: number } | undefined;
  let term: SshTerminal | undefined;
  session.on('pty', (accept, _reject, info) => {
    pty = { term: info.term || 'xterm', cols: clamp(info.cols), rows: clamp(info.rows, 24) };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    accept?.();
    const size = { cols: clamp(info.cols), rows: clamp(info.rows, 24) };
    if (pty) pty = { ...pty, ...size };
    term?.resized(size);
  });
  const clientEnv: Record<string, string> = {};
  session.on('env', (accept, _reject, info) => {
    accept?.();
    if (Object.keys(clientEnv).length < 64 && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(info.key)) clientEnv[info.key] = String(info.val).slice(0, 4096);
  });
  session.on('shell', (accept) => {
    const channel: ServerChannel = accept();
    busy(session, channel);
    if (!pty) {
      channel.write('ISLET needs a terminal: connect with "ssh -t".\r\n');
      channel.exit(1);
      channel.end();
      return;
    }
    const t = new SshTerminal(channel, { term: pty.term, size: { cols: pty.cols, rows: pty.rows }, remoteAddress: ip });
    term = t;
    o.terminals.add(t);
    o.handler
      .handle(t, who, o.hints)
      .catch((err: unknown) => log.error({ err }, 'session handler failed'))
      .finally(() => {
        o.terminals.delete(t);
        t.close(0);
      });
  });
  session.on('exec', (accept, reject, info) => {
    if (!who.account) {
      reject?.();
      return;
    } // the gate login has no account to run commands for
    const channel: ServerChannel = accept();
    busy(session, channel);
    const size = pty ? { cols: pty.cols, rows: pty.rows } : undefined;
    const resizers = new Set<(s: { cols: number; rows: number }) => void>();
    session.on('window-change', (_a, _r, i) => {
      for (const f of resizers) f({ cols: clamp(i.cols), rows: clamp(i.rows, 24) });
    });
    const signals = new Set<(sig: CommandSignal) => void>();
    // SSH names signals without SIG (RFC 4254 6.9); only the ones a command may receive pass.
    session.on('signal', (_a, _r, i) => {
      const sig = `SIG${i.name}`;
      if ((COMMAND_SIGNALS as readonly string[]).includes(sig)) for (const f of signals) f(sig as CommandSignal);
    });
    // The command may still be starting when the client leaves: a late onClose is called at once.
    let gone = false;
    channel.once('close', () => {
      gone = true;
    });
    o.handler
      .exec(
        {
          stdin: channel,
          stdout: channel,
          stderr: channel.stderr,
          onResize: (f) => resizers.add(f),
          onSignal: (f) => signals.add(f),
          onClose: (f) => {
            if (gone) f();
            else channel.once('close', f);
          },
        },
        who,
        info.command,
        { ...(size ? { tty: size, term: pty!.term } : {}), env: clientEnv, hints: o.hints },
      )
      .then(
        (code) => {
          channel.exit(code);
          channel.end();
        },
        (err: unknown) => {
          log.error({ err }, 'exec failed');
          channel.stderr.write('islet: the command could not be run\r\n');
          channel.exit(255);
          channel.end();
        },
      );
  });
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('sftp', (accept, reject) => {
    if (!who.account) {
      reject?.();
      return;
    }
    // Accept at once: ssh2 drops channel data that arrives before accept(), and OpenSSH sends
    // its SFTP INIT without waiting for the subsystem reply. Requests wait in serveSftp until
    // the container is ready (and fail with its error when it cannot be opened).
    const sftp = accept();
    busy(session, sftp);
    serveSftp(
      sftp,
      o.handler.openContainer(who).then(
        (c) => {
          log.info({ event: 'sftp_started', account: who.account, environment: c.env.name }, 'sftp session');
          return { tools: c.tools, containerId: c.containerId, home: c.home, log: log.child({ account: who.account, environment: c.env.name }) };
        },
        (err: unknown) => {
          log.info({ event: 'sftp_refused', account: who.account, err: (err as Error).message }, 'sftp refused');
          throw err;
        },
      ),
    );
  });
  session.on('x11', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());
}

/** Sizes a client may send are clamped to something a TTY accepts. */
function clamp(n: number, fallback = 80): number {
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : fallback;
}
