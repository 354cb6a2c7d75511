/**
 * The host's container cap when `max_containers` is `auto` (or 0): as many
 * containers as fit in the host's memory if every one used its whole memory
 * limit at once, keeping 1 GiB for the host, the engine and ISLET:
 *
 *   floor((host memory − 1 GiB) ÷ largest `memory` of the enabled environments), at least 1
 *
 * An environment without a memory limit (0) counts as 512 MiB, and none counts
 * as less than 128 MiB (a container needs some memory beyond its limit's
 * reach: engine, shim, page cache). A set number
 * is used as it is. Read on every admission, so a config edit applies at once.
 */
import { totalmem } from 'node:os';
import type { Environment, GlobalConfig } from '../config/schema.ts';

export const HOST_RESERVE_BYTES = 1024 ** 3;
export const UNLIMITED_COUNTS_AS_BYTES = 512 * 1024 ** 2;
export const LEAST_COUNTED_BYTES = 128 * 1024 ** 2;

export function effectiveMaxContainers(
  global: Pick<GlobalConfig, 'max_containers'>,
  environments: readonly Pick<Environment, 'enabled' | 'memory'>[],
  hostMemory = totalmem(),
): number {
  if (global.max_containers > 0) return global.max_containers;
  const limits = environments.filter((e) => e.enabled).map((e) => (e.memory > 0 ? e.memory : UNLIMITED_COUNTS_AS_BYTES));
  const largest = Math.max(LEAST_COUNTED_BYTES, ...limits);
  return Math.max(1, Math.floor((hostMemory - HOST_RESERVE_BYTES) / largest));
}
