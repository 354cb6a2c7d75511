/**
 * A container's disk, CPU and memory use, for the lifecycle's quota check and the console's roster.
 *
 * Contract: each reading is undefined for a container the engine does not know (404); other engine failures throw
 * as the driver's calls do. Every Engine API call here is bounded (callMs; the engine's own size walk, callMs × 4).
 * With `cgroups` (the engine runs on this machine) cpuTime() and usage() read the host's cgroup files instead of the stats call,
 * and diskUsage() counts the writable layer's blocks where its directory is readable here.
 */
import type { GroupCpuTime } from '../runtime-driver.ts';
import type { CgroupUsage } from './cgroup-usage.ts';
import { type EngineClient, statusOf } from './engine-client.ts';
import { layerUsage } from './layer-usage.ts';

/** The parts of the Engine API's stats answer read here. */
interface Stats {
  readonly cpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number } };
  readonly memory_stats?: { readonly usage?: number; readonly stats?: Readonly<Record<string, number>> };
}

export class UsageReadings {
  readonly #engine: EngineClient;
  readonly #callMs: number;
  readonly #cgroups: CgroupUsage | undefined;

  constructor(engine: EngineClient, callMs: number, cgroups: CgroupUsage | undefined) {
    this.#engine = engine;
    this.#callMs = callMs;
    this.#cgroups = cgroups;
  }

  async diskUsage(id: string): Promise<number | undefined> {
    try {
      // The engine's SizeRw sums file sizes, blind to a many-small-files fill: where the layer's directory is
      // readable here (ISLET beside the engine, as root), count the blocks and entries it takes instead.
      const plain = await this.#engine.json<{ GraphDriver?: { Data?: { UpperDir?: string } } }>({
        op: 'inspect',
        method: 'GET',
        path: `/containers/${encodeURIComponent(id)}/json`,
        timeoutMs: this.#callMs,
      });
      const upper = plain.GraphDriver?.Data?.UpperDir;
      const onDisk = upper ? await layerUsage(upper, { deadline: Date.now() + this.#callMs * 4 }).catch(() => undefined) : undefined;
      if (onDisk !== undefined) return onDisk;
      // size=1 makes the engine walk the writable layer: seconds on a big one, hence the longer limit.
      const j = await this.#engine.json<{ SizeRw?: number }>({
        op: 'inspect-size',
        method: 'GET',
        path: `/containers/${encodeURIComponent(id)}/json`,
        query: { size: true },
        timeoutMs: this.#callMs * 4,
      });
      return j.SizeRw ?? 0;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async cpuTime(id: string): Promise<number | undefined> {
    const local = this.#cgroups?.cpu(id);
    if (local !== undefined) return local;
    const n = (await this.#stats(id))?.cpu_stats?.cpu_usage?.total_usage;
    return typeof n === 'number' && n > 0 ? n : undefined;
  }

  /** ISLET's trainee group's CPU time, for the containers of it cpuTime() read (cgroup-usage.ts); undefined without one. */
  async groupCpuTime(): Promise<GroupCpuTime | undefined> {
    const cgroups = this.#cgroups;
    const cpuNs = cgroups?.groupCpu();
    return cgroups && cpuNs !== undefined ? { cpuNs, holds: (id) => cgroups.inGroup(id) } : undefined;
  }

  async usage(id: string): Promise<{ cpuNs: number; memoryBytes: number } | undefined> {
    const local = this.#cgroups?.read(id);
    if (local) return local;
    const j = await this.#stats(id);
    const cpuNs = j?.cpu_stats?.cpu_usage?.total_usage;
    if (!j || typeof cpuNs !== 'number' || cpuNs <= 0) return undefined;
    // As `docker stats` counts it: usage less the page cache (cgroup v2 inactive_file, v1 total_inactive_file).
    const m = j.memory_stats ?? {};
    const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
    return { cpuNs, memoryBytes: Math.max(0, (m.usage ?? 0) - cache) };
  }

  /** The engine's stats of one container, undefined when it does not know it. */
  async #stats(id: string): Promise<Stats | undefined> {
    try {
      // one-shot: the engine answers at once instead of sampling for a second.
      return await this.#engine.json<Stats>({
        op: 'stats',
        method: 'GET',
        path: `/containers/${encodeURIComponent(id)}/stats`,
        query: { stream: false, 'one-shot': true },
        timeoutMs: this.#callMs,
      });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }
}
