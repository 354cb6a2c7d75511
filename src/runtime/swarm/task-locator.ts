/**
 * Where a service's container is: its newest task, the node that runs it and the container's id, asked of
 * the manager (and, while the manager has not heard yet, of the node). Node ids are turned into the
 * hostnames `runtime.nodes` names, and remembered (a node's id never changes its name).
 *
 * Contract: `locate` never says a container is reachable on a node without an engine address; a task
 * that ran where ISLET cannot reach is reported with `lost`. Whether the node is up is not asked here
 * (the caller inspects the container on its node: one call fewer on the login path).
 */
import type { EngineClient } from '../docker/engine-client.ts';
import { enc } from './swarm-errors.ts';
import type { TaskJson } from './swarm-json.ts';

export interface Where {
  readonly task?: TaskJson;
  readonly node?: string;
  readonly container?: string;
  /** Why the container cannot be reached (node down or unknown); set only for a task that ran. */
  readonly lost?: string;
}

/** Task states in which its node may have created or started the container before the manager knows its id. */
const PLACED = new Set(['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);

export class TaskLocator {
  readonly #manager: EngineClient;
  /** Node hostname → its engine (runtime.nodes). */
  readonly #engines: ReadonlyMap<string, EngineClient>;
  readonly #callMs: number;
  /** Node id → hostname. */
  readonly #nodeNames = new Map<string, string>();

  constructor(manager: EngineClient, engines: ReadonlyMap<string, EngineClient>, callMs: number) {
    this.#manager = manager;
    this.#engines = engines;
    this.#callMs = callMs;
  }

  /** The service's newest task, its node and container, and whether the node can be reached. */
  async locate(serviceId: string): Promise<Where> {
    const tasks = await this.#manager.json<TaskJson[]>({
      op: 'task-list',
      method: 'GET',
      path: '/tasks',
      query: { filters: { service: [serviceId] } },
      timeoutMs: this.#callMs,
    });
    const task = tasks.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt))[0];
    if (!task) return {};
    let container = task.Status.ContainerStatus?.ContainerID;
    if (!task.NodeID) return { task };
    const node = await this.nodeName(task.NodeID).catch(() => undefined);
    if (!container) {
      // The node may have started it already while the manager has not heard yet (a node reports task states
      // in batches, later still under load): ask the node, or a caller would see no container and a live shell
      // would be left running (a stop or remove that finds nothing) or not reached (a reattach).
      if (!node || !this.#engines.has(node) || !PLACED.has(task.Status.State)) return { task };
      container = await this.#taskContainer(node, task.ID);
      if (!container) return { task };
      return { task, node, container };
    }
    if (!node) return { task, container, lost: `the node ${task.NodeID} that ran it is no longer in the swarm` };
    if (!this.#engines.has(node)) return { task, node, container, lost: `node ${node} has no engine address in runtime.nodes` };
    // Whether the node is up is asked of its engine (an inspect of the container, by the caller), not of the
    // manager: one call fewer on the login path, and a node the manager cannot see but ISLET can still serves.
    return { task, node, container };
  }

  /** A node's hostname (as runtime.nodes names it) from its swarm id. */
  async nodeName(nodeId: string): Promise<string> {
    let name = this.#nodeNames.get(nodeId);
    if (name === undefined) {
      const j = await this.#manager.json<{ Description: { Hostname: string } }>({
        op: 'node-inspect',
        method: 'GET',
        path: `/nodes/${enc(nodeId)}`,
        timeoutMs: this.#callMs,
      });
      name = j.Description.Hostname;
      this.#nodeNames.set(nodeId, name);
    }
    return name;
  }

  /** The container of a swarm task on its node, asked of the node's engine by the task's label; undefined when none. */
  async #taskContainer(node: string, taskId: string): Promise<string | undefined> {
    const engine = this.#engines.get(node);
    if (!engine) return undefined;
    const list = await engine
      .json<{ Id: string }[]>({
        op: 'container-list',
        method: 'GET',
        path: '/containers/json',
        query: { all: true, filters: { label: [`com.docker.swarm.task.id=${taskId}`] } },
        timeoutMs: this.#callMs,
      })
      .catch(() => [] as { Id: string }[]);
    return list[0]?.Id;
  }
}
