/**
 * A container's CPU weight as its cgroup file on this machine says (the probe of the governor's whole-stack tests):
 * in `--cpu-shares` units on cgroup v1, where that is exact, else cgroup v2's cpu.weight; `expectWeight` converts a
 * weight in shares to what the file holds. The hierarchy and the directories are the product's own
 * (`cpuHierarchy`, `containerCgroupDirs`), so a new place for containers is found here without a second copy to keep
 * in step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { containerCgroupDirs } from '../../src/runtime/docker/cgroup-paths.ts';
import { sharesToWeight } from '../../src/runtime/docker/cgroup-weight.ts';
import { cpuHierarchy } from '../../src/runtime/docker/trainee-cpu-group.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
const v2 = () => cpuHierarchy(CGROUP_ROOT) === CGROUP_ROOT;

export function weightOf(id: string): number {
  const root = cpuHierarchy(CGROUP_ROOT);
  if (!root) throw new Error(`no cpu controller under ${CGROUP_ROOT}`);
  for (const dir of containerCgroupDirs(root, id)) {
    const f = `${dir}/${v2() ? 'cpu.weight' : 'cpu.shares'}`;
    if (existsSync(f)) return Number(readFileSync(f, 'utf8'));
  }
  throw new Error(`no cgroup weight file for ${id}`);
}

export const expectWeight = (shares: number): number => (v2() ? sharesToWeight(shares) : shares);
