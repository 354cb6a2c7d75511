/**
 * Store time of logins through PostgreSQL (issue 14, performance): `--rate` logins per minute (default 1000)
 * arrive on a fixed schedule (open loop: a slow answer does not slow the arrivals). Each is a real login
 * through ISLET's own classes, wired as src/main.ts wires them (test/helpers/unit-world.ts) on the given store:
 * the Authenticator's password login of `account+env` (address and account throttles, the account read; a
 * wrong password first for `--wrong` of them), then the session (MenuSession: the greeting's account read,
 * the EnvironmentRunner under the pair's exclusive section, admission and a new container for `--new` of
 * them, on the fake engine), the shell's prompt, and the trainee leaving.
 *
 * "Store time" is the time spent inside Store calls made by that login (an AsyncLocalStorage context
 * per login sums every call, and exclusive()'s lock and unlock around the section); the password check
 * itself (scrypt) is replaced by a constant-time compare, being CPU and no store time. Round trips per
 * login are counted by PostgresStore (every query, lock and unlock), exactly for one login of each kind
 * made alone before the run, and on average over the run. Target: p99 store time ≤ 20 ms.
 *
 * The database: `--store postgres://…` (or ISLET_STORE), else a throwaway PostgreSQL started from Debian's
 * package (test/helpers/postgres.ts), removed at the end. `--store sqlite` measures SQLite for comparison.
 * Writes bench/results/<date>-store-logins.json (ISLET_BENCH_RESULTS: another directory) with the commit,
 * machine, command and load average.
 * Usage: node bench/store-logins.ts [--rate 1000] [--seconds 75] [--accounts 300] [--wrong 0.1] [--new 0.2] [--store URL|sqlite]
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../src/store/postgres-store.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { testRunId } from '../test/helpers/engine.ts';
import { MemoryTerminal } from '../test/helpers/memory-terminal.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { unitWorld } from '../test/helpers/unit-world.ts';
import { pct, round1, writeResult } from './lib/results.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const rate = Number(arg('rate', '1000'));
const seconds = Number(arg('seconds', '75'));
const accounts = Number(arg('accounts', '300'));
const wrongShare = Number(arg('wrong', '0.1'));
const newShare = Number(arg('new', '0.2'));
const storeArg = arg('store', process.env.ISLET_STORE ?? '');
const logins = Math.round((rate * seconds) / 60);

const started = new Date().toISOString();
const loadAtStart = loadavg().map(round1);

/** What one login spent in the store; round trips counted by the store (exact for a login made alone). */
interface Spent {
  ms: number;
  calls: number;
  roundTrips: number;
}
const current = new AsyncLocalStorage<Spent>();
const byOp = new Map<string, number[]>();
const note = (op: string, ms: number) => {
  const s = current.getStore();
  if (!s) return;
  s.ms += ms;
  s.calls++;
  const list = byOp.get(op) ?? [];
  list.push(ms);
  byOp.set(op, list);
};

/** The store with every call timed into the calling login's context (exclusive: its lock and its unlock, not the section). */
function timed(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (prop === 'storeId') return v.bind(target);
      if (prop === 'exclusive')
        return async (key: string, fn: () => Promise<unknown>) => {
          const t0 = performance.now();
          let t1 = 0;
          const out = await target.exclusive(key, async () => {
            note('exclusive (lock)', performance.now() - t0);
            try {
              return await fn();
            } finally {
              t1 = performance.now();
            }
          });
          note('exclusive (unlock)', performance.now() - t1);
          return out;
        };
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          note(String(prop), performance.now() - t);
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
const roundTrips = () => (raw instanceof PostgresStore ? raw.roundTrips : Number.NaN);
const RIGHT = 'right-password';
const world = unitWorld({
  store: timed(raw),
  callTimeoutMs: 30_000,
  islet: `max_containers: ${accounts * 4}\nmax_containers_per_account: 5\n`,
  environments: {
    demo: 'image: islet/demo:latest\nuser: student\ndescription: returning trainees\n',
    fresh: 'image: islet/demo:latest\nuser: student\ndescription: a new container each time\n',
  },
  verify: async (password) => password === RIGHT,
});
try {
  const run = `b${Date.now().toString(36)}`;
  const names = Array.from({ length: accounts }, (_, i) => `${run}u${i}`);
  const expiresAt = new Date(world.now().getTime() + 86_400_000);
  for (const name of names) {
    await raw.createAccount({ name, passwordHash: 'scrypt$32768$8$1$bench$bench', createdAt: world.now(), expiresAt });
    await world.runner.ensureRunning(name, world.env('demo')); // every account a returning trainee of demo
  }

  const prompt = async (term: MemoryTerminal) => {
    const deadline = Date.now() + 60_000;
    while (!/\$ $/.test(term.output)) {
      if (Date.now() > deadline) throw new Error(`no prompt; output ends with ${JSON.stringify(term.output.slice(-200))}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  /** One login; its store time (ms) and store calls. The new container is removed afterwards, outside the login. */
  const login = async (i: number, wrong: boolean, fresh: boolean): Promise<Spent> => {
    const a = i % names.length;
    const account = names[a]!;
    const env = fresh ? 'fresh' : 'demo';
    const client = `10.${(a >> 8) & 255}.${a & 255}.1`;
    const spent: Spent = { ms: 0, calls: 0, roundTrips: 0 };
    const rt0 = roundTrips();
    await current.run(spent, async () => {
      if (wrong) {
        const r = await world.auth.password(`${account}+${env}`, 'typo', client);
        if (r.ok) throw new Error('a wrong password was accepted');
      }
      const r = await world.auth.password(`${account}+${env}`, RIGHT, client);
      if (!r.ok) throw new Error(`login refused: ${r.reason}`);
      const term = new MemoryTerminal();
      const done = world.handler.handle(term, r.identity);
      await prompt(term);
      term.close(); // the trainee leaves
      await done;
    });
    spent.roundTrips = roundTrips() - rt0;
    if (fresh) await world.runner.reset(account, 'fresh');
    return spent;
  };

  // One login of each kind alone: its exact round trips and store calls.
  const probe = async (i: number, wrong: boolean, fresh: boolean) => {
    const s = await login(i, wrong, fresh);
    return { round_trips: s.roundTrips, store_calls: s.calls, store_ms: round1(s.ms) };
  };
  const perLogin = {
    returning: await probe(0, false, false),
    new_container: await probe(1, false, true),
    wrong_password_first: await probe(2, true, false),
  };
  console.log(JSON.stringify({ round_trips_per_login: perLogin }));
  byOp.clear();

  const gap = 60_000 / rate;
  const rtBefore = roundTrips();
  const t0 = performance.now();
  const lateness: number[] = [];
  const pending: Promise<Spent>[] = [];
  for (let i = 0; i < logins; i++) {
    const due = t0 + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lateness.push(performance.now() - due);
    pending.push(login(i, (i * 104729) % 1000 < wrongShare * 1000, (i * 7919) % 1000 < newShare * 1000));
  }
  const spent = await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  const rtRun = roundTrips() - rtBefore;
  const q = (xs: readonly number[]) => ({ p50: round1(pct(xs, 0.5)), p95: round1(pct(xs, 0.95)), p99: round1(pct(xs, 0.99)), max: round1(Math.max(...xs)) });
  const storeMs = q(spent.map((s) => s.ms));
  const ops = Object.fromEntries([...byOp].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { n: v.length, ...q(v) }]));
  const result = {
    date: started,
    benchmark: 'store-logins',
    store: kind,
    target: 'p99 store time per login <= 20 ms at 1000 logins per minute',
    measures:
      'store time: the time inside Store calls made by each real login (Authenticator, MenuSession, EnvironmentRunner on the fake engine), ' +
      'exclusive lock and unlock included; scrypt left out',
    rate_per_minute: rate,
    achieved_per_minute: round1((logins / elapsed) * 60),
    seconds: round1(elapsed),
    logins,
    accounts,
    wrong_password_share: wrongShare,
    new_container_share: newShare,
    login_store_ms: storeMs,
    met: storeMs.p99 <= 20,
    round_trips_per_login: perLogin,
    round_trips_per_login_in_run: round1(rtRun / logins),
    store_calls_per_login_in_run: round1(spent.reduce((n, s) => n + s.calls, 0) / logins),
    schedule_lateness_ms: q(lateness),
    per_operation_ms: ops,
    load_at_start: loadAtStart,
    load_at_end: loadavg().map(round1),
    quiet_rerun: 'node --disable-warning=ExperimentalWarning bench/store-logins.ts (on an otherwise idle machine)',
  };
  console.log(
    JSON.stringify({
      store: kind,
      login_store_ms: storeMs,
      achieved_per_minute: result.achieved_per_minute,
      round_trips_per_login_in_run: result.round_trips_per_login_in_run,
      met: result.met,
      load: [loadAtStart, result.load_at_end],
    }),
  );
  writeResult('store-logins', result);
  for (const name of names) await raw.deleteAccount(name);
} finally {
  await world.close(); // removes the fake containers and closes the store
  server?.stop();
  if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
}
