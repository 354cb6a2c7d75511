/**
 * RuntimeDriver in memory, for unit tests that must run without an engine.
 * It passes the same case suite as the Docker driver
 * (runtime-driver.case.ts, run in fake-driver.test.ts) and fails the way the
 * Docker driver fails in the same situations: RUNTIME_FAILED with the HTTP
 * status the engine would send (`detail.statusCode`: 404 missing, 409
 * conflict or not running, 403 read-only), RUNTIME_UNAVAILABLE when the
 * engine does not answer, IMAGE_MISSING for an absent image (also from
 * create, as Docker's 404 there), and the Docker driver's trainee messages.
 *
 * Drivers made on one FakeEngine share its instances (as DockerDrivers share
 * one engine); the engine's `behaviour` scripts slowness and failures.
 * `unsupported` declares operations this driver lacks, to test callers (and
 * the case suite) against a backend without them.
 */
import type { Readable } from 'node:stream';
import { IsletError } from '../../core/islet-error.ts';
import { createOptions } from '../docker/create-options.ts';
import { MSG_BUSY, MSG_FAILED, MSG_IMAGE } from '../docker/engine-client.ts';
import type {
  Attachment,
  CreateRequest,
  ExecRequest,
  Execution,
  GroupCpuTime,
  InstanceInfo,
  OptionalOperation,
  RuntimeDriver,
  TtySize,
} from '../runtime-driver.ts';
import { FakeEngine, type FakeOperation } from './fake-engine.ts';
import { FakeInstance } from './fake-instance.ts';
import { LABEL_MANAGED } from '../names.ts';

export interface FakeDriverOptions {
  /** How long a call the engine never answers takes to fail (behaviour.neverStarts); default 15000, as Docker's. */
  readonly callTimeoutMs?: number;
  /** Optional operations this driver pretends to lack: each throws RUNTIME_UNSUPPORTED. */
  readonly unsupported?: readonly OptionalOperation[];
}

export class FakeDriver implements RuntimeDriver {
  readonly name = 'fake';
  readonly engine: FakeEngine;
  readonly unsupported: ReadonlySet<OptionalOperation>;
  readonly #callMs: number;

  constructor(engine: FakeEngine = new FakeEngine(), opts: FakeDriverOptions = {}) {
    this.engine = engine;
    this.unsupported = new Set(opts.unsupported ?? []);
    this.#callMs = opts.callTimeoutMs ?? 15_000;
  }

  /** Records the call, yields once (an engine answers asynchronously), and applies a scripted failure. */
  async #call(op: FakeOperation): Promise<void> {
    this.engine.calls.push(op);
    if ((this.unsupported as ReadonlySet<string>).has(op)) {
      throw new IsletError('RUNTIME_UNSUPPORTED', MSG_FAILED, `the ${this.name} runtime has no ${op}`, { op });
    }
    await new Promise((r) => setImmediate(r));
    const fail = this.engine.behaviour.fail?.[op];
    if (fail === 'RUNTIME_UNAVAILABLE') {
      throw new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, `fake engine unreachable during ${op} (scripted)`, { op, errno: 'ECONNREFUSED' });
    }
    if (fail === 'RUNTIME_FAILED') throw refused(op, 500, `scripted failure of ${op}`);
  }

  #get(op: string, idOrName: string): FakeInstance {
    const i = this.engine.lookup(idOrName);
    if (!i) throw refused(op, 404, `No such container: ${idOrName}`);
    return i;
  }

  async hasImage(image: string): Promise<boolean> {
    await this.#call('hasImage');
    return this.engine.images.has(image);
  }

  async ensureImage(image: string, onProgress?: (line: string) => void): Promise<void> {
    await this.#call('ensureImage');
    if (this.engine.images.has(image)) return;
    const pulled = this.engine.registry.get(image);
    if (!pulled) throw imageMissing(image, 'pull access denied: repository does not exist');
    onProgress?.(`${image}: Pulling from fake registry`);
    onProgress?.(`Status: Downloaded newer image for ${image}`);
    this.engine.images.set(image, pulled);
  }

  async create(req: CreateRequest): Promise<InstanceInfo> {
    const opts = createOptions(req);
    await this.#call('create');
    const image = this.engine.images.get(req.env.image);
    if (!image) throw imageMissing(req.env.image, `No such image: ${req.env.image}`);
    const mode = opts.HostConfig?.NetworkMode;
    if (mode && mode !== 'none' && mode !== 'bridge' && !this.engine.networks.has(mode)) throw imageMissing(req.env.image, `network ${mode} not found`);
    if (this.engine.lookup(req.name)?.name === req.name) throw refused('create', 409, `Conflict. The container name "/${req.name}" is already in use`);
    const inst = new FakeInstance(this.engine.newId(), opts, image, req.tty);
    if (opts.HostConfig?.AutoRemove)
      inst.onExit = () => {
        this.engine.drop(inst);
      };
    this.engine.instances.set(inst.id, inst);
    return inst.info();
  }

  async inspect(idOrName: string): Promise<InstanceInfo | undefined> {
    await this.#call('inspect');
    return this.engine.lookup(idOrName)?.info();
  }

  async find(labels: Readonly<Record<string, string>>): Promise<InstanceInfo[]> {
    await this.#call('find');
    return this.engine.list().filter((i) => Object.entries(labels).every(([k, v]) => i.labels[k] === v));
  }

  async attach(id: string): Promise<Attachment> {
    await this.#call('attach');
    return this.#get('attach', id).attach();
  }

  async exec(id: string, req: ExecRequest): Promise<Execution> {
    await this.#call('exec');
    const i = this.#get('exec-create', id);
    if (!i.running) throw refused('exec-create', 409, `Container ${i.id} is not running`);
    return i.exec(req);
  }

  async rename(id: string, name: string): Promise<void> {
    await this.#call('rename');
    const i = this.#get('rename', id);
    const other = this.engine.lookup(name);
    if (other && other.name === name && other !== i) throw refused('rename', 409, `Conflict. The container name "/${name}" is already in use`);
    i.name = name;
  }

  async putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    await this.#call('putArchive');
    const i = this.#get('put-archive', id);
    if (i.fs.get(dir)?.kind !== 'dir') throw refused('put-archive', 404, `Could not find the file ${dir} in container ${i.id}`);
    const writable = ['/tmp', i.opts.WorkingDir].some((w) => w && w !== '/' && (dir === w || dir.startsWith(`${w}/`)));
    if (i.opts.HostConfig?.ReadonlyRootfs && !writable) throw refused('put-archive', 403, 'container rootfs is marked read-only');
    await i.fs.untar(dir, tar);
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    await this.#call('getArchive');
    const i = this.#get('get-archive', id);
    if (!i.fs.get(path)) throw refused('get-archive', 404, `Could not find the file ${path} in container ${i.id}`);
    return i.fs.tar(path);
  }

  async start(id: string): Promise<void> {
    await this.#call('start');
    const i = this.#get('start', id);
    const b = this.engine.behaviour;
    if (b.neverStarts) {
      await new Promise((r) => setTimeout(r, this.#callMs));
      const why = `fake engine did not answer start within ${this.#callMs} ms (scripted)`;
      throw new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, why, { op: 'start', timeoutMs: this.#callMs });
    }
    if (b.startDelayMs) await new Promise((r) => setTimeout(r, b.startDelayMs));
    if (i.running) return;
    const why = i.cannotStart();
    if (why) throw refused('start', 400, why);
    if (!this.engine.instances.has(i.id)) throw refused('start', 404, `No such container: ${id}`);
    i.start(b.exitOnStart);
  }

  async resize(id: string, size: TtySize): Promise<void> {
    await this.#call('resize');
    const i = this.#get('resize', id);
    if (i.running) i.resize(size);
  }

  async stop(id: string, _graceSeconds = 10): Promise<void> {
    await this.#call('stop');
    await this.engine.lookup(id)?.kill('SIGKILL');
  }

  async remove(id: string): Promise<void> {
    await this.#call('remove');
    const i = this.engine.lookup(id);
    if (!i) return;
    this.engine.drop(i);
    i.destroy();
  }

  async ensureNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<{ subnets: string[] }> {
    await this.#call('ensureNetwork');
    let net = this.engine.networks.get(name);
    if (!net) {
      net = { subnets: [`10.${200 + (this.engine.networks.size % 50)}.0.0/16`], labels: { [LABEL_MANAGED]: 'true', ...labels } };
      this.engine.networks.set(name, net);
    }
    return { subnets: [...net.subnets] };
  }

  async diskUsage(id: string): Promise<number | undefined> {
    await this.#call('diskUsage');
    return this.engine.lookup(id)?.fs.written;
  }

  async cpuTime(id: string): Promise<number | undefined> {
    await this.#call('cpuTime');
    const i = this.engine.lookup(id);
    return i?.running ? i.cpuNs : undefined;
  }

  async cpuWaited(id: string): Promise<number | undefined> {
    await this.#call('cpuWaited');
    const i = this.engine.lookup(id);
    return i?.running ? i.waitedNs : undefined;
  }

  async usage(id: string): Promise<{ cpuNs: number; memoryBytes: number } | undefined> {
    await this.#call('cpuTime');
    const i = this.engine.lookup(id);
    return i?.running ? { cpuNs: i.cpuNs, memoryBytes: i.memoryBytes } : undefined;
  }

  /** Every instance in one group; a fake without cpuTime reads no CPU, so it has no group either. */
  async groupCpuTime(): Promise<GroupCpuTime | undefined> {
    await this.#call('groupCpuTime');
    if (this.unsupported.has('cpuTime')) return undefined;
    return { cpuNs: this.engine.groupCpuNs(), holds: (id) => this.engine.instances.has(id) };
  }

  async setCpuWeight(id: string, shares: number): Promise<boolean> {
    await this.#call('setCpuWeight');
    const i = this.engine.lookup(id);
    if (!i?.running || !Number.isInteger(shares) || shares < 2 || shares > 262144) return false;
    i.cpuWeight = shares;
    return true;
  }
}

function refused(op: string, statusCode: number, engineMessage: string): IsletError {
  return new IsletError('RUNTIME_FAILED', MSG_FAILED, `fake engine refused ${op}: HTTP ${statusCode} ${engineMessage}`, { op, statusCode, engineMessage });
}

function imageMissing(image: string, why: string): IsletError {
  return new IsletError('IMAGE_MISSING', MSG_IMAGE, `image ${image} is not on the engine and could not be pulled: ${why}`, { image });
}
