/**
 * The web door (fastify + @fastify/websocket): `/` serves a page with a
 * terminal (xterm.js) that speaks the framed protocol of protocol.ts over
 * `/ws`; each WebSocket session logs in through web-login.ts (the same
 * Authenticator and throttles as SSH) and then runs in the same
 * SessionHandler the SSH door calls, through a WebTerminal.
 *
 * Contract: every response carries the strict security headers; a WebSocket
 * upgrade needs an exact Origin and passes the same per-address connection
 * guard as SSH before the upgrade; credentials travel only inside the
 * WebSocket; resume needs the session's HttpOnly `__Host-` cookie.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { Authenticator, DoorHints, Identity, SessionHandler, ShellsOf } from '../sessions/index.ts';
import { MAX_FRAME, parseClientControl, urlHello, type ClientControl, type ServerControl } from './protocol.ts';
import { securityHeaders } from './security-headers.ts';
import { VERSIONED, encoded, staticFiles } from './static-files.ts';
import { originAllowed } from './origin-check.ts';
import { ResumeKeys } from './resume-keys.ts';
import { WebSessions, type WebSession } from './web-sessions.ts';
import { webLogin } from './web-login.ts';

/** The per-address connection limits the SSH door applies (sshd/connection-guard.ts), seen from the web door. */
export interface AddressGuard {
  admit(ip: string): string | undefined;
  closed(ip: string): void;
}

export interface WebDoorOptions {
  readonly config: ConfigSource;
  readonly handler: SessionHandler;
  readonly auth: Authenticator;
  /** The terminals already on a trainee's shell, to offer sharing or taking it over (EnvironmentRunner.shellsOf). */
  readonly shellsOf: ShellsOf;
  /**
   * The door's words for downloads and key enrolment in the menu (web-hints.ts), given the host name the
   * browser addressed (the Host header, for commands when no public_address is configured); none: the engine's.
   */
  readonly hints?: (host: string) => DoorHints;
  readonly guard: AddressGuard;
  readonly log: Logger;
  /** PEM certificate and key: HTTPS and WSS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** The operator endpoints (/healthz, /metrics: src/metrics/observability-routes.ts) served here too; their own rules decide access. */
  readonly operator?: OperatorRoutes;
  /**
   * More routes on the same server (the instructor console: src/console/), registered after the WebSocket
   * plugin so they may serve WebSockets; they get the same security headers and decide their own access.
   */
  readonly routes?: readonly WebRoutes[];
}

/** Registers routes on the web door's fastify instance (inside its plugin scope). */
export type WebRoutes = (app: FastifyInstance) => void | Promise<void>;

/** Answers an operator path (or undefined: not found) given the request's Authorization header. */
export type OperatorRoutes = (
  path: string,
  authorization: string | undefined,
) => Promise<
  | {
      readonly status: number;
      readonly type: string;
      readonly body: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | undefined
>;

/** The host name in a Host header (port dropped, IPv6 kept in brackets); only characters of a host name. */
export function hostName(host: string | undefined): string {
  const h = String(host ?? '').replace(/:\d+$/, '');
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})$/.test(h) ? h : '';
}

/** A page must say hello this soon after connecting. */
const HELLO_TIMEOUT_MS = 10_000;

export class WebDoor {
  readonly #o: WebDoorOptions;
  readonly #app: FastifyInstance;
  readonly #keys = new ResumeKeys();
  readonly #sessions = new WebSessions();
  readonly #tls: boolean;

  constructor(o: WebDoorOptions) {
    this.#o = o;
    this.#tls = !!o.tls;
    this.#app = Fastify({ logger: false, ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}) } as { logger: false });
    const headers = securityHeaders(this.#tls);
    this.#app.addHook('onSend', async (_req, reply) => {
      reply.headers(headers);
    });
    const files = staticFiles();
    void this.#app.register(websocket, { options: { maxPayload: MAX_FRAME, perMessageDeflate: false } });
    void this.#app.register(async (f) => {
      for (const [url, file] of files) {
        f.get(url, async (req, reply) => {
          if (url === '/' && !this.#keys.valid(ResumeKeys.fromHeader(req.headers.cookie))) reply.header('set-cookie', ResumeKeys.cookie(this.#keys.issue()));
          // Revalidated on every load (no-cache) but not sent again while unchanged: a reload costs a few 304s;
          // the versioned URLs (VERSIONED) never change, so they are not even revalidated.
          const e = encoded(file, req.headers['accept-encoding']);
          const cache = url.startsWith(VERSIONED) ? 'public, max-age=31536000, immutable' : 'no-cache';
          reply.type(file.type).header('cache-control', cache).header('etag', e.etag).header('vary', 'accept-encoding');
          if (e.encoding) reply.header('content-encoding', e.encoding);
          return req.headers['if-none-match'] === e.etag ? reply.code(304).send() : reply.send(e.body);
        });
      }
      f.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
      const operator = o.operator;
      if (operator) {
        for (const path of ['/healthz', '/metrics']) {
          f.get(path, async (req, reply) => {
            const r = await operator(path, req.headers.authorization);
            return r
              ? reply
                  .code(r.status)
                  .type(r.type)
                  .headers(r.headers ?? {})
                  .send(r.body)
              : reply.code(404).type('text/plain').send('not found\n');
          });
        }
      }
      const preValidation = async (req: FastifyRequest, reply: FastifyReply) => {
        const why = this.#refuse(req);
        if (why) await reply.code(why.status).send(why.text);
      };
      f.get('/ws', { websocket: true, preValidation }, (ws, req) => this.#onSocket(ws, req));
      for (const routes of o.routes ?? []) await routes(f);
    });
    this.#app.server.on('connection', (s) => s.setNoDelay(true));
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await this.#app.listen({ host, port });
    return this.#app.server.address() as AddressInfo;
  }

  get tls(): boolean {
    return this.#tls;
  }

  /** Tells attached trainees, ends every web session (shells keep running) and stops listening. */
  async close(message = 'ISLET is restarting; reload the page in a moment to resume your session.'): Promise<void> {
    for (const s of this.#sessions.all()) {
      s.term.write(`\r\n${message}\r\n`);
      s.term.close(0);
    }
    await this.#app.close();
  }

  #ip(req: FastifyRequest): string {
    return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }

  /** Before the upgrade: exact Origin, then the per-address limits (which count the socket until it closes). */
  #refuse(req: FastifyRequest): { status: number; text: string } | undefined {
    const ip = this.#ip(req);
    const g = this.#o.config.current().global;
    if (!originAllowed(req.headers.origin, req.headers.host, this.#tls, g.web_origins)) {
      const origin = String(req.headers.origin ?? '').slice(0, 200);
      this.#o.log.warn(
        { event: 'web_origin_refused', code: 'WEB_ORIGIN_REFUSED', client: ip, origin, host: String(req.headers.host ?? '').slice(0, 200) },
        'WebSocket from another origin refused',
      );
      return { status: 403, text: 'origin not allowed' };
    }
    const refusal = this.#o.guard.admit(ip);
    if (refusal) {
      this.#o.log.warn({ event: 'connection_refused', door: 'web', client: ip, reason: refusal }, 'connection refused');
      return { status: 429, text: 'too many connections' };
    }
    req.raw.socket.once('close', () => this.#o.guard.closed(ip));
    return undefined;
  }

  #onSocket(ws: WebSocket, req: FastifyRequest): void {
    const ip = this.#ip(req);
    const log = this.#o.log.child({ client: ip });
    const g = () => this.#o.config.current().global;
    let session: WebSession | undefined;
    const send = (m: ServerControl) => {
      if (ws.readyState === 1) ws.send(JSON.stringify(m));
    };
    const protocolError = (why: string) => {
      log.info({ event: 'web_protocol_error', code: 'WEB_PROTOCOL', why }, 'web client broke the protocol');
      send({ t: 'error', code: 'WEB_PROTOCOL', message: 'The page sent something ISLET does not understand; reload it.' });
      ws.close(4400, 'protocol');
    };
    const hello = setTimeout(() => {
      if (!session) protocolError('no hello');
    }, HELLO_TIMEOUT_MS);
    const early = urlHello(req.url);
    if (early) {
      clearTimeout(hello);
      session = this.#open(ws, req, early, log);
    }
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!session) {
        if (early) return; // refused (capacity): the socket is closing
        const m = binary ? undefined : parseClientControl(data.toString());
        if (m?.t !== 'hello') {
          protocolError('first frame is not hello');
          return;
        }
        clearTimeout(hello);
        session = m.resume ? this.#resume(ws, req, m, m.resume, log) : this.#open(ws, req, m, log);
        return;
      }
      const t = session.term;
      if (binary) {
        t.input(data);
        return;
      }
      const m: ClientControl | undefined = parseClientControl(data.toString());
      switch (m?.t) {
        case 'resize':
          t.resized({ cols: m.cols, rows: m.rows });
          return;
        case 'ack':
          if (!t.ack(m.seq)) protocolError('bad ack');
          return;
        case 'pause':
          t.pauseOutput();
          return;
        case 'resume':
          t.resumeOutput();
          return;
        case 'bye':
          t.close(0);
          return;
        case 'watch-answer':
          t.watchAnswer(m.answer);
          return;
        default:
          protocolError('bad control frame');
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(hello);
      const s = session;
      if (!s || s.term.closed) return;
      s.term.detach(ws);
      if (!s.term.attached) {
        log.info({ event: 'web_socket_lost', session: s.id.slice(0, 8), resumable: !!s.owner }, 'web page disconnected');
        this.#sessions.lost(s, g().web_resume);
      }
    });
  }

  /** A new session: login in the terminal, then the session engine; the terminal closes when it is over. */
  /** `as`: a reloaded page's identity, which skips the login (the resume cookie proved the browser). */
  #open(ws: WebSocket, req: FastifyRequest, m: Extract<ClientControl, { t: 'hello' }>, log: Logger, as?: Identity): WebSession | undefined {
    const g = this.#o.config.current().global;
    if (this.#sessions.size >= g.ssh_max_connections) {
      const full: ServerControl = { t: 'error', code: 'CAPACITY_FULL', message: 'ISLET is full right now; please try again in a few minutes.' };
      ws.send(JSON.stringify(full));
      ws.close(4429, 'full');
      return undefined;
    }
    const key = ResumeKeys.fromHeader(req.headers.cookie);
    const owner = this.#keys.valid(key) ? ResumeKeys.hash(key) : undefined;
    const s = this.#sessions.open({ cols: m.cols, rows: m.rows }, this.#ip(req), owner);
    s.term.attach(ws, 0);
    s.term.control({ t: 'session', id: s.id, resumable: !!owner, resumeSeconds: g.web_resume });
    log.info({ event: 'web_session_opened', session: s.id.slice(0, 8), resumable: !!owner, login: m.login ? 'direct' : 'gate' }, 'web session opened');
    const { config, auth, shellsOf, handler } = this.#o;
    void (async () => {
      try {
        const who = as ?? (await webLogin({ config, auth, shellsOf, log }, s.term, m.login));
        s.identity = who;
        // Straight to a shell: a reload reopens it with the screen model's paint, not a replay of the login.
        if (who?.environment) s.term.log.keepWhole(false);
        if (who && !s.term.closed) await handler.handle(s.term, who, this.#o.hints?.(hostName(req.headers.host)));
      } catch (err) {
        log.error({ err }, 'web session failed');
      } finally {
        s.term.close(0);
        log.info({ event: 'web_session_closed', session: s.id.slice(0, 8) }, 'web session closed');
      }
    })();
    return s;
  }

  /**
   * The page reconnects to its session: same id, same resume cookie, output from its last offset. A reloaded
   * page asks from 0: while the session's output is still kept whole (the gate, an account's menu) it gets it
   * all again and is back where it was; otherwise the session is reopened as whoever logged in.
   */
  #resume(ws: WebSocket, req: FastifyRequest, m: Extract<ClientControl, { t: 'hello' }>, r: { id: string; seq: number }, log: Logger): WebSession | undefined {
    const key = ResumeKeys.fromHeader(req.headers.cookie);
    const found = this.#sessions.find(r.id, this.#keys.valid(key) ? ResumeKeys.hash(key) : undefined, r.seq);
    const ownerHash = this.#keys.valid(key) ? ResumeKeys.hash(key) : undefined;
    const reload = found === 'offset_not_kept' ? this.#sessions.reloaded(r.id, ownerHash) : undefined;
    if (reload?.identity) {
      // A reload: its terminal is empty and the output it lacks is gone. The old session ends (its shell is
      // detached, never stopped) and a new one attaches as the same trainee, which paints the current screen.
      const who = reload.identity;
      this.#sessions.back(reload);
      reload.term.close(0);
      log.info(
        { event: 'web_session_reopened', session: r.id.slice(0, 8), account: who.account, environment: who.environment },
        'reloaded page reopens its session',
      );
      return this.#open(ws, req, m, log, who);
    }
    if (typeof found === 'string') {
      log.info(
        { event: 'web_resume_refused', code: 'WEB_RESUME_REFUSED', reason: found, cookie: key === undefined ? 'missing' : 'present' },
        'web resume refused',
      );
      const refused: ServerControl = { t: 'error', code: 'WEB_RESUME_REFUSED', message: 'That session cannot be resumed; starting a new one.' };
      ws.send(JSON.stringify(refused));
      ws.close(4401, 'resume refused');
      return undefined;
    }
    this.#sessions.back(found);
    ws.send(JSON.stringify({ t: 'resumed', id: found.id, seq: r.seq, end: found.term.log.end } satisfies ServerControl));
    found.term.attach(ws, r.seq);
    log.info({ event: 'web_session_resumed', session: found.id.slice(0, 8), seq: r.seq }, 'web session resumed');
    return found;
  }
}
