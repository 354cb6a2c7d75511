/**
 * The warm pool's claim without rename (issue 14.1), as a suite every backend runs: the fake driver and Docker
 * (src/sessions/warm-pool.test.ts, Docker with `claimBy: 'store'`, so the path a Swarm or Kubernetes driver
 * takes is proven on the engine the other tests use) and Swarm (test/swarm/warm-pool.test.ts, where it is the
 * default because the driver lacks rename). Each world is the runner, the pool and the reconciler wired as in
 * src/compose.ts on a MemoryStore; everything it makes carries a fresh instance name and is removed afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigSource } from '../config/config-source.ts';
import { LifecycleService } from '../lifecycle/lifecycle-service.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_INSTANCE, isUnclaimedPoolName } from '../runtime/names.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { memoryLogger } from '../../test/helpers/unit-world.ts';
import { EnvironmentRunner } from './environment-runner.ts';
import { POOL_CLAIM_PREFIX, WarmPool, poolClaimLease } from './warm-pool.ts';

export interface WarmPoolCaseOptions {
  readonly image: string;
  /** Labels on everything made (tests: islet.test). */
  readonly labels: Readonly<Record<string, string>>;
  /** The claim under test; undefined: the pool's default for this driver. */
  readonly claimBy?: 'rename' | 'store';
  readonly testTimeoutMs?: number;
}

export function warmPoolClaimCases(name: string, makeDriver: () => RuntimeDriver, o: WarmPoolCaseOptions): void {
  describe(`warm pool claim without rename: ${name}`, { concurrency: false, timeout: (o.testTimeoutMs ?? 60_000) * 4 }, () => {
    const instance = `wp${randomBytes(3).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'islet-pool-'));
    let driver: RuntimeDriver;
    const store = new MemoryStore();
    const config = (() => {
      mkdirSync(join(dir, 'environments'));
      writeFileSync(join(dir, 'environments', 'demo.yaml'), `image: ${o.image}\nuser: student\nwarm_pool: 2\n`);
      return new ConfigSource(dir);
    })();
    const env = () => config.current().environments.find((e) => e.name === 'demo')!;
    const { log } = memoryLogger();
    /** One front door: its own pool and runner (as after a restart, or a second `islet serve` on the same store). */
    const doors: WarmPool[] = [];
    const door = () => {
      const pool = new WarmPool({ driver, store, config, log, instance, labels: o.labels, ...(o.claimBy ? { claimBy: o.claimBy } : {}) });
      doors.push(pool); // closed in after: no refill may outlive the suite
      const runner = new EnvironmentRunner({ driver, store, log, instance, extraLabels: o.labels, pool });
      return { pool, runner };
    };
    const ids = async () => (await driver.find({ [LABEL_INSTANCE]: instance })).filter((c) => c.state !== 'removing');
    const account = async (name: string) => {
      const now = new Date();
      await store.createAccount({ name, passwordHash: 'x', createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000) });
    };
    const exec = async (id: string, script: string) => {
      const e = await driver.exec(id, { cmd: ['sh', '-c', script] });
      let out = '';
      e.stdout.on('data', (b: Buffer) => (out += b.toString()));
      e.stdin.end();
      await e.exited;
      e.close();
      return out.trim();
    };
    let ready: string[] = [];

    before(async () => {
      driver = makeDriver();
      const a = door();
      await a.pool.fill();
      ready = (await ids()).map((c) => c.id).sort();
      assert.equal(ready.length, 2, 'the pool made its two ready containers');
    });
    after(async () => {
      for (const p of doors) p.close();
      // A refill already under way may still create one: sweep until the instance stays empty for 2 s.
      for (let quiet = 0, deadline = Date.now() + 30_000; quiet < 2 && Date.now() < deadline; ) {
        const left = await ids().catch(() => []);
        for (const c of left) await driver.remove(c.id).catch(() => undefined);
        quiet = left.length === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 1000));
      }
      rmSync(dir, { recursive: true, force: true });
    });

    test('a new trainee gets a ready container: claimed in the store, no rename, the ownership row names it', {
      timeout: o.testTimeoutMs ?? 60_000,
    }, async () => {
      await account('alice');
      const a = door();
      const id = await a.runner.ensureRunning('alice', env());
      assert.ok(ready.includes(id), `alice got one of the ready containers (${id} in ${ready.join(',')})`);
      const info = await driver.inspect(id);
      const byStore = o.claimBy === 'store' || (o.claimBy === undefined && !!driver.unsupported?.has('rename'));
      if (byStore) {
        assert.ok(info && isUnclaimedPoolName(info.name), `a store claim keeps the pool name (${info?.name})`);
        assert.equal(await store.acquireLease(poolClaimLease(id), 'someone-else', new Date(), new Date(Date.now() + 60_000)), false, 'the claim lease is held');
        assert.equal(
          await store.acquireLease(poolClaimLease(id), a.runner.containerName('demo', 'alice'), new Date(), new Date(Date.now() + 60_000)),
          true,
          'by alice',
        );
      } else assert.equal(info?.name, a.runner.containerName('demo', 'alice'), 'a rename claim gives the canonical name');
      assert.equal((await store.getOwnership('alice', 'demo'))?.containerId, id);
      assert.equal(await exec(id, 'echo $((40+2))'), '42', 'the claimed container runs');
      assert.equal(await a.runner.ensureRunning('alice', env()), id, 'alice comes back to the same container');
    });

    test('two front doors on one store never hand the same ready container to two trainees', { timeout: o.testTimeoutMs ?? 60_000 }, async () => {
      // Both doors load the pool now: the one left after alice's claim (a claimed one is skipped: its row names it).
      const alice = (await store.getOwnership('alice', 'demo'))!.containerId;
      const left = ready.filter((x) => x !== alice);
      assert.equal(left.length, 1);
      const b = door();
      const c = door();
      await account('bob');
      await account('carol');
      const [bob, carol] = await Promise.all([b.runner.ensureRunning('bob', env()), c.runner.ensureRunning('carol', env())]);
      assert.equal(new Set([alice, bob, carol]).size, 3, `three trainees, three containers (${alice} ${bob} ${carol})`);
      assert.equal([bob, carol].filter((x) => x === left[0]).length, 1, 'exactly one of them got the last ready container');
    });

    const reconcilerCase =
      "the reconciler keeps a store-claimed container as its trainee's and unclaimed ones as the pool's; once the account is gone it removes hers (control)";
    test(reconcilerCase, {
      timeout: o.testTimeoutMs ?? 60_000,
    }, async () => {
      const lifecycle = new LifecycleService({ store, driver, config, log, instance, attached: door().runner.attached });
      const alice = (await store.getOwnership('alice', 'demo'))!.containerId;
      await lifecycle.reconcile();
      assert.equal((await driver.inspect(alice))?.state, 'running', 'kept and running');
      assert.equal((await store.getOwnership('alice', 'demo'))?.containerId, alice, 'its row kept');
      // A refilled pool: its unclaimed containers stay the pool's, whatever the passes (earlier doors may refill too).
      for (const p of doors) p.close();
      await door().pool.fill();
      const rows = new Set((await store.listOwnership()).map((r) => r.containerId));
      const fresh = (await ids()).filter((c) => isUnclaimedPoolName(c.name) && !rows.has(c.id));
      assert.ok(fresh.length >= 2, `the pool is full again (${fresh.length} unclaimed)`);
      await store.deleteAccount('alice');
      // Her row went with her account; the claim lease still says the container was claimed: an orphan, removed
      // at the second pass that sees it so (a claim takes the lease just before it writes the row).
      assert.equal((await lifecycle.reconcile()).filter((a) => a.kind === 'remove').length, 0, 'not at the first pass');
      assert.equal((await driver.inspect(alice))?.state, 'running');
      const actions = await lifecycle.reconcile();
      assert.ok(
        actions.some((a) => a.kind === 'remove' && a.containerId === alice && a.reason === 'orphan'),
        `removed as alice's once her account is gone: ${JSON.stringify(actions)}`,
      );
      assert.equal(await driver.inspect(alice), undefined, 'gone from the engine');
      for (const c of fresh) assert.equal((await driver.inspect(c.id))?.state, 'running', 'an unclaimed ready container is left to the pool');
      if (!(o.claimBy === 'store' || (o.claimBy === undefined && !!driver.unsupported?.has('rename')))) return;
      // Her claim's lease outlived the container (it was listed in that pass); the next pass gives it up, and only it.
      const leases = async () => (await store.listLeases(POOL_CLAIM_PREFIX)).map((l) => l.name);
      assert.ok((await leases()).includes(poolClaimLease(alice)), 'the lease of the removed container is still there');
      await lifecycle.reconcile();
      const left = await leases();
      assert.ok(!left.includes(poolClaimLease(alice)), `given up once its container is gone: ${left.join(', ')}`);
      assert.ok(left.length >= 1, 'the claim of bob or carol (the last ready container) stays');
      for (const l of left) assert.ok(await driver.inspect(l.slice(POOL_CLAIM_PREFIX.length)), `${l}: its container lives`);
    });
  });
}
