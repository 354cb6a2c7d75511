/**
 * RuntimeDriver for a Docker Engine (API >= 1.41, i.e. Docker 20.10+).
 *
 * - Every Engine API call is bounded (callTimeoutMs; pulls pullTimeoutMs;
 *   stop adds its grace period). A timeout or an unreachable engine is
 *   RUNTIME_UNAVAILABLE, an engine refusal RUNTIME_FAILED.
 * - Mutations and calls about one container queue in engine-slots.ts
 *   (a bounded mutation semaphore, a smaller one for removals: moby#42545;
 *   a fair gate per container); images are checked and pulled in
 *   image-pulls.ts (one pull per image, whoever asks).
 * - Commands in a container (exec) are docker-exec.ts: their streams are the
 *   caller's to end, and signals reach what the command started.
 * - Disk, CPU and memory readings are usage-readings.ts (host files when the
 *   engine runs here, else the engine's inspect and stats calls).
 * - The login path (inspect, ensureImage of a present image, create, attach,
 *   start, resize) makes one request each and never lists or asks `info`.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IsletError } from '../../core/islet-error.ts';
import type { ExecRequest, Execution } from '../runtime-driver.ts';
import type { Attachment, CreateRequest, InstanceInfo, RuntimeDriver, TtySize } from '../runtime-driver.ts';
import { commandArgv, createOptions, type LocalEngineOptions, type RelayOptions } from './create-options.ts';
import { LABEL_RELAY, PtyRelays } from './pty-relays.ts';
import { HostsFiles } from './hosts-files.ts';
import { EngineClient, MSG_BUSY, statusOf } from './engine-client.ts';
import type { EngineEndpoint } from './engine-address.ts';
import { CgroupUsage } from './cgroup-usage.ts';
import { CgroupWeight } from './cgroup-weight.ts';
import { EngineSlots } from './engine-slots.ts';
import { ImagePulls, imageMissing } from './image-pulls.ts';
import { DockerExecs } from './docker-exec.ts';
import { clampDim } from './tty-dims.ts';
import { ensureBridgeNetwork } from './networks.ts';
import { UsageReadings } from './usage-readings.ts';
import { attachment } from './attachment.ts';
import { fromInspect, fromList, type InspectJson, type ListJson } from './instance-info.ts';

export interface DockerDriverOptions {
  /** Engine socket; default: DOCKER_HOST, else /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Where the engine is (engine-address.ts: a socket, or TCP with TLS); wins over socketPath. */
  readonly endpoint?: EngineEndpoint;
  /** Limit for each ordinary Engine API call (default 15000). */
  readonly callTimeoutMs?: number;
  /**
   * Limit for waiting for a mutation slot (default 120000, the default `admission_wait`). Longer than a call:
   * a slot is a place in a queue, freed within callTimeoutMs by the call holding it even when the engine hangs,
   * and 300 trainees starting at once queue for a minute on one host (a 15 s wait failed half of them).
   */
  readonly slotWaitMs?: number;
  /** Limit for a whole image pull (default 600000). */
  readonly pullTimeoutMs?: number;
  /** Mutations (create/start/stop/remove/pull) in flight at once (default 8). */
  readonly maxConcurrentMutations?: number;
  /** Removals in flight at once (default 3). */
  readonly maxConcurrentRemovals?: number;
  /** Engine calls about one container (exec, its inspects and resizes, TTY resize) in flight at once (default 4). */
  readonly maxCallsPerContainer?: number;
  /** Such calls in flight at once for all containers together (default 32). */
  readonly maxContainerCalls?: number;
  /**
   * A directory for network-off containers' /etc/hosts files (hosts-files.ts); ignored for an engine on
   * another machine. With it such containers start without the engine's network sandbox (create-options.ts),
   * about 0.3 s sooner on the benchmark VM; without it they get the engine's `network none`.
   */
  readonly hostsDir?: string;
  /**
   * The pty relay (pty-relays.ts): trainees' terminals over a unix socket per container instead of the engine's
   * attach, `dir` holding the sockets and `binary` the static relay (native/pty-relay.c). Ignored for an engine
   * on another machine (its containers cannot reach a socket here).
   */
  readonly ptyRelay?: { readonly dir: string; readonly binary: string };
}

export class DockerDriver implements RuntimeDriver {
  readonly name = 'docker';
  readonly #engine: EngineClient;
  readonly #callMs: number;
  /** Limit of a whole transfer: a pull, an export's archive. */
  readonly #pullMs: number;
  /** A container's disk, CPU and memory: from this host's files when the engine runs here, else the engine. */
  readonly #readings: UsageReadings;
  /** usage() and cpuTime() read cgroup files on this machine: cheap enough to sample every container every second. */
  readonly usageLocal: boolean;
  /**
   * Present only where this machine's cgroup files hold the engine's containers (an engine on a unix socket here):
   * an engine elsewhere has no weight this driver can set (the governor then does not run, and the case is skipped).
   */
  readonly setCpuWeight?: (id: string, shares: number) => Promise<boolean>;
  /** Mutation slots and each container's turn (engine-slots.ts). */
  readonly #slots: EngineSlots;
  readonly #images: ImagePulls;
  readonly #execs: DockerExecs;
  readonly #local: LocalEngineOptions;
  readonly #relays: PtyRelays | undefined;
  /** Relay tokens by container id (from create, or the container's label on first use). */
  readonly #tokens = new Map<string, string | null>();

  constructor(opts: DockerDriverOptions = {}) {
    this.#engine = new EngineClient({ socketPath: opts.socketPath, endpoint: opts.endpoint });
    // An engine on a unix socket runs on this machine: its containers' cgroups are readable here.
    const remote = opts.endpoint ? !('socketPath' in opts.endpoint) : !opts.socketPath && /^(tcp|https?):/.test(process.env.DOCKER_HOST ?? '');
    const cgroups = remote ? undefined : CgroupUsage.detect();
    this.usageLocal = cgroups !== undefined;
    const weights = remote ? undefined : CgroupWeight.detect();
    if (weights) this.setCpuWeight = async (id, shares) => weights.set(id, shares);
    const hosts = !remote && opts.hostsDir ? new HostsFiles(opts.hostsDir) : undefined;
    this.#local = hosts ? { hostsFileFor: (h) => hosts.fileOrNone(h) } : {};
    this.#relays = !remote && opts.ptyRelay ? new PtyRelays(opts.ptyRelay.dir, opts.ptyRelay.binary) : undefined;
    this.#callMs = positive(opts.callTimeoutMs, 15_000, 'callTimeoutMs');
    this.#readings = new UsageReadings(this.#engine, this.#callMs, cgroups);
    this.#slots = new EngineSlots({
      mutations: positive(opts.maxConcurrentMutations, 8, 'maxConcurrentMutations'),
      removals: positive(opts.maxConcurrentRemovals, 3, 'maxConcurrentRemovals'),
      perContainer: positive(opts.maxCallsPerContainer, 4, 'maxCallsPerContainer'),
      containerCalls: positive(opts.maxContainerCalls, 32, 'maxContainerCalls'),
      slotWaitMs: positive(opts.slotWaitMs, Math.max(120_000, this.#callMs), 'slotWaitMs'),
      callMs: this.#callMs,
    });
    this.#pullMs = positive(opts.pullTimeoutMs, 600_000, 'pullTimeoutMs');
    this.#execs = new DockerExecs(this.#engine, this.#slots, this.#callMs);
    this.#images = new ImagePulls(this.#engine, this.#slots, { callMs: this.#callMs, pullMs: this.#pullMs });
  }

  hasImage(image: string): Promise<boolean> {
    return this.#images.exists(image);
  }

  ensureImage(image: string, onProgress?: (line: string) => void): Promise<void> {
    return this.#images.ensure(image, onProgress);
  }

  async create(req: CreateRequest): Promise<InstanceInfo> {
    const relay = this.#relays ? await this.#relayOptions(this.#relays, req) : undefined;
    try {
      const info = await this.#create(req, relay);
      if (relay) this.#tokens.set(info.id, relay.labels[LABEL_RELAY]!);
      return info;
    } catch (err) {
      if (relay) this.#relays!.forget(relay.labels[LABEL_RELAY]!);
      throw err;
    }
  }

  /** The relay in front of the program the container would run: the image's ENTRYPOINT, then command or CMD. */
  async #relayOptions(relays: PtyRelays, req: CreateRequest): Promise<RelayOptions> {
    const program = await this.#images.program(req.env.image);
    const argv = [...program.entrypoint, ...(commandArgv(req.env.command) ?? program.cmd)];
    if (argv.length === 0) {
      throw new IsletError('CONFIG_INVALID', 'This environment is misconfigured. Please tell the instructor.', `image ${req.env.image} has no command`, {
        image: req.env.image,
      });
    }
    const m = relays.prepare();
    return { binds: m.binds, entrypoint: m.entrypoint, cmd: [...m.args, ...argv], labels: { [LABEL_RELAY]: m.token } };
  }

  async #create(req: CreateRequest, relay: RelayOptions | undefined): Promise<InstanceInfo> {
    const { name, ...body } = createOptions(req, this.#local, relay);
    let res: { Id: string };
    try {
      res = await this.#slots.mutate('create', () =>
        this.#engine.json<{ Id: string }>({
          op: 'create',
          method: 'POST',
          path: '/containers/create',
          query: { name },
          body,
          timeoutMs: this.#callMs,
        }),
      );
    } catch (err) {
      if (statusOf(err) === 404) throw imageMissing(req.env.image, err);
      // The engine may still finish a create we stopped waiting for: leave nothing behind.
      if (err instanceof IsletError && err.code === 'RUNTIME_UNAVAILABLE' && (err.detail.timeoutMs !== undefined || err.detail.errno === 'ECONNRESET')) {
        setTimeout(() => {
          this.remove(name).catch(() => undefined);
        }, this.#callMs).unref();
      }
      throw err;
    }
    return { id: res.Id, name, image: req.env.image, state: 'created', labels: { ...body.Labels }, createdAt: new Date() };
  }

  async inspect(idOrName: string): Promise<InstanceInfo | undefined> {
    try {
      return fromInspect(
        await this.#engine.json<InspectJson>({ op: 'inspect', method: 'GET', path: `/containers/${enc(idOrName)}/json`, timeoutMs: this.#callMs }),
      );
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async find(labels: Readonly<Record<string, string>>): Promise<InstanceInfo[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const list = await this.#engine.json<ListJson[]>({
      op: 'find',
      method: 'GET',
      path: '/containers/json',
      query: { all: true, filters },
      timeoutMs: this.#callMs,
    });
    return list.map(fromList);
  }

  /** The relay token of container `id`, or null when it has none (one inspect the first time, then remembered). */
  async #token(id: string): Promise<string | null> {
    if (!this.#relays) return null;
    const known = this.#tokens.get(id);
    if (known !== undefined) return known;
    const info = await this.inspect(id);
    const token = info?.labels[LABEL_RELAY] ?? null;
    if (info) {
      this.#tokens.set(id, token);
      this.#tokens.set(info.id, token);
    }
    return token;
  }

  /**
   * For the start of a server (one container list): removes the socket directories of relay containers that no
   * longer exist (removed while no server ran). It does not listen for running ones: a second server on the same
   * data directory would take every terminal over from the first; a server listens for a container when a
   * trainee attaches to it or starts it, and until then the relay tries to connect once a second.
   */
  async sweepRelays(): Promise<number> {
    if (!this.#relays) return 0;
    const list = await this.#engine.json<ListJson[]>({
      op: 'find',
      method: 'GET',
      path: '/containers/json',
      query: { all: true, filters: { label: [LABEL_RELAY] } },
      timeoutMs: this.#callMs,
    });
    return this.#relays.sweep(new Set(list.map((c) => c.Labels?.[LABEL_RELAY] ?? '')));
  }

  /** Stops listening on the relays' sockets (the server is stopping; the relays connect again to the next one). */
  close(): void {
    this.#relays?.close();
  }

  /**
   * The relay's attachment, whose end also waits (up to RELAY_EXIT_WAIT_MS) for the engine to see the container
   * stop: the relay's connection closes as its program exits, a moment before the engine records the exit, and a
   * caller inspecting at once would take a shell that exited for a lost stream. A connection lost while the
   * container runs (another server took the terminal over) ends after that wait.
   */
  #relayAttachment(id: string, token: string): Attachment {
    const att = this.#relays!.attach(token);
    let detached = false;
    const ended = att.ended.then(async () => {
      if (detached) return;
      await this.#engine
        .json({
          op: 'wait',
          method: 'POST',
          path: `/containers/${enc(id)}/wait`,
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

  async attach(id: string): Promise<Attachment> {
    const token = await this.#token(id);
    if (token) return this.#relayAttachment(id, token);
    // With Tty the stream is raw (no stdout/stderr multiplexing).
    const sock = await this.#engine.hijack({
      op: 'attach',
      method: 'POST',
      path: `/containers/${enc(id)}/attach`,
      timeoutMs: this.#callMs,
      query: { stream: true, stdin: true, stdout: true, stderr: true },
    });
    return attachment(sock);
  }

  exec(id: string, req: ExecRequest): Promise<Execution> {
    return this.#execs.exec(id, req);
  }

  async rename(id: string, name: string): Promise<void> {
    // A rename claims a pool container for a trainee who waits on it: ahead of queued creates (engine-slots.ts).
    await this.#slots.mutate(
      'rename',
      () =>
        this.#engine.json({
          op: 'rename',
          method: 'POST',
          path: `/containers/${enc(id)}/rename`,
          query: { name },
          timeoutMs: this.#callMs,
        }),
      'finish',
    );
  }

  async putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    await this.#slots.mutate('put-archive', () =>
      this.#engine.json({
        op: 'put-archive',
        method: 'PUT',
        path: `/containers/${enc(id)}/archive`,
        query: { path: dir },
        file: tar,
        timeoutMs: this.#callMs,
      }),
    );
  }

  getArchive(id: string, path: string): Promise<Readable> {
    // The timer covers the whole transfer: exports of big homes get the pull time limit.
    return new Promise((resolve, reject) => {
      this.#engine
        .stream(
          {
            op: 'get-archive',
            method: 'GET',
            path: `/containers/${enc(id)}/archive`,
            query: { path },
            timeoutMs: this.#pullMs,
          },
          async (res) => {
            const out = new PassThrough();
            resolve(out);
            await pipeline(res, out);
          },
        )
        .catch(reject);
    });
  }

  async start(id: string): Promise<void> {
    // The relay's socket directory is bound into the container: it must exist (and be listened on) before it starts.
    const token = await this.#token(id);
    if (token) this.#relays!.listen(token);
    try {
      // A start finishes a container already made (its create done): ahead of queued creates (engine-slots.ts).
      await this.#slots.mutate(
        'start',
        () => this.#engine.json({ op: 'start', method: 'POST', path: `/containers/${enc(id)}/start`, timeoutMs: this.#callMs }),
        'finish',
      );
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already running
    }
  }

  #networks = new Map<string, Promise<{ subnets: string[] }>>();

  ensureNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<{ subnets: string[] }> {
    let p = this.#networks.get(name);
    if (!p) {
      p = this.#slots.mutate('network', () => ensureBridgeNetwork(this.#engine, name, labels, this.#callMs));
      this.#networks.set(name, p);
      p.catch(() => this.#networks.delete(name)); // a failure is retried next time
    }
    return p;
  }

  diskUsage(id: string): Promise<number | undefined> {
    return this.#readings.diskUsage(id);
  }

  cpuTime(id: string): Promise<number | undefined> {
    return this.#readings.cpuTime(id);
  }

  usage(id: string): Promise<{ cpuNs: number; memoryBytes: number } | undefined> {
    return this.#readings.usage(id);
  }

  async resize(id: string, size: TtySize): Promise<void> {
    const rows = clampDim(size.rows),
      cols = clampDim(size.cols);
    const token = await this.#token(id);
    if (token) {
      this.#relays!.resize(token, { rows, cols });
      return;
    }
    try {
      await this.#slots.fair(id, () =>
        this.#engine.json({
          op: 'resize',
          method: 'POST',
          path: `/containers/${enc(id)}/resize`,
          query: { h: rows, w: cols },
          timeoutMs: this.#callMs,
        }),
      );
    } catch (err) {
      // A TTY that is not running has nothing to resize (e.g. the shell exited at once).
      const status = statusOf(err);
      const text = err instanceof IsletError ? String(err.detail.engineMessage ?? '') : '';
      if ((status === 409 || status === 500) && /not running|stopped/i.test(text)) return;
      throw err;
    }
  }

  async stop(id: string, graceSeconds = 10): Promise<void> {
    const t = Math.max(0, Math.ceil(graceSeconds));
    try {
      await this.#slots.mutate('stop', () =>
        this.#engine.json({
          op: 'stop',
          method: 'POST',
          path: `/containers/${enc(id)}/stop`,
          query: { t },
          timeoutMs: this.#callMs + t * 1000,
        }),
      );
    } catch (err) {
      const s = statusOf(err);
      if (s !== 304 && s !== 404) throw err; // already stopped / no such container
    }
  }

  async remove(id: string): Promise<void> {
    await this.#remove(id);
    // Only once the container is gone (or never was): a failed removal keeps its relay.
    const token = this.#tokens.get(id);
    if (token) {
      this.#relays?.forget(token);
      this.#tokens.delete(id);
    }
  }

  async #remove(id: string): Promise<void> {
    try {
      await this.#slots.mutate(
        'remove',
        () =>
          this.#engine.json({
            op: 'remove',
            method: 'DELETE',
            path: `/containers/${enc(id)}`,
            query: { force: true, v: true },
            timeoutMs: this.#callMs,
          }),
        'removal',
      );
    } catch (err) {
      const s = statusOf(err);
      if (s === 404) return;
      if (s === 409 && err instanceof IsletError && /in progress/i.test(String(err.detail.engineMessage))) return this.#waitGone(id);
      throw err;
    }
  }

  async #waitGone(id: string): Promise<void> {
    const deadline = Date.now() + this.#callMs;
    while (Date.now() < deadline) {
      if (!(await this.inspect(id))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, `container ${id} still exists ${this.#callMs} ms after its removal began`, { op: 'remove', id });
  }
}

/** How long a relay attachment's end waits for the engine to record its container's exit. */
const RELAY_EXIT_WAIT_MS = 3000;

/** Path segment: ids, names and image references, escaped (the engine decodes %2F). */
const enc = (s: string): string => encodeURIComponent(s);

function positive(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number, got ${v}`);
  return v;
}
