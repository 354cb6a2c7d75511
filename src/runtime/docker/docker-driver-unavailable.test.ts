/**
 * DockerDriver when the engine cannot answer: a dead socket, an engine that
 * accepts connections and never answers (moby#42545's deadlock), and a slow
 * one with a queue longer than one call limit. Stub sockets stand in for the
 * engine, so these run in the fast loop (no container engine needed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentSchema, type Environment } from '../../config/schema.ts';
import { IsletError } from '../../core/islet-error.ts';
import { testLabels, testRunId } from '../../../test/helpers/engine.ts';
import { DockerDriver, MSG_BUSY } from './index.ts';

const IMAGE = 'islet/demo:latest';
// Nothing is created (no engine answers); the labels are what a create would carry.
const labels = testLabels(testRunId());

function environment(): Environment {
  return { ...environmentSchema.parse({ image: IMAGE }), name: 'dtest', source: 'docker-driver-unavailable.test' };
}

function isUnavailable(e: unknown): boolean {
  return e instanceof IsletError && e.code === 'RUNTIME_UNAVAILABLE' && e.userMessage === MSG_BUSY;
}

describe('DockerDriver when the engine is down or hung', { timeout: 30_000 }, () => {
  let dir: string;
  let server: Server;
  const sockets = new Set<Socket>();
  let open = 0,
    maxOpen = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'islet-hung-'));
    // Accepts connections and never answers: a deadlocked engine.
    server = createServer((s) => {
      sockets.add(s);
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('close', () => {
        sockets.delete(s);
        open--;
      });
      s.on('error', () => undefined);
      s.resume();
    });
    await new Promise<void>((r) => server.listen(join(dir, 'hung.sock'), r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a dead socket path fails fast with RUNTIME_UNAVAILABLE', async () => {
    // A call limit far above the bound below: a call that waited for it instead of failing at once cannot pass, while
    // a busy machine (ten fast failures took 2.9 s under a load of ~100) still does.
    const dead = new DockerDriver({ socketPath: '/nonexistent/islet/docker.sock', callTimeoutMs: 20_000 });
    const t0 = performance.now();
    await assert.rejects(dead.inspect('x'), isUnavailable);
    await assert.rejects(dead.find(labels), isUnavailable);
    await assert.rejects(dead.hasImage(IMAGE), isUnavailable);
    await assert.rejects(dead.ensureImage(IMAGE), isUnavailable);
    await assert.rejects(dead.create({ name: 'islet-dead', env: environment(), labels }), isUnavailable);
    await assert.rejects(dead.attach('x'), isUnavailable);
    await assert.rejects(dead.start('x'), isUnavailable);
    await assert.rejects(dead.stop('x', 0), isUnavailable);
    await assert.rejects(dead.remove('x'), isUnavailable);
    await assert.rejects(dead.resize('x', { cols: 80, rows: 24 }), isUnavailable);
    assert.ok(performance.now() - t0 < 10_000, 'all ten calls failed at once, none waited for the 20 s call limit');
  });

  test('a hung engine: every call gives up after callTimeoutMs with RUNTIME_UNAVAILABLE', async () => {
    const hung = new DockerDriver({ socketPath: join(dir, 'hung.sock'), callTimeoutMs: 300 });
    for (const [what, call] of [
      ['inspect', () => hung.inspect('x')],
      ['attach', () => hung.attach('x')],
      ['start', () => hung.start('x')],
      ['stop', () => hung.stop('x', 0)],
      ['ensureImage', () => hung.ensureImage(IMAGE)],
    ] as const) {
      const t0 = performance.now();
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(isUnavailable(e), `${what}: ${String(e)}`);
        assert.equal((e as IsletError).detail.op !== undefined, true);
        return true;
      });
      const ms = performance.now() - t0;
      assert.ok(ms >= 250 && ms < 2000, `${what} gave up after ${ms.toFixed(0)} ms`);
    }
  });

  test('mutations and removals are capped; waiting for a slot is bounded', async () => {
    const hung = new DockerDriver({
      socketPath: join(dir, 'hung.sock'),
      callTimeoutMs: 400,
      slotWaitMs: 400,
      maxConcurrentMutations: 2,
      maxConcurrentRemovals: 1,
    });
    // The server sees a client's abort a moment later: start each phase from zero open connections.
    const quiet = async (): Promise<void> => {
      for (const s of sockets) s.destroy();
      while (open > 0) await new Promise((r) => setTimeout(r, 10));
      maxOpen = 0;
    };
    await quiet();
    const starts = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => hung.start(`c${i}`)));
    assert.ok(starts.every((r) => r.status === 'rejected' && isUnavailable(r.reason)));
    assert.ok(maxOpen <= 2, `at most 2 mutations at once, saw ${maxOpen}`);
    await quiet();
    const removes = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => hung.remove(`c${i}`)));
    assert.ok(removes.every((r) => r.status === 'rejected' && isUnavailable(r.reason)));
    assert.ok(maxOpen <= 1, `at most 1 removal at once, saw ${maxOpen}`);
  });
});

describe('a slow engine and a long queue', () => {
  test('mutations queued longer than one call limit wait their turn instead of failing (a 300-trainee storm on one host)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-slow-'));
    // Answers every start after 150 ms: slow, not hung.
    let inFlight = 0,
      peak = 0;
    const slow = createHttpServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(204).end();
      }, 150);
      req.resume();
    });
    await new Promise<void>((r) => slow.listen(join(dir, 'slow.sock'), r));
    try {
      const opts = { socketPath: join(dir, 'slow.sock'), callTimeoutMs: 400, maxConcurrentMutations: 2 };
      // Control: with the slot wait as short as a call, the tail of the queue fails (the probe can fail).
      const shared = new DockerDriver({ ...opts, slotWaitMs: 400 });
      const shortWait = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => shared.start(`c${i}`)));
      assert.ok(
        shortWait.some((r) => r.status === 'rejected' && isUnavailable(r.reason) && /no free engine slot/.test((r.reason as IsletError).message)),
        'a short slot wait fails the tail of the queue',
      );
      peak = 0;
      const queued = new DockerDriver(opts);
      const all = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => queued.start(`c${i}`)));
      assert.deepEqual(
        all.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
        [],
        'every queued start succeeded',
      );
      assert.ok(peak <= 2, `at most 2 mutations at once, saw ${peak}`);
    } finally {
      await new Promise<void>((r) => slow.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
