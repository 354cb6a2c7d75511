/**
 * Which trainee instances run on a drained node (RuntimeDriver.retiring for the Swarm driver): two manager
 * calls, the node list and the task list. A node's drain started when its spec last changed (`UpdatedAt`:
 * `docker node update --availability drain`); Swarm then gives a live task `drain_grace` before SIGKILL, so
 * the shell ends at UpdatedAt + grace. An instance counts when its newest task (the one ISLET attaches to)
 * ran on the drained node; an older task elsewhere or there does not matter.
 */
import type { EngineClient } from '../docker/engine-client.ts';
import type { Retiring } from '../runtime-driver.ts';

interface NodeJson {
  ID: string;
  UpdatedAt: string;
  Spec: { Availability?: string };
  Description?: { Hostname?: string };
}
interface TaskJson {
  ServiceID: string;
  NodeID?: string;
  CreatedAt: string;
  Status: { ContainerStatus?: { ContainerID?: string } };
}

/** Instances (service ids) whose newest task's container is on a drained node, with the node and the grace's end. */
export async function retiringInstances(manager: EngineClient, timeoutMs: number, graceMs: number): Promise<Map<string, Retiring>> {
  const nodes = await manager.json<NodeJson[]>({ op: 'node-list', method: 'GET', path: '/nodes', timeoutMs });
  const drained = new Map(
    nodes
      .filter((n) => n.Spec.Availability === 'drain')
      .map((n) => [n.ID, { node: n.Description?.Hostname ?? n.ID, endsAt: new Date(Date.parse(n.UpdatedAt) + graceMs) }] as const),
  );
  const out = new Map<string, Retiring>();
  if (drained.size === 0) return out;
  const tasks = await manager.json<TaskJson[]>({ op: 'task-list', method: 'GET', path: '/tasks', timeoutMs });
  const newest = new Map<string, TaskJson>();
  for (const t of tasks) {
    const seen = newest.get(t.ServiceID);
    if (!seen || Date.parse(t.CreatedAt) > Date.parse(seen.CreatedAt)) newest.set(t.ServiceID, t);
  }
  for (const [service, t] of newest) {
    const d = t.NodeID ? drained.get(t.NodeID) : undefined;
    if (d && t.Status.ContainerStatus?.ContainerID) out.set(service, d);
  }
  return out;
}
