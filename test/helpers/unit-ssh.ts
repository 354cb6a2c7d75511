/**
 * The SSH door (src/sshd/ssh-server.ts) in front of a unit world (unit-world.ts):
 * the real SshServer, ConnectionGuard and host keys as src/main.ts wires them,
 * listening on 127.0.0.1, and an in-process ssh2 Client to talk to it. No
 * engine and no OpenSSH: the session engine behind the door runs on fakes.
 *
 *   const w = unitWorld({ islet: 'login_failure_delay: 0\n' });
 *   const door = await unitSshDoor(w);
 *   t.after(() => door.close().then(() => w.close()));
 *   const c = await door.login({ username: 'demo', password: 'demo' });
 */
import ssh2 from 'ssh2';
import type { AuthenticationType, AuthHandlerMiddleware, ConnectConfig } from 'ssh2';
import { loadHostKeys } from '../../src/sshd/host-keys.ts';
import { ConnectionGuard } from '../../src/sshd/connection-guard.ts';
import { SshServer } from '../../src/sshd/ssh-server.ts';
import type { UnitWorld } from './unit-world.ts';

/** One authentication the client made, and the methods the server offered before it (null: none asked yet). */
export interface AuthStep {
  readonly offered: AuthenticationType[] | null;
  readonly method: string;
}

/** How a client's connection ended: logged in (`client`), or closed before that after `steps`. */
export interface Outcome {
  readonly client?: ssh2.Client;
  readonly error?: Error;
  readonly steps: AuthStep[];
}

export async function unitSshDoor(w: UnitWorld) {
  const guard = new ConnectionGuard(
    () => {
      const g = w.config.current().global;
      return { maxConnections: g.ssh_max_connections, maxPerIp: g.ssh_max_connections_per_ip, newPerIpPerMinute: g.ssh_new_connections_per_ip };
    },
    Date.now,
    (ip) => w.access.addresses.lockedOut(ip),
  );
  const server = new SshServer({ hostKeys: loadHostKeys(w.dir), config: w.config, handler: w.handler, guard, auth: w.auth, log: w.log });
  const { port } = await server.listen('127.0.0.1', 0);
  const clients = new Set<ssh2.Client>();
  return {
    port,
    /**
     * Connects as `username` and answers each authentication request with the next of `tries` (a password
     * string, or `{ key }` an OpenSSH private key); when they run out, the client gives up. Resolves when
     * logged in or when the connection ends, whichever comes first.
     */
    attempt(username: string, tries: ReadonlyArray<string | { key: string }>, extra: Partial<ConnectConfig> = {}): Promise<Outcome> {
      const c = new ssh2.Client();
      clients.add(c);
      const steps: AuthStep[] = [];
      let next = 0;
      const authHandler: AuthHandlerMiddleware = (offered, _partial, cb) => {
        const t = tries[next++];
        if (t === undefined) {
          cb(false as never);
          return;
        }
        const method = typeof t === 'string' ? { type: 'password' as const, username, password: t } : { type: 'publickey' as const, username, key: t.key };
        steps.push({ offered, method: method.type });
        cb(method);
      };
      return new Promise((resolve) => {
        let error: Error | undefined;
        c.on('ready', () => resolve({ client: c, steps }));
        c.on('error', (err) => {
          error = err;
        });
        c.on('close', () => resolve({ ...(error ? { error } : {}), steps }));
        c.connect({ host: '127.0.0.1', port, username, authHandler, readyTimeout: 20_000, ...extra });
      });
    },
    /** Logs in or throws. */
    async login(username: string, credential: string | { key: string }): Promise<ssh2.Client> {
      const o = await this.attempt(username, [credential]);
      if (!o.client) throw new Error(`login as ${username} failed: ${o.error?.message ?? 'closed'}`);
      return o.client;
    },
    async close(): Promise<void> {
      for (const c of clients) c.end();
      await server.close('bye');
    },
  };
}

/** Resolves when the client's connection has closed (true), or false after `ms`. */
export function closedWithin(c: ssh2.Client, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    c.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
