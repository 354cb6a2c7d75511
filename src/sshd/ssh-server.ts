/**
 * The SSH front door (ssh2). It accepts TCP itself (the ConnectionGuard's
 * per-address limits and the login grace apply before any SSH byte), checks
 * at most 3 authentications per connection through the Authenticator (gate
 * logins; account logins `alice` / `alice+env` by password or key), adapts
 * each shell channel to a Terminal for the SessionHandler, and serves an
 * account login's exec, SFTP and `ssh -L` inside that account's container.
 *
 * Contract: no trainee input reaches a host shell. The gate login gets only
 * shells (the menu); exec, SFTP and forwarding need an account. Forwards go
 * only to localhost ports the environment lists, dialled inside the
 * container. Other subsystems, `-R`, X11 and agent forwarding are refused.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import {
  COMMAND_SIGNALS,
  type AuthFailure,
  type AuthResult,
  type Authenticator,
  type CommandSignal,
  type DoorHints,
  type Identity,
  type PublicKeyLine,
  type SessionHandler,
} from '../sessions/index.ts';
import { keyRefusal } from './public-keys.ts';
import { sshHints } from './ssh-hints.ts';
import { sendAuthBanner } from './auth-banner.ts';
import type { ConnectionGuard } from './connection-guard.ts';
import { modernAlgorithms } from './algorithms.ts';
import { batchWrites } from './batch-writes.ts';
import { SshTerminal } from './ssh-terminal.ts';
import { serveSftp } from '../sftp/sftp-session.ts';

export interface SshServerOptions {
  readonly hostKeys: Buffer[];
  readonly config: ConfigSource;
  readonly handler: SessionHandler;
  readonly log: Logger;
  readonly guard: ConnectionGuard;
  readonly auth: Authenticator;
}

const MAX_AUTH_ATTEMPTS = 3;

/** A TCP connection admitted by the guard, before and after SSH takes it over. */
interface Conn {
  readonly socket: Socket;
  readonly ip: string;
  authed: boolean;
}

/** Unsigned key offers a connection may make for an account (OpenSSH's own server allows 6 tries). */
const MAX_KEY_OFFERS = 6;

export class SshServer {
  readonly #o: SshServerOptions;
  readonly #server: ssh2.Server;
  /** ISLET's own listener: limits apply at accept, before a single byte of SSH is sent. */
  readonly #tcp: Server;
  readonly #conns = new Map<string, Conn>();
  readonly #clients = new Set<Connection>();
  readonly #terminals = new Set<SshTerminal>();
  /** The SSH door's words in the menu and for commands (ssh-hints.ts). */
  readonly #hints: DoorHints;

  constructor(o: SshServerOptions) {
    this.#o = o;
    this.#hints = sshHints(o.config);
    // ident "ISLET": no software name or version beyond what the protocol needs.
    const serverOptions = { hostKeys: o.hostKeys, ident: 'ISLET', algorithms: modernAlgorithms, keepaliveInterval: 15_000, keepaliveCountMax: 4 };
    this.#server = new ssh2.Server(serverOptions, (client, info) => this.#onClient(client, info.ip, info.port));
    this.#server.on('error', (err: Error) => o.log.error({ err }, 'ssh server error'));
    this.#tcp = createServer((socket) => this.#accept(socket));
    this.#tcp.on('error', (err: Error) => o.log.error({ err }, 'ssh listener error'));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen(port, host, () => {
        this.#tcp.off('error', reject);
        resolve(this.#tcp.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, tells attached trainees, and closes every connection. Containers keep running. */
  async close(message = 'ISLET is restarting; reconnect in a moment to resume your session.'): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    for (const t of this.#terminals) {
      t.write(`\r\n${message}\r\n`);
      t.close(0);
    }
    // Channel data goes through a stream that may still hold it, while a disconnect is sent at once:
    // give the goodbyes time to leave before disconnecting, then time for the disconnects.
    await new Promise((r) => setTimeout(r, 100));
    for (const c of this.#clients) c.end();
    await new Promise((r) => setTimeout(r, 100));
    for (const c of this.#conns.values()) c.socket.destroy();
    await closed;
  }

  /** Per-address limits and the login grace start at accept; a refused socket gets no SSH banner at all. */
  #accept(socket: Socket): void {
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const refusal = this.#o.guard.admit(ip);
    if (refusal) {
      this.#o.log.warn({ event: 'connection_refused', client: ip, reason: refusal }, 'connection refused');
      socket.destroy();
      return;
    }
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const conn: Conn = { socket, ip, authed: false };
    this.#conns.set(key, conn);
    // Interactive traffic: without this, Nagle's algorithm adds ~90 ms to every round trip of the handshake and keystrokes.
    socket.setNoDelay(true);
    // ssh2 writes packet by packet: one syscall per turn of the event loop instead (batch-writes.ts).
    batchWrites(socket);
    const grace = setTimeout(() => {
      if (conn.authed) return;
      this.#o.log.info({ event: 'login_grace_expired', client: ip }, 'no login within the grace time');
      socket.destroy();
    }, this.#o.config.current().global.ssh_login_grace * 1000);
    grace.unref();
    socket.once('close', () => {
      clearTimeout(grace);
      this.#conns.delete(key);
      this.#o.guard.closed(ip);
    });
    socket.on('error', () => undefined);
    this.#server.injectSocket(socket);
  }

  #onClient(client: Connection, remoteIp: string, port: number): void {
    const conn = this.#conns.get(`${remoteIp}:${port}`) ?? [...this.#conns.values()].find((c) => c.socket.remotePort === port);
    let ip = remoteIp;
    const log = this.#o.log.child({ client: conn?.ip ?? ip });
    client.on('error', (err) => log.debug({ err: err.message }, 'ssh client error'));
    if (!conn) {
      client.end();
      return;
    }
    ip = conn.ip; // the same form the guard admitted (no ::ffff: prefix)
    this.#clients.add(client);
    const global = () => this.#o.config.current().global;
    let attempts = 0;
    let keyOffers = 0;
    let dead = false;
    /** Says goodbye and drops the socket: ssh2's end() alone would keep reading what the client sends. */
    const hangUp = () => {
      dead = true;
      client.end();
      setTimeout(() => conn.socket.destroy(), 200).unref();
    };
    let identity: Identity | undefined;
    const { auth } = this.#o;
    const terms = new Set<SshTerminal>();
    // Idle connections do not hold places: one with no channel at work (shell, command, file transfer, forward)
    // is closed after ssh_channel_grace (a gate login) or ssh_idle_account_connection (an account login, which may
    // be `ssh -N -L` waiting for its first forward). The timer runs from login and from the last channel's close.
    let working = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      const secs = identity?.account ? global().ssh_idle_account_connection : global().ssh_channel_grace;
      idleTimer = setTimeout(() => {
        if (working > 0 || dead) return;
        log.info({ event: 'connection_idle_closed', account: identity?.account, seconds: secs }, 'no channel at work: connection closed');
        hangUp();
      }, secs * 1000);
      idleTimer.unref();
    };
    /** A channel at work until any of `ends` closes. */
    const busy = (...ends: { once(event: 'close', f: () => void): unknown }[]) => {
      working++;
      clearTimeout(idleTimer);
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        if (--working === 0 && !dead) armIdle();
      };
      for (const e of ends) e.once('close', end);
    };
    client.on('close', () => {
      clearTimeout(idleTimer);
      this.#clients.delete(client);
      for (const t of terms) t.lost();
    });
    /**
     * While a failure answer is held, the connection's next request waits as well: a keyboard-interactive
     * client could otherwise abort the held one and go on at once.
     */
    let heldUntil = 0;
    const authenticate = (ctx: AuthContext): void => {
      const held = heldUntil - Date.now();
      if (held > 0) {
        setTimeout(() => authenticate(ctx), held);
        return;
      }
      const methods: ('password' | 'keyboard-interactive' | 'publickey')[] = auth.isGate(ctx.username)
        ? ['password', 'keyboard-interactive']
        : ['publickey', 'password', 'keyboard-interactive'];
      if (dead) {
        ctx.reject();
        return;
      }
      /** A counted failure (already recorded by the Authenticator's throttle): answered after its delay, with its message. */
      const fail = (r: AuthFailure) => {
        attempts++;
        const event = auth.isGate(ctx.username) ? 'gate_login_failed' : 'account_login_failed';
        log.info({ event, user: ctx.username.slice(0, 64), method: ctx.method, reason: r.reason, delayMs: r.delayMs || undefined }, 'ssh login failed');
        if (r.addressLocked && r.reason !== 'locked_out') log.warn({ event: 'address_locked_out' }, 'too many failed logins from this address');
        if (r.message) sendAuthBanner(client, r.message);
        const answer = () => {
          if (dead || conn.socket.destroyed) return;
          // The last failure is answered with a disconnect, not "try again": the client never asks a 4th time.
          if (attempts >= MAX_AUTH_ATTEMPTS || r.addressLocked) {
            hangUp();
            return;
          }
          ctx.reject(methods);
        };
        // Only failures wait: a guesser is slowed, a right password or key never is.
        if (r.delayMs) {
          heldUntil = Date.now() + r.delayMs;
          setTimeout(answer, r.delayMs);
        } else answer();
      };
      const ok = (id: Identity) => {
        if (dead) {
          ctx.reject();
          return;
        }
        identity = id;
        conn.authed = true;
        ctx.accept();
      };
      const check = (password: string) => {
        auth.password(ctx.username, password, ip).then(
          (r) => (r.ok ? ok(r.identity) : fail(r)),
          () => auth.failed(ip, 'error').then(fail, () => fail({ ok: false, reason: 'error' })),
        );
      };
      if (ctx.method === 'password') {
        check(ctx.password);
        return;
      }
      if (ctx.method === 'keyboard-interactive') {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => check(answers[0] ?? ''));
        return;
      }
      if (ctx.method === 'publickey') {
        const signed = ctx.signature ? { blob: ctx.blob!, signature: ctx.signature, hashAlgo: ctx.hashAlgo } : undefined;
        const refusal = (k: PublicKeyLine) => keyRefusal(k, { ...ctx.key, hashAlgo: ctx.hashAlgo }, signed);
        const offered = async (r: AuthResult) => {
          if (r.ok) {
            if (signed) ok(r.identity);
            else ctx.accept();
            return;
          }
          // An unsigned offer only asks whether a key would do (OpenSSH tries each key it has): it does not
          // count as a failed login, but a connection may make only MAX_KEY_OFFERS of them.
          if (r.addressLocked) {
            fail(r);
            return;
          }
          if (signed === undefined && !auth.isGate(ctx.username) && ++keyOffers <= MAX_KEY_OFFERS) {
            ctx.reject(methods);
            return;
          }
          fail(await auth.failed(ip, r.reason));
        };
        auth
          .publicKey(ctx.username, ctx.key.data.toString('base64'), refusal, ip)
          .then(offered)
          .catch(() => fail({ ok: false, reason: 'error' }));
        return;
      }
      ctx.reject(methods);
    };
    client.on('authentication', authenticate);
    client.on('ready', () => {
      const who = identity ?? { method: 'gate' as const };
      const event = who.method === 'gate' ? 'gate_login_ok' : 'account_login_ok';
      log.info({ event, method: who.method, account: who.account, environment: who.environment }, 'ssh login ok');
      armIdle();
      let sessions = 0;
      client.on('session', (acceptSession, rejectSession) => {
        if (sessions >= global().ssh_max_sessions_per_connection) {
          rejectSession();
          return;
        }
        sessions++;
        const session = acceptSession();
        session.once('close', () => {
          sessions--;
        });
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
          terms.add(t);
          this.#terminals.add(t);
          this.#o.handler
            .handle(t, who, this.#hints)
            .catch((err: unknown) => log.error({ err }, 'session handler failed'))
            .finally(() => {
              terms.delete(t);
              this.#terminals.delete(t);
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
          this.#o.handler
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
              { ...(size ? { tty: size, term: pty!.term } : {}), env: clientEnv, hints: this.#hints },
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
            this.#o.handler.openContainer(who).then(
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
      });
      // ssh -L: the session engine decides which ports may be reached and dials them from inside the
      // trainee's container (sessions/container-access.ts: openPort); the door counts them per connection.
      let forwards = 0;
      client.on('tcpip', (accept, reject, info) => {
        if (!who.account) {
          reject();
          return;
        }
        // Each forward is a process in the container: a connection may have MAX_FORWARDS open or opening.
        if (forwards >= MAX_FORWARDS) {
          log.info({ event: 'forward_refused', account: who.account, reason: 'too_many' }, 'too many forwards on one connection');
          reject();
          return;
        }
        forwards++;
        let counted = true;
        const done = () => {
          if (counted) {
            counted = false;
            forwards--;
          }
        };
        this.#o.handler
          .openPort(who, info.destIP, info.destPort)
          .then(({ connection: nc, environment }) => {
            const ch = accept();
            busy(ch);
            ch.pipe(nc.stdin);
            nc.stdout.pipe(ch);
            const end = () => {
              try {
                ch.end();
              } catch {
                /* closed */
              }
            };
            void nc.exited.then(end);
            // Data both ways with back-pressure (pipe); a closed channel drops the engine stream, then the process.
            ch.on('close', () => {
              done();
              nc.close();
              void nc.signal('SIGTERM');
            });
            log.info({ event: 'forward_opened', account: who.account, environment, port: info.destPort }, 'port forward');
          })
          .catch((err: unknown) => {
            done();
            log.info({ event: 'forward_refused', account: who.account, port: info.destPort, err: (err as Error).message }, 'forward refused');
            reject();
          });
      });
      client.on('request', (accept, reject) => reject?.());
    });
  }
}

/** Port forwards one connection may have open (or opening) at once. */
const MAX_FORWARDS = 16;

/** Sizes a client may send are clamped to something a TTY accepts. */
function clamp(n: number, fallback = 80): number {
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : fallback;
}
