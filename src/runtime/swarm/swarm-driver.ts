/**
 * RuntimeDriver for Docker Swarm (manager API >= 1.41, Docker 20.10+): a trainee's instance is a one-replica
 * service (service-spec.ts) that Swarm places; everything about the running container (attach, exec,
 * archives, resize, stop, measures) goes to the engine of the node that runs the task, through a DockerDriver
 * per node, so the per-container fairness, time limits and error codes are the Docker driver's.
 *
 * Identity: InstanceInfo.id is the service id, name the service name (the trainee's canonical name). The
 * service is created with 0 replicas (`created`); start() asks for one task and waits until its container
 * runs. A stopped container (stop(), or a shell that exited) is started again in place, on its node, so files
 * are kept as on one host; Swarm leaves it alone because the task's restart policy is `none`.
 *
 * No network: Swarm cannot give a service `network none` (API 1.41 refuses it). A task with no network
 * attachment gets the node's default bridge when the node has one; on nodes started with `--bridge=none`
 * it has loopback only. The driver does not trust configuration: the first container it starts on a node
 * (and again every ten minutes) is checked from inside (node-checks.ts: loopback only, and no-new-privileges
 * where the environment asks for it), and a node that fails is refused with RUNTIME_UNSUPPORTED.
 *
 * A lost node: the instance reports state `dead` with `lost` set; start() then asks Swarm for a new task
 * (ForceUpdate), which lands on a node that is up, fresh from the image.
 */
import type { Readable } from 'node:stream';
import { IsletError } from '../../core/islet-error.ts';
import { DockerDriver } from '../docker/docker-driver.ts';
import { EngineClient, MSG_BUSY, statusOf } from '../docker/engine-client.ts';
import { parseEngineAddress } from '../docker/engine-address.ts';
import type {
  Attachment,
  CreateRequest,
  ExecRequest,
  Execution,
  InstanceInfo,
  OptionalOperation,
  Retiring,
  RuntimeDriver,
  TtySize,
} from '../runtime-driver.ts';
import { NodeChecks } from './node-checks.ts';
import { retiringInstances } from './node-drains.ts';
import { PendingAttachments } from './pending-attachments.ts';
import { LABEL_SWARM_NAME, LABEL_SWARM_NNP, LABEL_SWARM_TTY, serviceName, serviceSpec } from './service-spec.ts';
import { enc, notFound, notRunning, unavailable } from './swarm-errors.ts';
import { type ServiceJson, type TaskJson, TASK_STATE, instanceName, serviceInfo } from './swarm-json.ts';
import { TaskLocator, type Where } from './task-locator.ts';
import { TaskStarts } from './task-starts.ts';

export interface SwarmDriverOptions {
  /** A manager's engine (engine-address.ts: unix:///path, /path, or tcp://host:port with TLS); default: DOCKER_HOST, else /var/run/docker.sock. */
  readonly manager?: string;
  /** Each node's engine, by node hostname (as `docker node ls` names it): where its containers are reached. */
  readonly nodes: Readonly<Record<string, string>>;
  readonly callTimeoutMs?: number;
  /** How long start() waits for Swarm to place and run the task (default 60000). */
  readonly startTimeoutMs?: number;
  /** Placement constraints added to every service. */
  readonly constraints?: readonly string[];
  /** Grace Swarm gives a live shell when it stops a task itself (node drain), in seconds (default 3600). */
  readonly drainGraceSeconds?: number;
  /** Certificates (ca.pem, cert.pem, key.pem) for engines reached over TCP; default DOCKER_CERT_PATH. */
  readonly tlsDir?: string;
}

/** A swarm object id (services, tasks, nodes): what the runner passes after create. */
const SERVICE_ID = /^[a-z0-9]{25}$/;

interface Node {
  readonly driver: DockerDriver;
  readonly engine: EngineClient;
}

export class SwarmDriver implements RuntimeDriver {
  readonly name = 'swarm';
  /** Services cannot be renamed; networks are never attached (see the file comment). */
  readonly unsupported: ReadonlySet<OptionalOperation> = new Set<OptionalOperation>(['rename', 'ensureNetwork']);
  readonly #manager: EngineClient;
  readonly #nodes = new Map<string, Node>();
  readonly #callMs: number;
  readonly #startMs: number;
  readonly #constraints: readonly string[];
  readonly #graceNs: number;
  readonly #locator: TaskLocator;
  readonly #starts: TaskStarts;
  readonly #checks = new NodeChecks();
  /** Attachments waiting for a service's first container. */
  readonly #pending: PendingAttachments;
  /** Images every node had, and until when that is trusted (create skips asking the nodes again). */
  readonly #imagesSeen = new Map<string, number>();
  /** Service id or name → where its container ran last (a hint; a failed call looks again). */
  readonly #where = new Map<string, { node: string; container: string; svc?: ServiceJson }>();

  constructor(o: SwarmDriverOptions) {
    this.#callMs = o.callTimeoutMs ?? 15_000;
    this.#startMs = o.startTimeoutMs ?? 60_000;
    this.#constraints = o.constraints ?? [];
    this.#graceNs = (o.drainGraceSeconds ?? 3600) * 1e9;
    this.#manager = new EngineClient({ endpoint: parseEngineAddress(o.manager ?? process.env.DOCKER_HOST, o.tlsDir) });
    for (const [host, addr] of Object.entries(o.nodes)) {
      const endpoint = parseEngineAddress(addr, o.tlsDir);
      if (endpoint === undefined) throw new RangeError(`swarm node ${host}: an engine address is required`);
      this.#nodes.set(host, { driver: new DockerDriver({ endpoint, callTimeoutMs: this.#callMs }), engine: new EngineClient({ endpoint }) });
    }
    if (this.#nodes.size === 0) throw new RangeError('the swarm driver needs the engine address of at least one node (runtime.nodes)');
    const engines = new Map([...this.#nodes].map(([host, n]) => [host, n.engine]));
    this.#locator = new TaskLocator(this.#manager, engines, this.#callMs);
    this.#starts = new TaskStarts(this.#manager, engines, this.#callMs);
    this.#pending = new PendingAttachments(this.#callMs);
  }

  /** Instances on drained nodes and when Swarm stops them (node-drains.ts): the door tells their trainees. */
  retiring(): Promise<Map<string, Retiring>> {
    return retiringInstances(this.#manager, this.#callMs, this.#graceNs / 1e6);
  }

  /** True when every reachable node has the image (a node that does not answer is not asked). */
  async hasImage(image: string): Promise<boolean> {
    const got = await Promise.allSettled([...this.#nodes.values()].map((n) => n.driver.hasImage(image)));
    const answers = got.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (answers.length === 0) throw unavailable('no swarm node answered', {});
    return answers.every(Boolean);
  }

  /** Every reachable node gets the image (Swarm may place the task on any of them). */
  async ensureImage(image: string, onProgress?: (line: string) => void): Promise<void> {
    const got = await Promise.allSettled([...this.#nodes.values()].map((n) => n.driver.ensureImage(image, onProgress)));
    const missing = got.find((r) => r.status === 'rejected' && r.reason instanceof IsletError && r.reason.code === 'IMAGE_MISSING');
    if (missing) throw (missing as PromiseRejectedResult).reason;
    if (!got.some((r) => r.status === 'fulfilled')) throw (got[0] as PromiseRejectedResult).reason;
  }

  async create(req: CreateRequest): Promise<InstanceInfo> {
    const spec = serviceSpec(req, { constraints: this.#constraints, stopGraceNs: this.#graceNs });
    // Asked of every node once a minute per image, not at every create (one round of node calls fewer per login).
    if ((this.#imagesSeen.get(req.env.image) ?? 0) < Date.now()) {
      if (!(await this.hasImage(req.env.image))) await this.ensureImage(req.env.image); // IMAGE_MISSING when a node cannot get it
      this.#imagesSeen.set(req.env.image, Date.now() + 60_000);
    }
    const res = await this.#manager.json<{ ID: string }>({
      op: 'service-create',
      method: 'POST',
      path: '/services/create',
      body: spec,
      timeoutMs: this.#callMs,
    });
    return { id: res.ID, name: req.name, image: req.env.image, state: 'created', labels: spec.Labels, createdAt: new Date() };
  }

  async inspect(idOrName: string): Promise<InstanceInfo | undefined> {
    // A container last seen running and still running is the service's current one (a new task only replaces a
    // container that stopped or whose node was lost): one call to its node, as on one host — a reattach's case.
    const hint = this.#where.get(idOrName);
    if (hint?.svc) {
      const c = await this.#node(hint.node)
        .driver.inspect(hint.container)
        .catch(() => undefined);
      if (c?.state === 'running') return { ...serviceInfo(hint.svc), state: 'running', ...(c.startedAt ? { startedAt: c.startedAt } : {}) };
    }
    const [svc, where] = await this.#serviceAndTask(idOrName);
    if (!svc) return undefined;
    return this.#info(svc, where);
  }

  async find(labels: Readonly<Record<string, string>>): Promise<InstanceInfo[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const list = await this.#manager.json<ServiceJson[]>({ op: 'service-list', method: 'GET', path: '/services', query: { filters }, timeoutMs: this.#callMs });
    const out: InstanceInfo[] = [];
    // A few at a time: find serves the reconciler, never the login path.
    for (let i = 0; i < list.length; i += 8) {
      const part = await Promise.all(list.slice(i, i + 8).map(async (s) => this.#info(s, await this.#locator.locate(s.ID))));
      out.push(...part);
    }
    return out;
  }

  async attach(id: string): Promise<Attachment> {
    const hint = this.#where.get(id);
    if (hint) {
      const att = await this.#node(hint.node)
        .driver.attach(hint.container)
        .catch(() => undefined);
      if (att) return att;
      this.#where.delete(id);
    }
    const [svc, w] = await this.#serviceAndTask(id);
    if (!svc) throw notFound(id, 'attach');
    if (w.container && w.node && !w.lost) {
      const att = await this.#node(w.node)
        .driver.attach(w.container)
        .catch(() => undefined);
      if (att) {
        this.#remember(svc, w);
        return att;
      }
    }
    return this.#pending.add(svc.ID);
  }

  async start(id: string): Promise<void> {
    const [svc, found] = await this.#serviceAndTask(id);
    if (!svc) throw notFound(id, 'start');
    let where = found;
    try {
      // In place when its node still has the container (files kept); else a new task, placed by Swarm.
      let inPlace = false;
      if (where.container && where.node && !where.lost) {
        try {
          await this.#node(where.node).driver.start(where.container);
          inPlace = true;
        } catch (err) {
          if (!(err instanceof IsletError) || !(err.code === 'RUNTIME_UNAVAILABLE' || statusOf(err) === 404)) throw err;
        }
      }
      if (!inPlace) where = await this.#newTask(svc, where.task);
      await this.#checks.verify(where.node!, this.#node(where.node!).driver, where.container!, svc.Spec.Labels?.[LABEL_SWARM_NNP] === 'true');
      this.#remember(svc, where);
      const [cols, rows] = (svc.Spec.Labels?.[LABEL_SWARM_TTY] ?? '80x24').split('x').map(Number) as [number, number];
      await this.#pending.connect(svc.ID, this.#node(where.node!), where.container!, { cols, rows });
    } catch (err) {
      this.#pending.fail(svc.ID);
      throw err;
    }
  }

  async exec(id: string, req: ExecRequest): Promise<Execution> {
    const at = await this.#running(id, 'exec');
    return at.node.driver.exec(at.container, req);
  }

  rename(): Promise<void> {
    return Promise.reject(
      new IsletError('RUNTIME_UNSUPPORTED', MSG_BUSY, 'a swarm service cannot be renamed (the swarm driver declares rename unsupported)', { op: 'rename' }),
    );
  }

  async putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    const at = await this.#running(id, 'put-archive');
    await at.node.driver.putArchive(at.container, dir, tar);
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    const at = await this.#running(id, 'get-archive');
    return at.node.driver.getArchive(at.container, path);
  }

  async resize(id: string, size: TtySize): Promise<void> {
    const at = await this.#at(id).catch(() => undefined);
    if (at) await at.node.driver.resize(at.container, size);
  }

  async stop(id: string, graceSeconds?: number): Promise<void> {
    // Looked up afresh, not from the hint: another door may have moved the trainee to a new task meanwhile.
    this.#where.delete(id);
    const at = await this.#at(id).catch(() => undefined);
    if (at) await at.node.driver.stop(at.container, graceSeconds);
  }

  async remove(id: string): Promise<void> {
    const svc = await this.#service(id);
    if (!svc) return;
    // The container first, at once: Swarm would stop it with the long drain grace.
    const where = await this.#locator.locate(svc.ID);
    if (where.container && !where.lost) await this.#node(where.node!).driver.remove(where.container);
    this.#pending.fail(svc.ID);
    this.#forget(svc);
    try {
      await this.#manager.json({ op: 'service-remove', method: 'DELETE', path: `/services/${enc(svc.ID)}`, timeoutMs: this.#callMs });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  ensureNetwork(): Promise<{ subnets: string[] }> {
    return Promise.reject(
      new IsletError('RUNTIME_UNSUPPORTED', MSG_BUSY, 'the swarm driver attaches no network (environments with a network are refused)', {
        op: 'ensureNetwork',
      }),
    );
  }

  async diskUsage(id: string): Promise<number | undefined> {
    const at = await this.#at(id).catch(() => undefined);
    return at ? at.node.driver.diskUsage(at.container) : undefined;
  }

  async cpuTime(id: string): Promise<number | undefined> {
    const at = await this.#at(id).catch(() => undefined);
    return at ? at.node.driver.cpuTime(at.container) : undefined;
  }

  /** CPU time and memory of the task's container, from its node's engine (the console's roster samples it). */
  async usage(id: string): Promise<{ readonly cpuNs: number; readonly memoryBytes: number } | undefined> {
    const at = await this.#at(id).catch(() => undefined);
    return at ? at.node.driver.usage(at.container) : undefined;
  }

  // ---------------------------------------------------------------------------

  /** The service of an instance id (the service id) or instance name (its service name: serviceName). */
  async #service(idOrName: string): Promise<ServiceJson | undefined> {
    const isId = SERVICE_ID.test(idOrName);
    try {
      const s = await this.#manager.json<ServiceJson>({
        op: 'service-inspect',
        method: 'GET',
        path: `/services/${enc(isId ? idOrName : serviceName(idOrName))}`,
        timeoutMs: this.#callMs,
      });
      // The engine also matches an id prefix or a service name: only the exact instance is this one.
      return s.ID === idOrName || s.Spec.Labels?.[LABEL_SWARM_NAME] === idOrName ? s : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * The service and where its task is. By service id (what the runner passes after create), both are asked of
   * the manager at once: one round trip fewer on every login; by name, one after the other.
   */
  async #serviceAndTask(idOrName: string): Promise<[ServiceJson | undefined, Where]> {
    const early = SERVICE_ID.test(idOrName) ? this.#locator.locate(idOrName) : undefined;
    early?.catch(() => undefined); // awaited below, or not needed
    const svc = await this.#service(idOrName);
    if (!svc) return [undefined, {}];
    return [svc, early && svc.ID === idOrName ? await early : await this.#locator.locate(svc.ID)];
  }

  async #info(svc: ServiceJson, where: Where): Promise<InstanceInfo> {
    const base = serviceInfo(svc);
    if (!where.task) return { ...base, state: 'created' };
    if (where.lost) return { ...base, state: 'dead', lost: where.lost };
    if (where.container && where.node) {
      // The container's own state: a container started again in place runs although its task ended.
      const c = await this.#node(where.node)
        .driver.inspect(where.container)
        .catch((err: unknown) => (err instanceof IsletError && err.code === 'RUNTIME_UNAVAILABLE' ? null : Promise.reject(err)));
      if (c === null) return { ...base, state: 'dead', lost: `node ${where.node} does not answer` };
      if (c?.state === 'running') this.#remember(svc, where);
      if (c)
        return { ...base, state: c.state, ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}), ...(c.startedAt ? { startedAt: c.startedAt } : {}) };
      return { ...base, state: 'dead', lost: `its container is gone from node ${where.node}` };
    }
    const state = TASK_STATE[where.task.Status.State] ?? 'dead';
    const code = where.task.Status.ContainerStatus?.ExitCode;
    return { ...base, state, ...(state === 'exited' && code !== undefined ? { exitCode: code } : {}) };
  }

  /** Asks Swarm for a (new) task and waits until its container runs (task-starts.ts), on a node with an address. */
  async #newTask(svc: ServiceJson, previous: TaskJson | undefined): Promise<Where> {
    const { task: t, node: heard } = await this.#starts.run(svc, previous, this.#startMs);
    const node = heard ?? (await this.#locator.nodeName(t.NodeID!));
    if (!this.#nodes.has(node)) throw unavailable(`swarm ran ${svc.Spec.Name} on node ${node}, which has no engine address in runtime.nodes`, { node });
    return { task: t, node, container: t.Status.ContainerStatus!.ContainerID! };
  }

  /** The node and container of a service whose container exists on a reachable node (cached; else looked up). */
  async #at(id: string): Promise<{ node: Node; container: string }> {
    const hint = this.#where.get(id);
    if (hint) return { node: this.#node(hint.node), container: hint.container };
    const [svc, w] = await this.#serviceAndTask(id);
    if (!svc) throw notFound(id, 'locate');
    if (!w.container || !w.node || w.lost) throw notRunning(id, w.lost);
    this.#remember(svc, w);
    return { node: this.#node(w.node), container: w.container };
  }

  async #running(id: string, op: string): Promise<{ node: Node; container: string }> {
    for (let look = 0; look < 2; look++) {
      const at = await this.#at(id);
      const c = await at.node.driver.inspect(at.container).catch(() => undefined);
      if (c?.state === 'running') return at;
      this.#where.delete(id); // a stale hint: look again once
    }
    throw new IsletError('RUNTIME_FAILED', MSG_BUSY, `${op}: instance ${id} is not running`, { op, statusCode: 409, engineMessage: 'is not running' });
  }

  #remember(svc: ServiceJson, w: Where): void {
    const v = { node: w.node!, container: w.container!, svc };
    this.#where.set(svc.ID, v);
    this.#where.set(instanceName(svc), v);
  }

  #forget(svc: ServiceJson): void {
    this.#where.delete(svc.ID);
    this.#where.delete(instanceName(svc));
  }

  #node(host: string): Node {
    const n = this.#nodes.get(host);
    if (!n) throw unavailable(`swarm node ${host} has no engine address in runtime.nodes`, { node: host });
    return n;
  }
}
