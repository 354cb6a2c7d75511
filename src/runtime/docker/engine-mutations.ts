/**
 * How many engine mutations (create, start, stop, remove, rename, network) ISLET lets run at once by default:
 * this machine's CPUs, at least 2 and at most 8 (8 was the cap before; moby#42545 is why there is one at all).
 *
 * Why the CPU count: on the 2-core benchmark VM a container start costs the engine about a third of a CPU-second
 * (dockerd, containerd, the shim, runc), so a storm is CPU-bound, and more creates at once only share the same
 * cores among more of them: the engine alone's storm of 100 took p95 17.1 s at 2 at a time against 21.4 s at 8,
 * with 6 % of the CPUs left idle at 2 and 1.5 % at 8 (`bench/results/2026-12-06-engine-caps.json`,
 * bench/engine-caps.ts). The idle share is where ISLET's own login work goes without slowing the containers.
 * A larger engine host than this one (or one on another machine) can be given more with `runtime.engine_mutations`.
 */
import { availableParallelism } from 'node:os';

export const MIN_ENGINE_MUTATIONS = 2;
export const MAX_DEFAULT_ENGINE_MUTATIONS = 8;

export function defaultEngineMutations(cpus: number = availableParallelism()): number {
  return Math.min(MAX_DEFAULT_ENGINE_MUTATIONS, Math.max(MIN_ENGINE_MUTATIONS, Math.floor(cpus)));
}
