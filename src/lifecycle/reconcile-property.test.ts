/**
 * Property tests of LifecycleService.reconcile against an in-memory engine and
 * a real SQLite store: logins, shell exits, resets, account removals, expiries,
 * extensions, `docker rm` behind ISLET's back and containers of another store
 * run in random interleavings WHILE the reconciler reads the store and the
 * engine and while it applies what it decided. Seeded: a failure names its seed;
 * RECONCILE_SEED=<n> replays one (RECONCILE_TRACE=1 prints its steps), RECONCILE_RUNS=<n> runs more.
 *
 * Properties:
 * - the reconciler never removes a container whose account is valid at that moment,
 *   never forgets a row whose container is live, and never touches another store's
 *   containers (nor unlabelled ones this store has no row for);
 * - once the world is quiet, decide, apply, decide again gives nothing, and store and
 *   engine agree (every own container has its row, every row its container).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigSource } from '../config/config-source.ts';
import { environmentSchema, type Environment } from '../config/schema.ts';
import { createLogger } from '../logger.ts';
import { type InstanceInfo, type RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT, LABEL_INSTANCE, LABEL_STORE } from '../runtime/names.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { SeededRandom } from '../../test/helpers/seeded-random.ts';
import { LifecycleService } from './lifecycle-service.ts';

const INSTANCE = 'prop';
const ACCOUNTS = ['ann', 'ben', 'cat', 'dan'];
const ENVS = ['demo', 'lab'];
const DAY = 86_400_000;
const T0 = new Date('2026-11-30T08:00:00Z');

/** The engine, in memory: what RuntimeDriver calls the reconciler makes; `between` runs other actors' steps inside them. */
class MemoryEngine {
  readonly containers = new Map<string, InstanceInfo>();
  #seq = 0;
  between: () => void | Promise<void> = () => {};
  /** Called by the reconciler's own removals (not by the other actors), before the container goes. */
  onRemove: (c: InstanceInfo) => void | Promise<void> = () => {};

  add(name: string, labels: Record<string, string>, state: InstanceInfo['state'] = 'created'): InstanceInfo {
    const c: InstanceInfo = { id: `c${++this.#seq}`, name, image: 'x', state, labels, createdAt: T0 };
    this.containers.set(c.id, c);
    return c;
  }
  byName(name: string): InstanceInfo | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }
  setState(id: string, state: InstanceInfo['state']): void {
    const c = this.containers.get(id);
    if (c) this.containers.set(id, { ...c, state });
  }

  readonly driver = {
    find: async (labels: Record<string, string>): Promise<InstanceInfo[]> => {
      await this.between();
      const list = [...this.containers.values()].filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v));
      await this.between();
      return list;
    },
    inspect: async (idOrName: string): Promise<InstanceInfo | undefined> => {
      await this.between();
      return this.containers.get(idOrName) ?? this.byName(idOrName);
    },
    // The others act after a removal, not inside it: the reconciler checks the store right before each removal,
    // and nothing closes the gap between that check and the engine call across processes.
    remove: async (id: string): Promise<void> => {
      const c = this.containers.get(id);
      if (c) await this.onRemove(c);
      this.containers.delete(id);
      await this.between();
    },
  } as unknown as RuntimeDriver;
}

/** One step of another actor (a login, an admin command, the engine); false when it is finished. */
type Steps = AsyncIterator<void, void>;

class World {
  readonly rng: SeededRandom;
  readonly engine = new MemoryEngine();
  readonly store = new SqliteStore(':memory:');
  readonly foreign = new Set<string>();
  readonly violations: string[] = [];
  /** Other actors in flight, at most one per account (the runner serialises per pair, the admin per account). */
  readonly #busy = new Map<string, Steps>();
  #acting = false;
  readonly lifecycle: LifecycleService;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    const environments: Environment[] = ENVS.map((name) => ({ ...environmentSchema.parse({ image: 'x' }), name, source: `${name}.yaml` }));
    const config = { current: () => ({ environments, global: { reconcile_interval: 60 } }) } as unknown as ConfigSource;
    this.lifecycle = new LifecycleService({
      store: this.store,
      driver: this.engine.driver,
      config,
      log: createLogger({ level: 'silent' }),
      instance: INSTANCE,
      attached: new AttachRegistry(),
      now: () => T0,
    });
    this.engine.onRemove = async (c) => {
      const account = c.labels[LABEL_ACCOUNT];
      if (this.foreign.has(c.id)) this.violations.push(`removed ${c.name} of another store`);
      else if (account && (await this.#valid(account))) this.violations.push(`removed ${c.name} while its account ${account} is valid`);
    };
    const deleteOwnership = this.store.deleteOwnership.bind(this.store);
    this.store.deleteOwnership = async (account, environment) => {
      const row = await this.store.getOwnership(account, environment);
      if (!this.#acting && row && this.engine.containers.has(row.containerId))
        this.violations.push(`forgot ${account}/${environment} while its container ${row.containerId} lives`);
      await deleteOwnership(account, environment);
    };
  }

  async #valid(account: string): Promise<boolean> {
    const a = await this.store.getAccount(account);
    return !!a && a.expiresAt.getTime() > T0.getTime();
  }
  #name(account: string, env: string): string {
    return `${INSTANCE}.${env}.${account}`;
  }

  /** A login as the runner does it: account, find, create, record, start; each a step others may interleave with. */
  async *#login(account: string, env: string): Steps {
    if (!(await this.store.getAccount(account))) {
      await this.store.createAccount({ name: account, passwordHash: 'h', createdAt: T0, expiresAt: new Date(T0.getTime() + DAY) });
      yield;
    }
    if (!(await this.#valid(account))) return; // an expired account cannot log in
    const row = await this.store.getOwnership(account, env);
    let c = (row && this.engine.containers.get(row.containerId)) || this.engine.byName(this.#name(account, env));
    if (c && !row) await this.store.putOwnership({ account, environment: env, containerId: c.id, containerName: c.name, createdAt: c.createdAt });
    if (!c) {
      if (row) await this.store.deleteOwnership(account, env);
      c = this.engine.add(this.#name(account, env), {
        [LABEL_INSTANCE]: INSTANCE,
        [LABEL_STORE]: this.store.storeId(),
        [LABEL_ACCOUNT]: account,
        [LABEL_ENVIRONMENT]: env,
      });
      yield;
      if (!this.engine.containers.has(c.id)) return; // removed behind our back: the login fails
      await this.store.putOwnership({ account, environment: env, containerId: c.id, containerName: c.name, createdAt: c.createdAt });
      yield;
    }
    if (c.state !== 'running' && this.engine.containers.has(c.id)) {
      this.engine.setState(c.id, 'running');
      await this.store.markStarted(account, env, T0);
    }
  }

  /** `islet remove`: each container and its row, then the account. */
  async *#removeAccount(account: string): Steps {
    for (const o of await this.store.listOwnership(account)) {
      this.engine.containers.delete(o.containerId);
      yield;
      await this.store.deleteOwnership(account, o.environment);
      yield;
    }
    await this.store.deleteAccount(account);
  }

  async *#one(fn: () => void | Promise<void>): Steps {
    await fn();
  }

  async #start(): Promise<void> {
    const account = this.rng.pick(ACCOUNTS);
    if (this.#busy.has(account)) return;
    const env = this.rng.pick(ENVS);
    const r = this.rng.int(10);
    const row = await this.store.getOwnership(account, env);
    const steps: Steps =
      r < 4
        ? this.#login(account, env)
        : r === 4
          ? this.#one(async () => {
              if (row) {
                this.engine.setState(row.containerId, 'exited');
                await this.store.markStopped(account, env, 'shell exited');
              }
            })
          : r === 5
            ? this.#one(() => {
                if (row) this.engine.containers.delete(row.containerId);
              }) // docker rm behind ISLET's back
            : r === 6
              ? this.#removeAccount(account)
              : r === 7
                ? this.#one(async () => {
                    await this.store.setExpiry(account, new Date(T0.getTime() - 1));
                  })
                : r === 8
                  ? this.#one(async () => {
                      await this.store.setExpiry(account, new Date(T0.getTime() + DAY));
                    })
                  : this.#one(() => {
                      // another ISLET (another store, or one from before store ids) on the same engine and instance name
                      const labels: Record<string, string> = { [LABEL_INSTANCE]: INSTANCE, [LABEL_ACCOUNT]: account, [LABEL_ENVIRONMENT]: env };
                      if (this.rng.chance(0.5)) labels[LABEL_STORE] = 'another-store';
                      this.foreign.add(this.engine.add(`${INSTANCE}.${env}.${account}.other${this.foreign.size}`, labels, 'running').id);
                    });
    if (process.env.RECONCILE_TRACE) console.log('start', account, env, r);
    this.#busy.set(account, steps);
  }

  /** Runs up to `n` steps of other actors, starting new ones at random. */
  async act(n: number): Promise<void> {
    this.#acting = true;
    try {
      for (let i = 0; i < n; i++) {
        if (this.#busy.size === 0 || this.rng.chance(0.4)) await this.#start();
        const keys = [...this.#busy.keys()];
        if (keys.length === 0) continue;
        const k = this.rng.pick(keys);
        if ((await this.#busy.get(k)!.next()).done) this.#busy.delete(k);
      }
    } finally {
      this.#acting = false;
    }
  }

  /** Lets every actor in flight finish. */
  async settle(): Promise<void> {
    this.#acting = true;
    try {
      for (const [k, s] of this.#busy) {
        while (!(await s.next()).done) {
          /* run to the end */
        }
        this.#busy.delete(k);
      }
    } finally {
      this.#acting = false;
    }
  }

  /** Store and engine agree on this store's containers; the other store's are all still there. */
  async consistent(): Promise<string[]> {
    const out: string[] = [];
    const own = [...this.engine.containers.values()].filter((c) => !this.foreign.has(c.id));
    const rows = await this.store.listOwnership();
    for (const c of own) if (!rows.some((o) => o.containerId === c.id)) out.push(`container ${c.name} has no row`);
    for (const o of rows) if (!this.engine.containers.has(o.containerId)) out.push(`row ${o.account}/${o.environment} names a missing container`);
    for (const id of this.foreign) if (!this.engine.containers.has(id)) out.push(`foreign ${id} vanished`);
    return out;
  }
}

const RUNS = Number(process.env.RECONCILE_RUNS ?? 300);
const seeds = process.env.RECONCILE_SEED ? [Number(process.env.RECONCILE_SEED)] : Array.from({ length: RUNS }, (_, i) => 0x1517 + i * 7919);

test(`reconcile under random interleavings (${seeds.length} seeds): never removes valid work or other stores' containers; decide, apply, decide again gives nothing`, async () => {
  let actions = 0;
  for (const seed of seeds) {
    const w = new World(seed);
    for (let round = 0; round < 12; round++) {
      await w.act(w.rng.int(6));
      // Other actors keep going while the reconciler reads the store, lists the engine and applies its decisions.
      w.engine.between = () => w.act(w.rng.int(3));
      const acts = await w.lifecycle.reconcile();
      if (process.env.RECONCILE_TRACE) console.log('reconcile', round, JSON.stringify(acts), w.violations);
      actions += acts.length;
      w.engine.between = () => {};
      assert.deepEqual(w.violations, [], `seed ${seed}, round ${round}`);
    }
    await w.settle();
    const first = await w.lifecycle.reconcile(true);
    await w.lifecycle.reconcile();
    const again = await w.lifecycle.reconcile(true);
    assert.deepEqual(again, [], `seed ${seed}: decide, apply, decide again gives nothing (first decision: ${JSON.stringify(first)})`);
    assert.deepEqual(await w.consistent(), [], `seed ${seed}: store and engine agree`);
    assert.deepEqual(w.violations, [], `seed ${seed}`);
    await w.store.close();
  }
  assert.ok(actions > seeds.length, `the runs made the reconciler act (${actions} actions), so the properties were exercised`);
});

test("a container created between the store read and the engine listing is never removed; a truly deleted account's is", async () => {
  for (const deleted of [false, true]) {
    const w = new World(1);
    let fired = false;
    // The whole login of a brand-new account happens after the first store read, before the listing.
    w.engine.between = async () => {
      if (fired) return;
      fired = true;
      await w.store.createAccount({ name: 'newbie', passwordHash: 'h', createdAt: T0, expiresAt: new Date(T0.getTime() + DAY) });
      const c = w.engine.add(
        `${INSTANCE}.demo.newbie`,
        { [LABEL_INSTANCE]: INSTANCE, [LABEL_STORE]: w.store.storeId(), [LABEL_ACCOUNT]: 'newbie', [LABEL_ENVIRONMENT]: 'demo' },
        'running',
      );
      await w.store.putOwnership({
        account: 'newbie',
        environment: 'demo',
        containerId: c.id,
        containerName: c.name,
        createdAt: T0,
        state: 'running',
        startedAt: T0,
      });
      if (deleted) await w.store.deleteAccount('newbie'); // control: the account is really gone by the second read
    };
    await w.lifecycle.reconcile();
    w.engine.between = () => {};
    const left = w.engine.byName(`${INSTANCE}.demo.newbie`);
    if (deleted) assert.equal(left, undefined, 'control: the container of an account that is gone is removed');
    else {
      assert.ok(left, 'the new container is kept');
      assert.equal((await w.store.getOwnership('newbie', 'demo'))?.containerId, left.id, 'and its row');
      assert.deepEqual(await w.lifecycle.reconcile(true), [], 'the next pass finds nothing to do');
    }
    await w.store.close();
  }
});
