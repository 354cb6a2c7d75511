/**
 * The attachments asked for before their service had a container (pending-attachment.ts), by service id:
 * start() connects them to the container it ran, or fails them when it could not run one.
 *
 * Contract: `add` returns an attachment that stays listed until it ends or is connected or failed; `connect`
 * takes a service's waiting attachments off the list at once (a second start finds none), attaches each to the
 * container with the engine's log replay, then makes the shell draw its prompt again.
 */
import type { DockerDriver } from '../docker/docker-driver.ts';
import type { EngineClient } from '../docker/engine-client.ts';
import type { TtySize } from '../runtime-driver.ts';
import { PendingAttachment } from './pending-attachment.ts';
import { enc } from './swarm-errors.ts';

export class PendingAttachments {
  readonly #byService = new Map<string, Set<PendingAttachment>>();
  readonly #callMs: number;

  constructor(callMs: number) {
    this.#callMs = callMs;
  }

  add(serviceId: string): PendingAttachment {
    const p = new PendingAttachment();
    let set = this.#byService.get(serviceId);
    if (!set) this.#byService.set(serviceId, (set = new Set()));
    set.add(p);
    void p.ended.then(() => set.delete(p));
    return p;
  }

  /** Ends the service's waiting attachments (its start failed, or it was removed). */
  fail(serviceId: string): void {
    for (const p of this.#byService.get(serviceId) ?? []) p.fail();
  }

  /** Connects the service's waiting attachments to `container` on the node of `engine` / `driver`; `tty`: its size. */
  async connect(serviceId: string, node: { engine: EngineClient; driver: DockerDriver }, container: string, tty: TtySize): Promise<void> {
    const set = this.#byService.get(serviceId);
    if (!set?.size) return;
    this.#byService.delete(serviceId);
    await Promise.all(
      [...set].map(async (p) => {
        if (p.done) return;
        // logs=1 replays what the shell printed since the container started, then the live stream.
        const sock = await node.engine.hijack({
          op: 'attach',
          method: 'POST',
          path: `/containers/${enc(container)}/attach`,
          timeoutMs: this.#callMs,
          query: { logs: true, stream: true, stdin: true, stdout: true, stderr: true },
        });
        p.connect(sock);
      }),
    );
    // The log replays whole lines only: a prompt printed before the attach (no newline yet) is not in it.
    // A size change makes the shell's line editor draw its prompt again (busybox ash, readline).
    await node.driver.resize(container, { cols: tty.cols, rows: Math.max(1, tty.rows - 1) });
    await node.driver.resize(container, tty);
  }
}
