/**
 * The one plug-point for container runtimes. Docker implements it now
 * (src/runtime/docker/); Swarm and Kubernetes drivers will implement the same
 * contract and pass the same conformance suite (runtime-driver.case.ts).
 *
 * Contract for every method:
 * - It finishes or throws within the driver's own time limit (no call may hang
 *   the login path); failures are IsletError with code RUNTIME_UNAVAILABLE,
 *   RUNTIME_FAILED or IMAGE_MISSING (RUNTIME_UNSUPPORTED for an optional
 *   operation the driver declares it lacks, see OPTIONAL_OPERATIONS).
 * - stop/remove are idempotent: acting on a missing or already stopped
 *   instance succeeds.
 * - Nothing here lists every container on the engine except `find`, which is
 *   for the reconciler and admin tools, never for the login path.
 */
import type { Environment } from '../config/schema.ts';
import type { Readable, Writable } from 'node:stream';

// Labels and names of what ISLET puts on the engine: names.ts.

export type InstanceState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface InstanceInfo {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: InstanceState;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  /** Exit code of the main process when state is exited/dead. */
  readonly exitCode?: number;
  /** When the main process last started (inspect only; `find` may leave it out). */
  readonly startedAt?: Date;
  /**
   * Set (with state `dead`) when the instance's container cannot be reached any more through no act of ISLET's:
   * a cluster node lost or drained. Says what was lost, for the trainee's message and the store; start() then
   * gives a fresh container from the image. A single-host driver never sets it.
   */
  readonly lost?: string;
}

export interface TtySize {
  readonly cols: number;
  readonly rows: number;
}

export interface CreateRequest {
  /** Unique instance name (the engine refuses duplicates, which guards against double creation). */
  readonly name: string;
  readonly env: Environment;
  /** Merged over the islet.* labels; tests add islet.test=<run-id>. */
  readonly labels: Readonly<Record<string, string>>;
  readonly tty?: TtySize;
  readonly term?: string;
  /** For `network: bridge` environments: the ISLET bridge network (from ensureNetwork) to join. */
  readonly network?: string;
}

/**
 * A live connection to the main process's TTY. Several attachments to one
 * instance may exist at once (they share the TTY). Closing one never stops the
 * instance.
 */
export interface Attachment {
  readonly input: Writable;
  readonly output: Readable;
  /** Resolves when the stream ends: the main process exited, or detach() was called. */
  readonly ended: Promise<void>;
  /** Closes this attachment only; the instance keeps running. */
  detach(): void;
}

export interface ExecRequest {
  readonly cmd: readonly string[];
  /** A TTY of this size (stdout and stderr then arrive merged on stdout). */
  readonly tty?: TtySize;
  readonly env?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly workdir?: string;
}

/** A process started in a running instance. */
export interface Execution {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves with the exit status once the process ended (-1 when unknown). */
  readonly exited: Promise<number>;
  /**
   * The connection under stdout, when stdout does not pass backpressure on to it (the Docker driver's
   * demultiplexer): a reader that must bound its buffer pauses this as well. Absent: pausing stdout suffices.
   */
  readonly transport?: { pause(): unknown; resume(): unknown };
  resize(size: TtySize): Promise<void>;
  /** Sends a signal to the process and the processes it started in its group (best effort). */
  signal(signal: NodeJS.Signals): Promise<void>;
  /**
   * Ends the engine stream at once (idempotent): the process loses its stdin and stdout (a process still
   * writing gets SIGPIPE) and `exited` settles. Callers must call it when they stop reading the output
   * (client gone, channel closed): an engine stream left unread can stall the instance's other executions.
   */
  close(): void;
}

/**
 * Operations a backend may lack. A driver that lacks one lists it in `unsupported`, and the method then
 * throws IsletError RUNTIME_UNSUPPORTED at once (the case suite asserts exactly that, never skips).
 */
export const OPTIONAL_OPERATIONS = ['exec', 'rename', 'putArchive', 'getArchive', 'ensureNetwork', 'diskUsage', 'cpuTime'] as const;
export type OptionalOperation = (typeof OPTIONAL_OPERATIONS)[number];

/** RuntimeDriver.groupCpuTime's answer. */
export interface GroupCpuTime {
  readonly cpuNs: number;
  /** Whether instance `id`'s CPU time is part of cpuNs. */
  holds(id: string): boolean;
}

export interface RuntimeDriver {
  readonly name: string;
  /** Optional operations this backend lacks (absent or empty: it has them all). */
  readonly unsupported?: ReadonlySet<OptionalOperation>;
  /** Whether the image exists locally (no pull); for `islet check`. */
  hasImage(image: string): Promise<boolean>;
  /** Makes sure the image exists locally, pulling it when it does not; throws IMAGE_MISSING. */
  ensureImage(image: string, onProgress?: (line: string) => void): Promise<void>;
  /** Creates (does not start) an instance. On error nothing is left behind. */
  create(req: CreateRequest): Promise<InstanceInfo>;
  /** The instance by id or name, or undefined when it does not exist. */
  inspect(idOrName: string): Promise<InstanceInfo | undefined>;
  /** Instances whose labels include every given label. */
  find(labels: Readonly<Record<string, string>>): Promise<InstanceInfo[]>;
  /** Attaches to the main TTY; valid on created (not yet started) and running instances. */
  attach(id: string): Promise<Attachment>;
  /** Runs a process in a running instance, stdin/stdout/stderr kept apart unless a TTY is asked for. */
  exec(id: string, req: ExecRequest): Promise<Execution>;
  /**
   * Renames an instance (a warm-pool container claimed by a trainee takes the trainee's name). A name another
   * instance has is refused with RUNTIME_FAILED and `detail.statusCode` 409: the pool leaves that container ready.
   */
  rename(id: string, name: string): Promise<void>;
  /** Unpacks a tar archive into a directory of the instance (as root; ownership as in the archive). */
  putArchive(id: string, dir: string, tar: Buffer): Promise<void>;
  /** A tar stream of a path in the instance (for exports); the caller must consume or destroy it. */
  getArchive(id: string, path: string): Promise<Readable>;
  /** Starts the instance; succeeds when it already runs. */
  start(id: string): Promise<void>;
  resize(id: string, size: TtySize): Promise<void>;
  /** Stops the main process (SIGTERM, then SIGKILL after graceSeconds). */
  stop(id: string, graceSeconds?: number): Promise<void>;
  /** Removes the instance and its writable layer. */
  remove(id: string): Promise<void>;
  /**
   * Makes sure ISLET's trainee network exists (trainees on it cannot reach each other) and returns its
   * subnets. Idempotent; safe from several processes.
   */
  ensureNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<{ subnets: string[] }>;
  /**
   * Disk the instance's own writable layer takes, in bytes: allocated blocks with every file charged at least
   * one block where the driver can see them (so many small files count), else the bytes written; undefined when gone.
   * Costly: not for the login path.
   */
  diskUsage(id: string): Promise<number | undefined>;
  /** Total CPU time the instance has used, in nanoseconds; undefined when it is not running or gone. */
  cpuTime(id: string): Promise<number | undefined>;
  /**
   * Optional. Total time (ns) during which some of the instance's processes were ready to run but waited for a CPU
   * (the kernel's pressure stall information); undefined where not known. A job starved of CPU uses little of it but
   * waits: the idle check tells the two apart with this (src/lifecycle/lifecycle-service.ts).
   */
  cpuWaited?(id: string): Promise<number | undefined>;
  /**
   * CPU time (ns) and memory in use (bytes, page cache not counted) in one engine call, for the instructor
   * console's sampled roster; undefined when not running or gone. Optional: without it the console samples
   * cpuTime and shows no memory.
   */
  usage?(id: string): Promise<{ readonly cpuNs: number; readonly memoryBytes: number } | undefined>;
  /**
   * Optional. The CPU time (ns) of a group on this machine that holds some of this backend's instances, and which
   * of them it holds: the group's time is the sum of theirs, so its growth over a span bounds what each of them used
   * meanwhile (one read for a whole quiet room: src/lifecycle/cpu-weight-governor.ts). `holds` answers for the
   * instances cpuTime() has read; false where not known. Undefined when there is no such group.
   */
  groupCpuTime?(): Promise<GroupCpuTime | undefined>;
  /** True when usage() and cpuTime() read files on this machine (cgroups), not the engine: every instance may be sampled every second. */
  readonly usageLocal?: boolean;
  /**
   * Sets a running instance's CPU weight for the rest of its run, in `docker --cpu-shares` units (its
   * configured weight comes back at its next start): true when set, false when this backend cannot set it for
   * that instance (not running, gone, on another machine). Optional, and cheap only where usageLocal is true
   * (src/lifecycle/cpu-weight-governor.ts changes it every few seconds).
   */
  setCpuWeight?(id: string, shares: number): Promise<boolean>;
  /**
   * Instances whose machine is being retired (a drained Swarm node), by instance id: the node and when the
   * live shell's grace ends. Optional: a backend with one machine has none (src/sessions/drain-notices.ts).
   */
  retiring?(): Promise<ReadonlyMap<string, Retiring>>;
  /** Releases what this process holds for the driver (listening sockets); instances keep running. Optional. */
  close?(): void;
}

/** An instance on a machine being retired (RuntimeDriver.retiring). */
export interface Retiring {
  readonly node: string;
  /** When the machine stops it (the drain's start plus the grace). */
  readonly endsAt: Date;
}
