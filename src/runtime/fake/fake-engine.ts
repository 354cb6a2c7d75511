/**
 * The fake engine: the state every FakeDriver on it shares (as DockerDrivers
 * share one Docker engine), and the script tests use to make it misbehave.
 *
 *   const engine = new FakeEngine();
 *   engine.behaviour.startDelayMs = 3000;              // a slow start
 *   engine.behaviour.neverStarts = true;               // start times out (RUNTIME_UNAVAILABLE)
 *   engine.behaviour.fail = { create: 'RUNTIME_FAILED', attach: 'RUNTIME_UNAVAILABLE' };
 *   engine.behaviour.exitOnStart = 1;                   // the main process dies at once
 *   await engine.exit('islet.demo.alice', 3);          // the shell exits now with status 3
 *
 * `calls` records every driver call by operation name, so a test can assert
 * what the login path asked of the engine.
 */
import { randomBytes } from 'node:crypto';
import type { InstanceInfo } from '../runtime-driver.ts';
import { DEMO_IMAGE, type FakeImage } from './fake-image.ts';
import type { FakeInstance } from './fake-instance.ts';

export type FakeOperation =
  | 'hasImage'
  | 'ensureImage'
  | 'create'
  | 'inspect'
  | 'find'
  | 'attach'
  | 'exec'
  | 'rename'
  | 'putArchive'
  | 'getArchive'
  | 'start'
  | 'resize'
  | 'stop'
  | 'remove'
  | 'ensureNetwork'
  | 'diskUsage'
  | 'cpuTime'
  | 'cpuWaited'
  | 'groupCpuTime'
  | 'setCpuWeight';

export interface FakeBehaviour {
  /** start() takes this long before it returns and the main process runs (a slow engine). */
  startDelayMs?: number;
  /** start() never completes: it fails with RUNTIME_UNAVAILABLE after the driver's callTimeoutMs, as a hung engine does. */
  neverStarts?: boolean;
  /** These operations fail at once: RUNTIME_FAILED (the engine refuses) or RUNTIME_UNAVAILABLE (the engine cannot be reached). */
  fail?: Partial<Record<FakeOperation, 'RUNTIME_FAILED' | 'RUNTIME_UNAVAILABLE'>>;
  /** The main process exits with this status as soon as it starts (a broken image or command). */
  exitOnStart?: number;
}

export class FakeEngine {
  /** Images on the engine (reference → image); starts with islet/demo:latest. */
  readonly images = new Map<string, FakeImage>([['islet/demo:latest', DEMO_IMAGE]]);
  /** Images a pull can fetch; anything else fails to pull. */
  readonly registry = new Map<string, FakeImage>();
  readonly instances = new Map<string, FakeInstance>();
  readonly networks = new Map<string, { readonly subnets: string[]; readonly labels: Readonly<Record<string, string>> }>();
  readonly behaviour: FakeBehaviour = {};
  readonly calls: FakeOperation[] = [];
  /** A fresh 64-hex-digit id, as the engine makes. */
  newId(): string {
    return randomBytes(32).toString('hex');
  }

  /** The instance by full id, unique id prefix, or name (what the engine accepts). */
  lookup(idOrName: string): FakeInstance | undefined {
    const byId = this.instances.get(idOrName);
    if (byId) return byId;
    const all = [...this.instances.values()];
    const byName = all.find((i) => i.name === idOrName);
    if (byName) return byName;
    const prefixed = idOrName.length >= 1 ? all.filter((i) => i.id.startsWith(idOrName)) : [];
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  /** Makes a running instance's main process exit now with `code` (as if the trainee typed `exit code`). */
  async exit(idOrName: string, code: number): Promise<void> {
    await this.lookup(idOrName)?.kill('SIGKILL', code);
  }

  /** CPU time of the instances removed so far, which the group's count keeps (as a cgroup parent's does). */
  #retiredCpuNs = 0;

  /** Takes an instance off the engine (removed); its CPU time stays in groupCpuNs(). */
  drop(inst: FakeInstance): void {
    if (this.instances.delete(inst.id)) this.#retiredCpuNs += inst.cpuNs;
  }

  /** The CPU time of the one group every instance runs in (RuntimeDriver.groupCpuTime): theirs, removed ones' too. */
  groupCpuNs(): number {
    let n = this.#retiredCpuNs;
    for (const i of this.instances.values()) n += i.cpuNs;
    return n;
  }

  /** Every instance, as `find` would list it. */
  list(): InstanceInfo[] {
    return [...this.instances.values()].map((i) => i.info());
  }
}
