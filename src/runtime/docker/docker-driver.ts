/**
 * RuntimeDriver for a Docker Engine (API >= 1.41, i.e. Docker 20.10+).
 *
 * - Every Engine API call is bounded (callTimeoutMs; pulls pullTimeoutMs; stop adds its grace period). A timeout or
 *   an unreachable engine is RUNTIME_UNAVAILABLE, an engine refusal RUNTIME_FAILED.
 * - Mutations and calls about one container queue in engine-slots.ts (a mutation semaphore, engine-mutations.ts;
 *   a smaller one for removals, moby#42545; one for pulls; a fair gate per container); images are checked and
 *   pulled in image-pulls.ts (one pull per image, whoever asks).
 * - Commands in a container (exec) are docker-exec.ts: their streams are the caller's to end, and signals reach
 *   what the command started.
 * - Disk, CPU and memory readings are usage-readings.ts (host files when the engine runs here, else the engine's
 *   inspect and stats calls); CPU waiting is cgroup-pressure.ts (host files only).
 * - The login path (inspect, ensureImage of a present image, create, attach, start, resize) makes one request each
 *   and never lists or asks `info`.
 * - With the pty relay (options.ptyRelay) trainees' terminals skip the engine: relay-terminals.ts, for containers
 *   created with it.
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IsletError } from '../../core/islet-error.ts';
import type { Attachment, CreateRequest, ExecRequest, Execution, GroupCpuTime, InstanceInfo, RuntimeDriver, TtySize } from '../runtime-driver.ts';
import { createOptions, type LocalEngineOptions, type RelayOptions } from './create-options.ts';
import { PtyRelays } from './pty-relays.ts';
import { RelayTerminals } from './relay-terminals.ts';
import { HostsFiles } from './hosts-files.ts';
import { EngineClient, MSG_BUSY, statusOf } from './engine-client.ts';
import type { DockerDriverOptions } from './docker-driver-options.ts';
import { CgroupUsage } from './cgroup-usage.ts';
import { CgroupWeight } from './cgroup-weight.ts';
import { CgroupPressure } from './cgroup-pressure.ts';
import { groupForEngine, type TraineeCpuGroup } from './trainee-cpu-group.ts';
import { EngineSlots } from './engine-slots.ts';
import { DEFAULT_ENGINE_MUTATIONS } from './engine-mutations.ts';
import { ImagePulls, imageMissing } from './image-pulls.ts';
import { DockerExecs } from './docker-exec.ts';
import { clampDim } from './tty-dims.ts';
import { ensureBridgeNetwork } from './networks.ts';
import { UsageReadings } from './usage-readings.ts';
import { attachment } from './attachment.ts';
import { fromInspect, fromList, type InspectJson, type ListJson } from './instance-info.ts';

export type { DockerDriverOptions };

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
  // setCpuWeight and cpuWaited are present only where this machine's cgroup files hold the engine's containers (an
  // engine on a unix socket here): an engine elsewhere has no weight or stall this driver can read or set.
  readonly setCpuWeight?: (id: string, shares: number) => Promise<boolean>;
  readonly cpuWaited?: (id: string) => Promise<number | undefined>;
  /** Mutation slots and each container's turn (engine-slots.ts). */
  readonly #slots: EngineSlots;
  readonly #images: ImagePulls;
  readonly #execs: DockerExecs;
  readonly #local: LocalEngineOptions;
  /** Trainees' terminals through the pty relay (relay-terminals.ts); undefined: the engine's attach only. */
  readonly #relays: RelayTerminals | undefined;
  /** Whether containers go under ISLET's idle trainee group (trainee-cpu-group.ts); only for an engine on this machine. */
  readonly #cpuGroupWanted: boolean;
  #cpuGroup: Promise<TraineeCpuGroup> | undefined;

  constructor(opts: DockerDriverOptions = {}) {
    this.#engine = new EngineClient({ socketPath: opts.socketPath, endpoint: opts.endpoint });
    // An engine on a unix socket runs on this machine: its containers' cgroups are readable here.
    const remote = opts.endpoint ? !('socketPath' in opts.endpoint) : !opts.socketPath && /^(tcp|https?):/.test(process.env.DOCKER_HOST ?? '');
    const cgroups = remote ? undefined : CgroupUsage.detect();
    this.usageLocal = cgroups !== undefined;
    const weights = remote ? undefined : CgroupWeight.detect();
    if (weights) this.setCpuWeight = async (id, shares) => weights.set(id, shares);
    if (!remote) this.cpuWaited = new CgroupPressure().reader();
    const hosts = !remote && opts.hostsDir ? new HostsFiles(opts.hostsDir) : undefined;
    this.#local = hosts ? { hostsFileFor: (h) => hosts.fileOrNone(h) } : {};
    this.#cpuGroupWanted = !remote && opts.traineeCpuGroup === true;
    this.#callMs = positive(opts.callTimeoutMs, 15_000, 'callTimeoutMs');
    this.#readings = new UsageReadings(this.#engine, this.#callMs, cgroups);
    this.#slots = new EngineSlots({
      mutations: positive(opts.maxConcurrentMutations, DEFAULT_ENGINE_MUTATIONS, 'maxConcurrentMutations'),
      removals: positive(opts.maxConcurrentRemovals, 3, 'maxConcurrentRemovals'),
      pulls: positive(opts.maxConcurrentPulls, 4, 'maxConcurrentPulls'),
      perContainer: positive(opts.maxCallsPerContainer, 4, 'maxCallsPerContainer'),
      containerCalls: positive(opts.maxContainerCalls, 32, 'maxContainerCalls'),
      slotWaitMs: positive(opts.slotWaitMs, Math.max(120_000, this.#callMs), 'slotWaitMs'),
      callMs: this.#callMs,
    });
    this.#pullMs = positive(opts.pullTimeoutMs, 600_000, 'pullTimeoutMs');
    this.#execs = new DockerExecs(this.#engine, this.#slots, this.#callMs);
    this.#images = new ImagePulls(this.#engine, this.#slots, { callMs: this.#callMs, pullMs: this.#pullMs });
    this.#relays =
      !remote && opts.ptyRelay
        ? new RelayTerminals({
            relays: new PtyRelays(opts.ptyRelay.dir, opts.ptyRelay.binary, opts.ptyRelay), // its sliceUs and onWatchUnavailable
            engine: this.#engine,
            images: this.#images,
            callMs: this.#callMs,
            inspect: (id) => this.inspect(id),
          })
        : undefined;
  }

  hasImage(image: string): Promise<boolean> {
    return this.#images.exists(image);
  }

  ensureImage(image: string, onProgress?: (line: string) => void): Promise<void> {
    return this.#images.ensure(image, onProgress);
  }

  create(req: CreateRequest): Promise<InstanceInfo> {
    return this.#relays ? this.#relays.create(req, (relay) => this.#create(req, relay)) : this.#create(req, undefined);
  }

  /**
   * ISLET's idle group for trainee containers, prepared once (at the first create, or when the server asks at start):
   * the containers' parent, or why they stay in the engine's group; undefined when not asked for. An engine that does
   * not answer gives a reason now and is asked again next time.
   */
  traineeCpuGroup(): Promise<TraineeCpuGroup> | undefined {
    if (!this.#cpuGroupWanted) return undefined;
    this.#cpuGroup ??= this.#engine.json<{ CgroupDriver?: string }>({ op: 'info', method: 'GET', path: '/info', timeoutMs: this.#callMs }).then(
      (info) => groupForEngine(info.CgroupDriver),
      (err: unknown) => {
        this.#cpuGroup = undefined;
        return { reason: `the engine did not answer /info: ${(err as Error).message}` };
      },
    );
    return this.#cpuGroup;
  }

  async #create(req: CreateRequest, relay: RelayOptions | undefined): Promise<InstanceInfo> {
    const group = await this.traineeCpuGroup();
    const local = group && 'parent' in group ? { ...this.#local, cgroupParent: group.parent } : this.#local;
    const { name, ...body } = createOptions(req, local, relay);
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

  /** For the start of a server: the socket directories of relay containers that are gone (RelayTerminals.sweep). */
  sweepRelays(): Promise<number> {
    return this.#relays ? this.#relays.sweep() : Promise.resolve(0);
  }

  /** Stops listening on the relays' sockets (the server is stopping; the relays connect again to the next one). */
  close(): void {
    this.#relays?.close();
  }

  async attach(id: string): Promise<Attachment> {
    const token = this.#relays ? await this.#relays.token(id) : null;
    if (token) return this.#relays!.attach(id, token);
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
    const token = this.#relays ? await this.#relays.token(id) : null;
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
  readonly groupCpuTime = (): Promise<GroupCpuTime | undefined> => this.#readings.groupCpuTime();

  async resize(id: string, size: TtySize): Promise<void> {
    const rows = clampDim(size.rows),
      cols = clampDim(size.cols);
    const token = this.#relays ? await this.#relays.token(id) : null;
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
    // Looked up before (remembered for ids; one inspect for a name): afterwards the name tells nothing.
    const token = this.#relays ? await this.#relays.token(id).catch(() => null) : null;
    await this.#remove(id);
    // Only once the container is gone (or never was): a failed removal keeps its relay.
    if (token) this.#relays!.removed(id, token);
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

/** Path segment: ids, names and image references, escaped (the engine decodes %2F). */
const enc = (s: string): string => encodeURIComponent(s);

function positive(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number, got ${v}`);
  return v;
}
