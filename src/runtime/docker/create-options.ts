/**
 * Turns a CreateRequest into the body of Docker's `POST /containers/create`.
 *
 * Pure: no engine, no filesystem, no clock. Everything the trainee's container
 * may do is decided here, so it is unit-tested field by field
 * (create-options.test.ts). Invariants, whatever the environment says:
 * never privileged, mounts are always read-only, the Docker socket (or a
 * directory holding it) is never mounted, the hostname is never the host's,
 * and every container carries `islet.managed=true`.
 *
 * Network off: `NetworkMode: none` always; with `local.hostsFileFor` (an engine on this machine, see
 * hosts-files.ts) also `NetworkDisabled`, which starts the container without Docker's network sandbox
 * (runc still gives it a namespace of its own with `lo` up) and a read-only bind of ISLET's hosts file
 * at /etc/hosts instead of the engine's.
 */
import type { ContainerCreateOptions } from 'dockerode';
import { IsletError } from '../../core/islet-error.ts';
import { type CreateRequest } from '../runtime-driver.ts';
import { LABEL_MANAGED } from '../names.ts';

/**
 * oom_score_adj of a trainee's processes (0 is the host's default): in a shortage of the whole host the kernel's
 * OOM killer takes them before ISLET's and the engine's; a trainee can lower it to 0, no further. With the pty
 * relay the relay runs at 0 and sets this on the program it starts (PROGRAM_OOM_ADJ in native/pty-relay.c), so
 * within the container's limit the relay is never the victim.
 */
export const TRAINEE_OOM_SCORE_ADJ = 100;

/** Size of the tmpfs mounted at /tmp when the root filesystem is read-only. */
export const READONLY_TMP_TMPFS = 'rw,nosuid,nodev,size=64m,mode=1777';

const ROOT_USERS = new Set(['root', '0']);

/** A host path that is, or contains, the engine's control socket. */
const ENGINE_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run/containerd/containerd.sock', '/run/containerd/containerd.sock'];

/** The Docker create body, plus `name` (sent as a query parameter, not in the body). */
export type DockerCreateOptions = ContainerCreateOptions & { name: string };

/** What only an engine on this machine can be given. */
export interface LocalEngineOptions {
  /**
   * Path (on the engine's machine) of the hosts file for a network-off container called `hostname`, or
   * undefined when there is none (then the engine's own `network none`, sandbox and all).
   */
  readonly hostsFileFor?: (hostname: string) => string | undefined;
  /**
   * The cgroup the container goes under (Docker's `CgroupParent`): ISLET's idle group for trainees
   * (trainee-cpu-group.ts) once it is prepared; undefined: the engine's own.
   */
  readonly cgroupParent?: string;
}

/**
 * The pty relay (pty-relays.ts, native/pty-relay.c) as the container's main process: its binds (read-only like
 * every bind), its entrypoint, and `cmd`, the relay's arguments followed by the program the container would
 * have run without it (the image's ENTRYPOINT, then the environment's command or the image's CMD).
 */
export interface RelayOptions {
  readonly binds: readonly (readonly [source: string, target: string])[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export function createOptions(req: CreateRequest, local: LocalEngineOptions = {}, relay?: RelayOptions): DockerCreateOptions {
  const env = req.env;
  const hostname = containerHostname(env.hostname ?? env.name);
  const userName = env.user === undefined ? undefined : env.user.split(':')[0]!;
  const workdir = env.workdir ?? (userName !== undefined && !ROOT_USERS.has(userName) ? `/home/${userName}` : undefined);
  const memory = env.memory > 0 ? env.memory : 0;

  const vars = new Map<string, string>();
  for (const [k, v] of Object.entries(env.env)) vars.set(k, v);
  if (req.term !== undefined) vars.set('TERM', safeTerm(req.term));

  const hostConfig: NonNullable<ContainerCreateOptions['HostConfig']> = {
    Privileged: false,
    Memory: memory,
    MemorySwap: memory > 0 ? memory + Math.max(0, env.swap) : -1,
    CpuShares: env.cpu_shares,
    PidsLimit: env.pids_limit,
    Ulimits: Object.entries(env.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard })),
    CapAdd: [...env.cap_add],
    CapDrop: [...env.cap_drop],
    SecurityOpt: env.no_new_privileges ? ['no-new-privileges'] : [],
    ReadonlyRootfs: env.read_only_root,
    NetworkMode: env.network === 'bridge' ? (req.network ?? 'bridge') : 'none',
    ExtraHosts: [`${hostname}:127.0.0.1`],
    Binds: env.mounts.map((m) => bind(m.source, m.target)),
    AutoRemove: env.remove_on_exit,
    OomScoreAdj: relay ? 0 : TRAINEE_OOM_SCORE_ADJ,
    // The engine's default json-file log has no size cap and would keep everything a trainee types and
    // sees; attach does not need it. Recording sessions is an audit concern, not the engine's.
    LogConfig: { Type: 'none', Config: {} },
  };
  if (env.network === 'bridge' && env.dns.length > 0) hostConfig.Dns = [...env.dns];
  const hostsFile = env.network !== 'bridge' && local.hostsFileFor ? local.hostsFileFor(hostname) : undefined;
  if (hostsFile !== undefined) {
    // No sandbox, so no engine-written /etc/hosts for ExtraHosts to go into: ISLET's file carries the same names.
    delete hostConfig.ExtraHosts;
    hostConfig.Binds!.push(bind(hostsFile, '/etc/hosts'));
  }
  if (local.cgroupParent !== undefined) hostConfig.CgroupParent = local.cgroupParent;
  if (env.read_only_root) hostConfig.Tmpfs = { '/tmp': READONLY_TMP_TMPFS };
  // Honoured at create by engines with API >= 1.42; older ones get a resize after start.
  if (req.tty) hostConfig.ConsoleSize = [req.tty.rows, req.tty.cols];

  const opts: DockerCreateOptions = {
    name: req.name,
    Image: env.image,
    Hostname: hostname,
    Tty: true,
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Env: [...vars].map(([k, v]) => `${k}=${v}`),
    Labels: { ...req.labels, [LABEL_MANAGED]: 'true' },
    HostConfig: hostConfig,
  };
  if (hostsFile !== undefined) opts.NetworkDisabled = true;
  if (env.user !== undefined) opts.User = env.user;
  if (workdir !== undefined) opts.WorkingDir = workdir;
  const cmd = commandArgv(env.command);
  if (cmd) opts.Cmd = cmd;
  if (relay) {
    for (const [source, target] of relay.binds) hostConfig.Binds!.push(bind(source, target));
    opts.Entrypoint = [...relay.entrypoint];
    opts.Cmd = [...relay.cmd];
    opts.Labels = { ...relay.labels, ...opts.Labels };
  }
  // A read-only root keeps the home writable: an anonymous volume (seeded from
  // the image, removed with the container) that survives restarts of this container.
  if (env.read_only_root && workdir !== undefined && workdir !== '/') opts.Volumes = { [workdir]: {} };
  return opts;
}

/** `command` as argv: a string is split on whitespace (no shell involved). */
export function commandArgv(c: string | readonly string[] | undefined): string[] | undefined {
  if (c === undefined) return undefined;
  const argv = typeof c === 'string' ? c.split(/\s+/).filter((s) => s.length > 0) : [...c];
  return argv.length > 0 ? argv : undefined;
}

/**
 * A valid RFC 1123 label made from an environment name (which may contain `_`
 * and `.`); never empty, so the engine never falls back to the container id.
 */
export function containerHostname(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return h.length > 0 ? h : 'islet';
}

/** The client's TERM, if it looks like a terminal type; otherwise a safe default. */
function safeTerm(term: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(term) ? term : 'xterm';
}

function bind(source: string, target: string): string {
  for (const p of [source, target]) {
    if (/[:,]/.test(p) || !p.startsWith('/')) {
      throw new IsletError(
        'CONFIG_INVALID',
        'This environment is misconfigured. Please tell the instructor.',
        `mount path ${JSON.stringify(p)} must be absolute and contain no ":" or ","`,
        { source, target },
      );
    }
  }
  const src = normalize(source);
  if (ENGINE_SOCKETS.some((s) => s === src || s.startsWith(src === '/' ? '/' : `${src}/`)) || /(^|\/)(docker|containerd)\.sock$/.test(src)) {
    throw new IsletError(
      'CONFIG_FORBIDDEN',
      'This environment is misconfigured. Please tell the instructor.',
      `mount source ${JSON.stringify(source)} would expose the container engine socket`,
      { source, target },
    );
  }
  return `${source}:${target}:ro`;
}

/** Collapses `//`, `/./` and trailing slashes, resolves `..` lexically. */
function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
