/**
 * Task containers starting on the nodes, told by the nodes' own engines (`GET /events`) instead of the manager.
 * Why: a node reports a task's state to the manager in batches (swarmkit's dispatcher commits status updates
 * at most every 100 ms), so the manager's task list says `running` 30–100 ms after the node's engine emitted the
 * container's `start` (bench/swarm-start-steps.ts measured it). The Swarm driver opens these streams only while
 * starts wait for a new task (so an idle driver holds no connection and never keeps a process alive), and keeps
 * polling the manager beside them for what only the manager knows (a task rejected or failed before it ran).
 *
 * Contract: `open` streams every node's container `start` events of swarm tasks from `sinceMs` on (the engine
 * replays recent events, so one emitted while the stream connects is not missed); `close` ends them. A node
 * whose stream fails is simply not heard from (the manager's poll still settles its starts).
 */
import type { IncomingMessage } from 'node:http';
import type { EngineClient } from '../docker/engine-client.ts';

export interface TaskStarted {
  readonly node: string;
  readonly container: string;
  readonly service: string;
  readonly task: string;
  readonly nodeId: string;
}

/** Longest a stream may stay open (the engine client's timer covers the whole stream). */
const STREAM_MS = 2 ** 31 - 1;

export class NodeEvents {
  readonly #ends: (() => void)[] = [];
  readonly #engines: ReadonlyMap<string, EngineClient>;
  readonly #onStart: (e: TaskStarted) => void;

  /** `engines`: node hostname → its engine; `onStart`: called for every task container started from now on. */
  constructor(engines: ReadonlyMap<string, EngineClient>, onStart: (e: TaskStarted) => void) {
    this.#engines = engines;
    this.#onStart = onStart;
  }

  open(sinceMs: number): void {
    const filters = { type: ['container'], event: ['start'], label: ['com.docker.swarm.service.id'] };
    for (const [node, engine] of this.#engines) {
      let res: IncomingMessage | undefined;
      let ended = false;
      const end = () => {
        ended = true;
        res?.destroy();
      };
      this.#ends.push(end);
      void engine
        .stream({ op: 'events', method: 'GET', path: '/events', query: { filters, since: (sinceMs / 1000).toFixed(3) }, timeoutMs: STREAM_MS }, (msg) => {
          res = msg;
          if (ended) msg.destroy();
          return new Promise<void>((resolve) => {
            let buf = '';
            msg.on('data', (b: Buffer) => {
              buf += b.toString('utf8');
              for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                const line = buf.slice(0, i);
                buf = buf.slice(i + 1);
                this.#line(node, line);
              }
            });
            msg.once('close', resolve);
            msg.once('end', resolve);
            msg.once('error', () => resolve());
          });
        })
        .catch(() => undefined);
    }
  }

  close(): void {
    for (const end of this.#ends.splice(0)) end();
  }

  #line(node: string, line: string): void {
    let e: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      return;
    }
    const a = e.Actor?.Attributes ?? {};
    const service = a['com.docker.swarm.service.id'];
    const task = a['com.docker.swarm.task.id'];
    if (e.Action !== 'start' || !e.Actor?.ID || !service || !task) return;
    this.#onStart({ node, container: e.Actor.ID, service, task, nodeId: a['com.docker.swarm.node.id'] ?? '' });
  }
}
