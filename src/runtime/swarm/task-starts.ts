/**
 * Waiting for services' new tasks to run, for every start in progress at once.
 *
 * One watcher for every start in progress: each tick (25 ms) lists the tasks of all services waiting for a new
 * task in one call, instead of one call per start (300 simultaneous starts polled alone made 12,000 calls a
 * second to the manager). The nodes tell a task container's start before the manager does (node-events.ts):
 * their event streams are open while starts wait, and whichever tells first settles the start.
 *
 * Contract: `wait` resolves (never rejects) with the service's newest task other than `previous` once it runs
 * or ended, with the node's hostname when a node's event told first; or, when `timeoutMs` passes first, with
 * the last state seen as text ('' when no new task was seen). `run` asks for the task first and throws the
 * driver's errors when none runs.
 */
import { IsletError } from '../../core/islet-error.ts';
import { type EngineClient, MSG_BUSY } from '../docker/engine-client.ts';
import { NodeEvents, type TaskStarted } from './node-events.ts';
import { enc, unavailable } from './swarm-errors.ts';
import { type ServiceJson, type TaskJson, taskStateText } from './swarm-json.ts';

export interface TaskSeen {
  /** The task, or the last state seen when the wait timed out. */
  readonly task: TaskJson | string;
  /** The node that told (a node's event), when it did. */
  readonly node?: string;
}

/** States in which a task will not run any more. */
const ENDED = new Set(['failed', 'rejected', 'complete', 'shutdown', 'orphaned']);

interface Waiting {
  readonly previous: string | undefined;
  readonly deadline: number;
  last: string;
  readonly resolve: (seen: TaskSeen) => void;
}

export class TaskStarts {
  readonly #manager: EngineClient;
  readonly #engines: ReadonlyMap<string, EngineClient>;
  readonly #callMs: number;
  /** Service id → the start waiting for its new task. */
  readonly #starting = new Map<string, Waiting>();
  #watching = false;
  /** The nodes' engines' start events, open while starts wait. */
  #events: NodeEvents | undefined;

  /** `engines`: node hostname → its engine (runtime.nodes). */
  constructor(manager: EngineClient, engines: ReadonlyMap<string, EngineClient>, callMs: number) {
    this.#manager = manager;
    this.#engines = engines;
    this.#callMs = callMs;
  }

  /**
   * Asks Swarm for a (new) task of `svc` (one replica; forced when `previous` is the task that ran before) and waits
   * until it runs. RUNTIME_UNAVAILABLE when none runs within `timeoutMs`, RUNTIME_FAILED when it ended first.
   */
  async run(svc: ServiceJson, previous: TaskJson | undefined, timeoutMs: number): Promise<{ task: TaskJson; node?: string }> {
    const spec = structuredClone(svc.Spec);
    spec.Mode = { Replicated: { Replicas: 1 } };
    if (previous) spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    await this.#manager.json({
      op: 'service-update',
      method: 'POST',
      path: `/services/${enc(svc.ID)}/update`,
      query: { version: svc.Version.Index },
      body: spec,
      timeoutMs: this.#callMs,
    });
    const { task: t, node } = await this.wait(svc.ID, previous?.ID, timeoutMs);
    if (typeof t === 'string')
      throw unavailable(`swarm did not run a task of ${svc.Spec.Name} within ${timeoutMs} ms (last: ${t || 'no task'})`, { op: 'start' });
    if (t.Status.State !== 'running') {
      throw new IsletError('RUNTIME_FAILED', MSG_BUSY, `swarm task of ${svc.Spec.Name} ended before it ran: ${taskStateText(t)}`, {
        op: 'start',
        task: t.ID,
      });
    }
    return node ? { task: t, node } : { task: t };
  }

  wait(serviceId: string, previous: string | undefined, timeoutMs: number): Promise<TaskSeen> {
    return new Promise<TaskSeen>((resolve) => {
      this.#starting.set(serviceId, { previous, deadline: Date.now() + timeoutMs, last: '', resolve });
      this.#watch();
    });
  }

  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    // 5 s of replay covers the streams' own connection time and a node clock a little behind.
    this.#events = new NodeEvents(this.#engines, (e) => this.#heard(e));
    this.#events.open(Date.now() - 5000);
    void (async () => {
      while (this.#starting.size > 0) {
        await new Promise((r) => setTimeout(r, 25));
        const tasks = await this.#manager
          .json<TaskJson[]>({
            op: 'task-list',
            method: 'GET',
            path: '/tasks',
            query: { filters: { service: [...this.#starting.keys()] } },
            timeoutMs: this.#callMs,
          })
          .catch(() => [] as TaskJson[]);
        const newest = new Map<string, TaskJson>();
        for (const t of tasks) {
          const seen = newest.get(t.ServiceID);
          if (!seen || Date.parse(t.CreatedAt) > Date.parse(seen.CreatedAt)) newest.set(t.ServiceID, t);
        }
        for (const [id, w] of this.#starting) {
          const t = newest.get(id);
          if (t && t.ID !== w.previous) {
            w.last = taskStateText(t);
            const ran = t.Status.State === 'running' && t.NodeID && t.Status.ContainerStatus?.ContainerID;
            if (ran || ENDED.has(t.Status.State)) {
              this.#starting.delete(id);
              w.resolve({ task: t });
              continue;
            }
          }
          if (Date.now() > w.deadline) {
            this.#starting.delete(id);
            w.resolve({ task: w.last });
          }
        }
      }
      this.#events?.close();
      this.#events = undefined;
      this.#watching = false; // no await since the size check: a start added later starts a new watcher
    })();
  }

  /** A node's engine started a task container: settles the start waiting for that service's new task. */
  #heard(e: TaskStarted): void {
    const w = this.#starting.get(e.service);
    if (!w || e.task === w.previous) return;
    this.#starting.delete(e.service);
    const task: TaskJson = {
      ID: e.task,
      ServiceID: e.service,
      NodeID: e.nodeId,
      CreatedAt: new Date().toISOString(),
      DesiredState: 'running',
      Status: { State: 'running', ContainerStatus: { ContainerID: e.container } },
    };
    w.resolve({ task, node: e.node });
  }
}
