/**
 * The long-running parts of ISLET (the reconciler and runtime checks, the warm-pool filler, the trainee
 * network preparer, the background hasher) behind one small interface, so the composition root starts
 * them in one go and stops them in reverse order, instead of managing timers by hand.
 */
export interface Service {
  readonly name: string;
  start(): void;
  /** Stops it; a stopped service does no more work. Idempotent. */
  stop(): void | Promise<void>;
}

/**
 * `run` at start and then every `intervalMs` until stopped. A run still going when the next is due is not
 * overlapped (that one is skipped); a failing run is the task's own business (it logs), the schedule goes on.
 * The timer does not keep the process alive.
 */
export function periodic(name: string, intervalMs: number, run: () => unknown, opts: { readonly atStart?: boolean } = {}): Service {
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    void Promise.resolve()
      .then(run)
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  };
  return {
    name,
    start() {
      if (timer) return;
      if (opts.atStart !== false) tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Services started in order and stopped in reverse. */
export class Services {
  readonly #all: Service[] = [];
  #started = false;

  add(...s: Service[]): this {
    this.#all.push(...s);
    return this;
  }

  get names(): string[] {
    return this.#all.map((s) => s.name);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const s of this.#all) s.start();
  }

  async stop(): Promise<void> {
    for (const s of [...this.#all].reverse()) await s.stop();
  }
}
