/**
 * Where the host keeps a Docker container's cgroup, shared by the readers and writers of its files.
 *
 * Contract: `containerCgroupDirs(root, id)` lists the container's directory under one controller root (cgroup v2's
 * root, or a v1 controller's) for each place a container's group can be: under ISLET's idle group for trainees
 * (`islet-trainees/<id>`, trainee-cpu-group.ts) first, then Docker's cgroupfs driver's (`docker/<id>`), then its systemd
 * driver's (`system.slice/docker-<id>.scope`); callers use the first that answers. Only full ids are looked up
 * (`isFullContainerId`): a short id or a name must never become a path.
 */
import { join } from 'node:path';
import { TRAINEE_CPU_GROUP } from './trainee-cpu-group.ts';

const FULL_ID = /^[0-9a-f]{64}$/;

/** Whether `id` is a full 64-hex container id, the only form turned into a cgroup path. */
export function isFullContainerId(id: string): boolean {
  return FULL_ID.test(id);
}

/** The container's directory under a controller root, for each cgroup driver's layout. */
export function containerCgroupDirs(root: string, id: string): string[] {
  return [join(root, TRAINEE_CPU_GROUP, id), join(root, 'docker', id), join(root, 'system.slice', `docker-${id}.scope`)];
}
