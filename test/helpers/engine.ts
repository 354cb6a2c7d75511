/**
 * Test helpers for anything that makes containers on the real engine.
 *
 * Rule: every container a test creates carries `islet.test=<runId>` (use
 * `testLabels(runId)`), and an `after()` hook calls
 * `sweepTestContainers(runId)`, so a failing test still leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerDriver } from '../../src/runtime/docker/index.ts';

export const LABEL_TEST = 'islet.test';

/** A short id unique to this test run (lower-case, usable in container and user names). */
export function testRunId(): string {
  return `${Date.now().toString(36).slice(-5)}${randomBytes(3).toString('hex')}`;
}

/** The labels that mark a container as this run's. */
export function testLabels(runId: string): Record<string, string> {
  return { [LABEL_TEST]: runId };
}

/**
 * Removes every container labelled `islet.test=<runId>` (running or not, with
 * their anonymous volumes), a few at a time: the driver's removal semaphore
 * caps concurrency (Docker 20.10 deadlocks under many parallel forced removals).
 * Returns how many were removed. Never throws for a container that vanished meanwhile.
 */
export async function sweepTestContainers(runId: string, driver: DockerDriver = new DockerDriver({ maxConcurrentRemovals: 3 })): Promise<number> {
  if (!runId) throw new Error('sweepTestContainers: empty runId would match nothing useful');
  let removed = 0;
  // Twice: a container being created while we list may appear late.
  for (let pass = 0; pass < 2; pass++) {
    const found = await driver.find(testLabels(runId));
    if (found.length === 0) break;
    // Three workers take containers in turn, so no removal waits in the driver's queue (its wait is bounded).
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < found.length) {
          await driver.remove(found[next++]!.id);
          removed++;
        }
      }),
    );
  }
  await sweepTestNetworks(runId);
  return removed;
}

/** Removes the networks a test run made (ISLET's trainee bridge networks carry the run's islet.test label). */
export async function sweepTestNetworks(runId: string): Promise<void> {
  const docker = new Docker();
  const bounded = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('engine call timed out')), 15_000).unref())]);
  const nets = await bounded(docker.listNetworks({ filters: { label: [`islet.test=${runId}`] } }));
  for (const n of nets) await bounded(docker.getNetwork(n.Id).remove()).catch(() => undefined);
}
