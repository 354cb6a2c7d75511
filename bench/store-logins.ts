/**
 * Store time of logins through PostgreSQL (issue 14, performance): `--rate` logins per minute (default
 * 1000) arrive on a fixed schedule (open loop: a slow answer does not slow the arrivals), each doing to the
 * store what a password login into `account+env` does, through the real classes that do it:
 * - the account's throttle (AccountThrottle: lockedUntil before the check; a wrong password first for
 *   `--wrong` of them: failed(), then the retry; succeeded() after the right one),
 * - the account read (the password check; scrypt itself is not store time and is left out),
 * - the runner's per-(account, environment) exclusive section: the account's allowed environments and the
 *   ownership row, then either markSeen (a returning trainee) or, for `--new` of them, admission
 *   (countRunning, claimCapacity; Admission) and putOwnership + markStarted + releaseCapacity,
 * - markSeen when the trainee leaves.
 * A login's store time is the wall time of those steps (nothing else runs in them). Target: p99 ≤ 20 ms.
 *
 * The database: `--store postgres://…` (or ISLET_STORE), else a throwaway PostgreSQL started from Debian's
 * package (test/helpers/postgres.ts), removed at the end. `--store sqlite` measures SQLite for comparison.
 * Writes bench/results/<date>-store-logins.json with the commit, machine, command and load average.
 * Usage: node bench/store-logins.ts [--rate 1000] [--logins 1000] [--accounts 300] [--wrong 0.1] [--new 0.2] [--store URL|sqlite]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountThrottle } from '../src/access/account-throttle.ts';
import { Admission } from '../src/sessions/admission.ts';
import { PostgresStore } from '../src/store/postgres-store.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { testRunId } from '../test/helpers/engine.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { pct, round1, writeResult } from './lib/results.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const rate = Number(arg('rate', '1000'));
const logins = Number(arg('logins', '1000'));
const accounts = Number(arg('accounts', '300'));
const wrongShare = Number(arg('wrong', '0.1'));
const newShare = Number(arg('new', '0.2'));
const storeArg = arg('store', process.env.ISLET_STORE ?? '');

const started = new Date().toISOString();
const loadAtStart = loadavg().map(round1);

/** Every store call timed by method (the breakdown beside the per-login figure). */
function timed(store: Store, calls: Map<string, number[]>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'storeId' || prop === 'exclusive') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const list = calls.get(String(prop)) ?? [];
          list.push(performance.now() - t);
          calls.set(String(prop), list);
        }
      };
    },
  });
}

let server: TestPostgres | undefined;
let sqliteDir: string | undefined;
async function openStore(): Promise<{ store: Store; kind: string }> {
  if (storeArg === 'sqlite') {
    sqliteDir = mkdtempSync(join(tmpdir(), 'islet-bench-store-'));
    return { store: new SqliteStore(join(sqliteDir, 'islet.db')), kind: 'sqlite' };
  }
  let url = storeArg;
  if (!url) {
    server = await startPostgres(`b${testRunId()}`);
    url = await server.database('bench');
  }
  return { store: await PostgresStore.open(url), kind: server ? 'postgres (throwaway, Debian package, fsync off)' : 'postgres (given URL)' };
}

const { store: raw, kind } = await openStore();
const calls = new Map<string, number[]>();
try {
  const run = `b${Date.now().toString(36)}`;
  const names = Array.from({ length: accounts }, (_, i) => `${run}u${i}`);
  const now = () => new Date();
  for (const name of names) {
    await raw.createAccount({ name, passwordHash: `scrypt$32768$8$1$${name}`, createdAt: now(), expiresAt: new Date(Date.now() + 86_400_000) });
    await raw.putOwnership({ account: name, environment: 'demo', containerId: `c-${name}`, containerName: `islet.demo.${name}`, createdAt: now() });
    await raw.markStarted(name, 'demo', now());
  }
  const store = timed(raw, calls);
  const throttle = new AccountThrottle(store, () => ({ failures: 10, windowSeconds: 900, firstLockSeconds: 60, maxLockSeconds: 3600 }));
  const admission = new Admission(store, () => ({ maxContainers: accounts * 4, maxPerAccount: 3, waitSeconds: 30 }));

  let seq = 0;
  const login = async (i: number): Promise<number> => {
    const account = names[i % names.length]!;
    const fresh = (i * 7919) % 1000 < newShare * 1000;
    const env = fresh ? `lab${i}` : 'demo';
    const t0 = performance.now();
    if ((i * 104729) % 1000 < wrongShare * 1000) {
      await throttle.lockedUntil(account);
      await store.getAccount(account);
      await throttle.failed(account); // the wrong password; the trainee types it again
    }
    await throttle.lockedUntil(account);
    await store.getAccount(account);
    await throttle.succeeded(account);
    await raw.exclusive(`${account}\0${env}`, async () => {
      await store.getAccount(account); // allowed environments
      const row = await store.getOwnership(account, env);
      if (row) {
        await store.markSeen(account, env, now());
        return;
      }
      const release = await admission.admit(
        account,
        () => undefined,
        () => false,
      );
      await store.putOwnership({ account, environment: env, containerId: `c-${account}-${++seq}`, containerName: `islet.${env}.${account}`, createdAt: now() });
      await store.markStarted(account, env, now());
      release();
    });
    await store.markSeen(account, env, now()); // the trainee leaves
    const took = performance.now() - t0;
    if (fresh) await raw.deleteOwnership(account, env); // keeps per-account counts steady (not part of a login)
    return took;
  };

  const gap = 60_000 / rate;
  const t0 = performance.now();
  const lateness: number[] = [];
  const pending: Promise<number>[] = [];
  for (let i = 0; i < logins; i++) {
    const due = t0 + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lateness.push(performance.now() - due);
    pending.push(login(i));
  }
  const times = await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  const q = (xs: readonly number[]) => ({ p50: round1(pct(xs, 0.5)), p95: round1(pct(xs, 0.95)), p99: round1(pct(xs, 0.99)), max: round1(Math.max(...xs)) });
  const perLogin = q(times);
  const byOp = Object.fromEntries([...calls].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { n: v.length, ...q(v) }]));
  const result = {
    date: started,
    benchmark: 'store-logins',
    store: kind,
    target: 'p99 store time per login <= 20 ms at 1000 logins per minute',
    rate_per_minute: rate,
    achieved_per_minute: round1((logins / elapsed) * 60),
    logins,
    accounts,
    wrong_password_share: wrongShare,
    new_container_share: newShare,
    login_store_ms: perLogin,
    met: perLogin.p99 <= 20,
    schedule_lateness_ms: q(lateness),
    per_operation_ms: byOp,
    load_at_start: loadAtStart,
    load_at_end: loadavg().map(round1),
    quiet_rerun: 'node --disable-warning=ExperimentalWarning bench/store-logins.ts (on an otherwise idle machine)',
  };
  console.log(JSON.stringify({ store: kind, login_store_ms: perLogin, achieved_per_minute: result.achieved_per_minute, met: result.met }));
  writeResult('store-logins', result);
  for (const name of names) await raw.deleteAccount(name);
} finally {
  await raw.close();
  server?.stop();
  if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
}
