/**
 * The SSH front door (ssh2). It accepts TCP itself (the ConnectionGuard's
 * per-address limits and the login grace apply before any SSH byte), checks
 * at most 3 authentications per connection through the Authenticator (gate
 * logins; account logins `alice` / `alice+env` by password or key:
 * authenticate-client.ts), adapts each shell channel to a Terminal for the
 * SessionHandler, and serves an account login's exec, SFTP (serve-session.ts)
 * and `ssh -L` inside that account's container.
 *
 * Contract: no trainee input reaches a host shell. The gate login gets only
 * shells (the menu); exec, SFTP and forwarding need an account. Forwards go
 * only to localhost ports the environment lists, dialled inside the
 * container. Other subsystems, `-R`, X11 and agent forwarding are refused.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { Authenticator, DoorHints, Identity, SessionHandler } from '../sessions/index.ts';
import { sshHints } from './ssh-hints.ts';
import type { ConnectionGuard } from './connection-guard.ts';
import { modernAlgorithms } from './algorithms.ts';
import { batchWrites } from './batch-writes.ts';
import type { SshTerminal } from './ssh-terminal.ts';
import { authenticateClient } from './authenticate-client.ts';
import { type Busy, serveSession } from './serve-session.ts';

export interface SshServerOptions {
  readonly hostKeys: Buffer[];
  readonly config: ConfigSource;
  readonly handler: SessionHandler;
  readonly log: Logger;
  readonly guard: ConnectionGuard;
  readonly auth: Authenticator;
}

/** A TCP connection admitted by the guard, before and after SSH takes it over. */
interface Conn {
  readonly socket: Socket;
  readonly ip: string;
  authed: boolean;
}

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
    let dead = false;
    /** Says goodbye and drops the socket: ssh2's end() alone would keep reading what the client sends. */
    const hangUp = () => {
      dead = true;
      client.end();
      setTimeout(() => conn.socket.destroy(), 200).unref();
    };
    let identity: Identity | undefined;
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
    const busy: Busy = (...ends) => {
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
    authenticateClient({
      client,
      socket: conn.socket,
      ip,
      log,
      auth: this.#o.auth,
      dead: () => dead,
      hangUp,
      loggedIn: (id) => {
        identity = id;
        conn.authed = true;
      },
    });
    client.on('ready', () => {
      const who = identity ?? { method: 'gate' as const };
      const event = who.method === 'gate' ? 'gate_login_ok' : 'account_login_ok';
      log.info({ event, method: who.method, account: who.account, environment: who.environment }, 'ssh login ok');
      armIdle();
      const terminals = {
        add: (t: SshTerminal) => {
          terms.add(t);
          this.#terminals.add(t);
        },
        delete: (t: SshTerminal) => {
          terms.delete(t);
          this.#terminals.delete(t);
        },
      };
      const channels = { who, ip, log, handler: this.#o.handler, hints: this.#hints, busy, terminals };
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
        serveSession(session, channels);
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
