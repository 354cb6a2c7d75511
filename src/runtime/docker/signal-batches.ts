/**
 * Signals for a container's executions, sent in batches: one delivery carries every execution waiting for the
 * same signal in the same container as the same user.
 *
 * Why: a delivery is itself an exec in the container (docker-exec.ts), and an engine holding stuck executions
 * answers each exec of that container seconds late (2–3 s each with 32 stuck tools, Docker 20.10, measured
 * 2026-12-02). A trainee closing 32 SFTP listings at once used to cost 32 such execs one after another (16 s
 * under load, during which that trainee's next command waited); batched it costs one or two.
 *
 * Contract: `signal()` resolves once a delivery that included this execution and signal has been attempted
 * (best effort: a failed delivery resolves too). Per key, one delivery is in flight; what arrives meanwhile
 * goes in the next one. Signals are delivered in the order they were first asked for; a signal already
 * waiting for an execution is not queued twice (the kernel does not queue a standard signal twice either).
 */

/** Sends `signal` to the processes of `container` tagged with any of `tags`, as `user`. */
export type SignalSend = (container: string, user: string | undefined, signal: NodeJS.Signals, tags: readonly string[]) => Promise<void>;

interface Waiting {
  readonly tags: Set<string>;
  readonly done: (() => void)[];
}

interface Queue {
  readonly container: string;
  readonly user: string | undefined;
  /** By signal, in the order first asked for. */
  readonly waiting: Map<NodeJS.Signals, Waiting>;
  running: boolean;
}

export class SignalBatches {
  readonly #send: SignalSend;
  readonly #queues = new Map<string, Queue>();

  constructor(send: SignalSend) {
    this.#send = send;
  }

  signal(container: string, user: string | undefined, tag: string, signal: NodeJS.Signals): Promise<void> {
    const key = `${container}\0${user ?? ''}`;
    let q = this.#queues.get(key);
    if (!q) {
      q = { container, user, waiting: new Map(), running: false };
      this.#queues.set(key, q);
    }
    let w = q.waiting.get(signal);
    if (!w) {
      w = { tags: new Set(), done: [] };
      q.waiting.set(signal, w);
    }
    w.tags.add(tag);
    const delivered = new Promise<void>((resolve) => w.done.push(resolve));
    if (!q.running) {
      q.running = true;
      // After this turn's I/O callbacks: executions closed together (one client's many closes) share the first delivery.
      setImmediate(() => void this.#drain(key, q));
    }
    return delivered;
  }

  async #drain(key: string, q: Queue): Promise<void> {
    for (let next = q.waiting.entries().next(); !next.done; next = q.waiting.entries().next()) {
      const [signal, w] = next.value;
      q.waiting.delete(signal);
      await this.#send(q.container, q.user, signal, [...w.tags]).catch(() => undefined);
      for (const f of w.done) f();
    }
    // No await between the empty check and this: a signal asked for later starts a new drain.
    q.running = false;
    this.#queues.delete(key);
  }
}
