/**
 * The instructor console's login and the ConsoleGuard every console route
 * uses (contract: console-guard.ts). Instructors are the config's
 * `instructors` (name + scrypt hash, `islet instructor add`).
 *
 * - POST /console/login {name, password}: exact Origin; the same growing
 *   per-address delay as trainee logins (the door's shared AddressFailures,
 *   so failures at either door count together) and the same per-account
 *   back-off, kept per instructor (in the store's instructor_throttle:
 *   instructors are no store accounts); an unknown name costs the same scrypt
 *   check as a known one.
 *   Success sets `__Host-islet-console` and answers the CSRF token.
 * - GET /console/session: who is logged in and the session's CSRF token (401 when nobody).
 * - POST /console/logout (a change: CSRF token needed).
 *
 * Contract: a session ends at `console_session`, at logout, or when its
 * instructor is removed from the config or given a new password, not at a
 * restart (sessions and back-off are in the store: instructor-sessions.ts); every
 * refusal carries a stable code; passwords are never logged or audited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountThrottle } from '../access/account-throttle.ts';
import type { AddressFailures } from '../access/address-failures.ts';
import { LoginThrottle } from '../access/login-throttle.ts';
import { decoyHash, verifyPassword } from '../accounts/password.ts';
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { LoginFailureLimits, LoginFailureOutcome, LoginThrottleState, Store } from '../store/store.ts';
import { nextThrottle } from '../store/throttle-rule.ts';
import { originAllowed } from '../web/origin-check.ts';
import type { WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard, ConsoleHook } from './console-guard.ts';
import { InstructorSessions, type InstructorSession, type SessionStore } from './instructor-sessions.ts';

export interface ConsoleLoginDeps {
  readonly config: ConfigSource;
  /** The doors' per-address failure record (Access.addresses): one delay for an address at every login. */
  readonly addresses: AddressFailures;
  readonly log: Logger;
  /** Where sessions and the per-instructor back-off live (a restart forgets neither). */
  readonly store: InstructorStore;
  readonly now?: () => number;
}

export type InstructorStore = SessionStore & Pick<Store, 'getInstructorThrottle' | 'putInstructorThrottle' | 'deleteInstructorThrottle'>;

/** Detail keys never written to the audit log, whatever a feature passes. */
const SECRET_KEY = /pass(word)?|secret|token|csrf|cookie|key$/i;

/**
 * The per-instructor back-off's state in AccountThrottle's store shape, on the store's instructor rows.
 * A wrong password is a read and a write (not one atomic step as for accounts: two servers failing the same
 * instructor at the same instant may count one failure once).
 */
class InstructorThrottleState {
  readonly #s: InstructorStore;
  constructor(s: InstructorStore) {
    this.#s = s;
  }
  async getLoginThrottle(account: string): Promise<LoginThrottleState | undefined> {
    return this.#s.getInstructorThrottle(account);
  }
  async loginFailed(account: string, now: Date, lim: LoginFailureLimits): Promise<LoginFailureOutcome> {
    const { state, outcome } = nextThrottle(account, await this.#s.getInstructorThrottle(account), now.getTime(), lim);
    await this.#s.putInstructorThrottle(state);
    return outcome;
  }
  async deleteLoginThrottle(account: string): Promise<boolean> {
    return this.#s.deleteInstructorThrottle(account);
  }
  /** AccountThrottle.locked() (the admin's list of locked accounts) is never asked about instructors. */
  async listLoginThrottles(): Promise<LoginThrottleState[]> {
    return [];
  }
}

const fingerprint = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);

export class ConsoleLogin implements ConsoleGuard {
  readonly #d: ConsoleLoginDeps;
  readonly #sessions: InstructorSessions;
  readonly #throttle: LoginThrottle;
  readonly #who = new WeakMap<FastifyRequest, string>();

  constructor(d: ConsoleLoginDeps) {
    this.#d = d;
    const now = d.now ?? Date.now;
    this.#sessions = new InstructorSessions(d.store, now);
    const g = () => d.config.current().global;
    const accounts = new AccountThrottle(
      new InstructorThrottleState(d.store),
      () => ({
        failures: g().account_lock_failures,
        windowSeconds: g().account_failure_window,
        firstLockSeconds: g().account_lock,
        maxLockSeconds: g().account_lock_max,
      }),
      now,
    );
    this.#throttle = new LoginThrottle({ addresses: d.addresses, accounts, maxDelaySeconds: () => g().login_failure_delay, log: d.log, now });
  }

  readonly authenticated: ConsoleHook = async (req, reply) => {
    if (isUpgrade(req) && !(await this.#originOk(req, reply))) return;
    await this.#requireSession(req, reply);
  };

  readonly change: ConsoleHook = async (req, reply) => {
    if (!(await this.#originOk(req, reply))) return;
    const s = await this.#requireSession(req, reply);
    if (!s) return;
    const got = Buffer.from(String(req.headers['x-csrf-token'] ?? ''));
    const want = Buffer.from(s.csrf);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      this.#d.log.warn(
        { event: 'console_csrf_refused', code: 'CONSOLE_CSRF', instructor: s.instructor, client: ip(req), path: routePath(req) },
        'console change without its CSRF token refused',
      );
      await reply.code(403).send({ code: 'CONSOLE_CSRF', message: 'This request lacks the page’s security token; reload the console.' });
    }
  };

  instructorOf(req: FastifyRequest): string {
    const who = this.#who.get(req);
    if (who === undefined) throw new Error('instructorOf: the console guard did not run on this route');
    return who;
  }

  audit(instructor: string, action: string, detail: Readonly<Record<string, unknown>>): void {
    const safe = Object.fromEntries(Object.entries(detail).filter(([k]) => !SECRET_KEY.test(k)));
    this.#d.log.info({ ...safe, event: 'console_audit', instructor, action }, `instructor ${instructor}: ${action}`);
  }

  /** The login, session and logout routes. */
  routes(): WebRoutes {
    return (app) => {
      app.post('/console/login', { bodyLimit: 4096 }, async (req, reply) => {
        if (!(await this.#originOk(req, reply))) return reply;
        const body = (req.body ?? {}) as { name?: unknown; password?: unknown };
        const name = typeof body.name === 'string' ? body.name.slice(0, 64) : '';
        const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
        const r = await this.#login(name, password, ip(req));
        if ('session' in r) {
          const life = this.#d.config.current().global.console_session;
          reply.header('set-cookie', InstructorSessions.cookie(r.key, life));
          return reply.send({ instructor: r.session.instructor, csrf: r.session.csrf, expiresAt: new Date(r.session.expiresAt).toISOString() });
        }
        return reply.code(r.status).send({ code: 'CONSOLE_LOGIN_FAILED', message: r.message });
      });
      app.get('/console/session', { preValidation: this.authenticated }, async (req, reply) => {
        const s = (await this.#sessions.find(InstructorSessions.fromHeader(req.headers.cookie)))!;
        return reply.header('cache-control', 'no-store').send({ instructor: s.instructor, csrf: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() });
      });
      app.post('/console/logout', { preValidation: this.change }, async (req, reply) => {
        const who = this.instructorOf(req);
        await this.#sessions.end(InstructorSessions.fromHeader(req.headers.cookie));
        this.audit(who, 'logout', { client: ip(req) });
        return reply.header('set-cookie', InstructorSessions.clearCookie()).send({ ok: true });
      });
    };
  }

  async #login(name: string, password: string, client: string): Promise<{ key: string; session: InstructorSession } | { status: number; message: string }> {
    const log = this.#d.log;
    const t = this.#throttle;
    if (await t.addressLocked(client)) return { status: 429, message: 'Too many failed logins from this address; try again later.' };
    const instructor = this.#d.config.current().global.instructors.find((i) => i.name === name);
    // Per-instructor back-off, keyed apart from trainee names (a colon is in no account name).
    const key = `instructor:${name}`;
    const paused = instructor ? await t.accountRefusal(key) : undefined;
    const right = await verifyPassword(password, instructor?.password_hash ?? (await decoyHash));
    if (instructor && right && !paused) {
      await t.succeeded(key);
      const opened = await this.#sessions.open(instructor.name, fingerprint(instructor.password_hash), this.#d.config.current().global.console_session);
      this.audit(instructor.name, 'login', { client });
      return opened;
    }
    const v = await t.failed(client, instructor && !paused ? key : undefined);
    log.info(
      {
        event: 'console_login_failed',
        code: 'CONSOLE_LOGIN_FAILED',
        user: name.slice(0, 64),
        reason: !instructor ? 'unknown_instructor' : paused ? 'instructor_throttled' : 'bad_password',
        delayMs: v.delayMs || undefined,
        client,
      },
      'console login failed',
    );
    if (v.addressLocked) log.warn({ event: 'address_locked_out', client }, 'too many failed logins from this address');
    // Only failures wait: a guesser is slowed, a right password never is.
    if (v.delayMs) await new Promise((res) => setTimeout(res, v.delayMs));
    if (v.addressLocked) return { status: 429, message: 'Too many failed logins from this address; try again later.' };
    return { status: 401, message: paused ?? v.message ?? 'Unknown instructor or wrong password.' };
  }

  /** The live session of a request, or undefined after answering 401. */
  async #requireSession(req: FastifyRequest, reply: FastifyReply): Promise<InstructorSession | undefined> {
    const key = InstructorSessions.fromHeader(req.headers.cookie);
    const found = await this.#sessions.find(key);
    const s = this.#current(found);
    if (!s) {
      if (found) await this.#sessions.end(key); // its instructor was removed or given a new password
      await reply.code(401).send({ code: 'CONSOLE_UNAUTHENTICATED', message: 'Log in to the console first.' });
      return undefined;
    }
    this.#who.set(req, s.instructor);
    return s;
  }

  /** The session when its instructor is still configured with the same password hash. */
  #current(s: InstructorSession | undefined): InstructorSession | undefined {
    const i = s && this.#d.config.current().global.instructors.find((x) => x.name === s.instructor);
    return i && fingerprint(i.password_hash) === s.credential ? s : undefined;
  }

  /** Exact Origin (the door's own scheme, host and port, or `web_origins`); answers 403 otherwise. */
  async #originOk(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const tls = !!(req.raw.socket as { encrypted?: boolean }).encrypted;
    if (originAllowed(req.headers.origin, req.headers.host, tls, this.#d.config.current().global.web_origins)) return true;
    this.#d.log.warn(
      {
        event: 'console_origin_refused',
        code: 'CONSOLE_ORIGIN_REFUSED',
        client: ip(req),
        origin: String(req.headers.origin ?? '').slice(0, 200),
        path: routePath(req),
      },
      'console request from another origin refused',
    );
    await reply.code(403).send({ code: 'CONSOLE_ORIGIN_REFUSED', message: 'This request came from another site and was refused.' });
    return false;
  }

  /** True while the session `req` came with is still valid (long-lived sockets check it to close at logout or expiry). */
  alive(req: FastifyRequest): boolean {
    return this.#current(this.#sessions.cached(InstructorSessions.fromHeader(req.headers.cookie))) !== undefined;
  }

  /** Live sessions (for tests and metrics). */
  get sessions(): number {
    return this.#sessions.size;
  }
}

const isUpgrade = (req: FastifyRequest) => String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
const ip = (req: FastifyRequest) => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
const routePath = (req: FastifyRequest) => req.url.split('?')[0]!.slice(0, 200);
