/**
 * The SSH door's answers to one connection's authentication requests (ssh-server.ts): at most
 * MAX_AUTH_ATTEMPTS counted failures through the Authenticator (gate logins by password; account logins
 * `alice` / `alice+env` by password or key), each failure answered after the throttle's delay, the last
 * one with a disconnect.
 */
import type { Socket } from 'node:net';
import type { AuthContext, Connection } from 'ssh2';
import type { Logger } from '../logger.ts';
import type { AuthFailure, AuthResult, Authenticator, Identity, PublicKeyLine } from '../sessions/index.ts';
import { keyRefusal } from './public-keys.ts';
import { sendAuthBanner } from './auth-banner.ts';

const MAX_AUTH_ATTEMPTS = 3;

/** Unsigned key offers a connection may make for an account (OpenSSH's own server allows 6 tries). */
const MAX_KEY_OFFERS = 6;

export interface AuthenticateClientOptions {
  readonly client: Connection;
  /** The connection's socket: a held failure is not answered once it is destroyed. */
  readonly socket: Socket;
  /** The client's address in the form the guard admitted (no ::ffff: prefix). */
  readonly ip: string;
  readonly log: Logger;
  readonly auth: Authenticator;
  /** Whether the connection is being hung up: then every request is rejected and no failure answered. */
  readonly dead: () => boolean;
  /** Says goodbye and drops the socket (ssh-server.ts). */
  readonly hangUp: () => void;
  /** A login succeeded: called just before it is accepted. */
  readonly loggedIn: (id: Identity) => void;
}

/** Answers the connection's `authentication` requests until a login succeeds or the connection is hung up. */
export function authenticateClient(o: AuthenticateClientOptions): void {
  const { client, socket, ip, log, auth } = o;
  let attempts = 0;
  let keyOffers = 0;
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
    if (o.dead()) {
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
        if (o.dead() || socket.destroyed) return;
        // The last failure is answered with a disconnect, not "try again": the client never asks a 4th time.
        if (attempts >= MAX_AUTH_ATTEMPTS || r.addressLocked) {
          o.hangUp();
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
      if (o.dead()) {
        ctx.reject();
        return;
      }
      o.loggedIn(id);
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
}
