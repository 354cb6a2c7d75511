/**
 * The Docker driver's side of the pty relay (pty-relays.ts, native/pty-relay.c): which containers have one, what a
 * new container needs to get one, and the relay's attachment. DockerDriver asks this first for attach, resize and
 * start, and falls back to the engine when a container has no relay (created before `runtime.terminal: relay`, or
 * by a driver without it).
 *
 * Contract: a container's relay token is its `islet.relay` label, read once per container id (one inspect; a name
 * is inspected each time) and remembered until remove(); the relay's socket directory is forgotten only once its
 * container is gone.
 */
import { IsletError } from '../../core/islet-error.ts';
import type { Attachment, CreateRequest, InstanceInfo, TtySize } from '../runtime-driver.ts';
import { commandArgv, type RelayOptions } from './create-options.ts';
import type { EngineClient } from './engine-client.ts';
import type { ImagePulls } from './image-pulls.ts';
import type { ListJson } from './instance-info.ts';
import { LABEL_RELAY, type PtyRelays } from './pty-relays.ts';

/** How long a relay attachment's end waits for the engine to record its container's exit. */
const RELAY_EXIT_WAIT_MS = 3000;

export interface RelayTerminalsDeps {
  readonly relays: PtyRelays;
  readonly engine: EngineClient;
  readonly images: ImagePulls;
  readonly callMs: number;
  /** The driver's inspect (undefined for a missing container). */
  readonly inspect: (id: string) => Promise<InstanceInfo | undefined>;
}

export class RelayTerminals {
  readonly #d: RelayTerminalsDeps;
  /** Relay tokens by container id (from create, or the container's label on first use); null: none. */
  readonly #tokens = new Map<string, string | null>();

  constructor(deps: RelayTerminalsDeps) {
    this.#d = deps;
  }

  /** Creates a container with the relay in front of its program (`make` is the driver's create). */
  async create(req: CreateRequest, make: (relay: RelayOptions) => Promise<InstanceInfo>): Promise<InstanceInfo> {
    const relay = await this.#options(req);
    const token = relay.labels[LABEL_RELAY]!;
    try {
      const info = await make(relay);
      this.#tokens.set(info.id, token);
      return info;
    } catch (err) {
      this.#d.relays.forget(token);
      throw err;
    }
  }

  /** The relay in front of the program the container would run: the image's ENTRYPOINT, then command or CMD. */
  async #options(req: CreateRequest): Promise<RelayOptions> {
    const program = await this.#d.images.program(req.env.image);
    const argv = [...program.entrypoint, ...(commandArgv(req.env.command) ?? program.cmd)];
    if (argv.length === 0) {
      throw new IsletError('CONFIG_INVALID', 'This environment is misconfigured. Please tell the instructor.', `image ${req.env.image} has no command`, {
        image: req.env.image,
      });
    }
    const m = this.#d.relays.prepare();
    return { binds: m.binds, entrypoint: m.entrypoint, cmd: [...m.args, ...argv], labels: { [LABEL_RELAY]: m.token } };
  }

  /** The relay token of container `id`, or null when it has none (one inspect the first time, then remembered). */
  async token(id: string): Promise<string | null> {
    const known = this.#tokens.get(id);
    if (known !== undefined) return known;
    const info = await this.#d.inspect(id);
    const token = info?.labels[LABEL_RELAY] ?? null;
    // Remembered by id only: after a remove, a name can belong to a new container with a relay of its own.
    if (info) this.#tokens.set(info.id, token);
    return token;
  }

  /** Listens for the container's relay; before its start, as the socket directory is bound into it. */
  listen(token: string): void {
    this.#d.relays.listen(token);
  }

  resize(token: string, size: TtySize): void {
    this.#d.relays.resize(token, size);
  }

  /**
   * The relay's attachment, whose end also waits (up to RELAY_EXIT_WAIT_MS) for the engine to see the container
   * stop: the relay's connection closes as its program exits, a moment before the engine records the exit, and a
   * caller inspecting at once would take a shell that exited for a lost stream. A connection lost while the
   * container runs (another server took the terminal over) ends after that wait.
   */
  attach(id: string, token: string): Attachment {
    const att = this.#d.relays.attach(token);
    let detached = false;
    const ended = att.ended.then(async () => {
      if (detached) return;
      await this.#d.engine
        .json({
          op: 'wait',
          method: 'POST',
          path: `/containers/${encodeURIComponent(id)}/wait`,
          query: { condition: 'not-running' },
          timeoutMs: RELAY_EXIT_WAIT_MS,
        })
        .catch(() => undefined);
    });
    return {
      input: att.input,
      output: att.output,
      ended,
      detach: () => {
        detached = true;
        att.detach();
      },
    };
  }

  /** Container `id` (id or name), whose relay was `token`, is gone: the relay's socket directory goes too. */
  removed(id: string, token: string): void {
    this.#d.relays.forget(token);
    this.#tokens.delete(id);
  }

  /**
   * For the start of a server (one container list): removes the socket directories of relay containers that no
   * longer exist (removed while no server ran). It does not listen for running ones: a second server on the same
   * data directory would take every terminal over from the first; a server listens for a container when a
   * trainee attaches to it or starts it, and until then the relay tries to connect once a second.
   */
  async sweep(): Promise<number> {
    const list = await this.#d.engine.json<ListJson[]>({
      op: 'find',
      method: 'GET',
      path: '/containers/json',
      query: { all: true, filters: { label: [LABEL_RELAY] } },
      timeoutMs: this.#d.callMs,
    });
    return this.#d.relays.sweep(new Set(list.map((c) => c.Labels?.[LABEL_RELAY] ?? '')));
  }

  /** Stops listening on the relays' sockets (the server is stopping; the relays connect again to the next one). */
  close(): void {
    this.#d.relays.close();
  }
}
