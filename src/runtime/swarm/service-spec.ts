/**
 * Turns a CreateRequest into the body of Swarm's `POST /services/create` (API 1.41, Docker 20.10).
 *
 * Pure, and derived from the Docker driver's own createOptions, so user, workdir, hostname, env, labels,
 * refused mounts and the invariants (never privileged, mounts read-only, no engine socket) are the same on
 * both engines. What a service cannot express on API 1.41 is refused here (RUNTIME_UNSUPPORTED) or named
 * in docs/swarm.md:
 * - `network: bridge` and `lab_network`: the driver attaches no network at all (see swarm-driver.ts for why
 *   that means loopback only); an environment that needs one is refused, never silently isolated.
 * - `no_new_privileges`: not a service field on 1.41 (moby's SecurityOpt arrived in 1.44 only as seccomp /
 *   AppArmor); the nodes must run `dockerd --no-new-privileges`, which the driver verifies per node.
 * - `cpu_shares` and `swap` have no service field: CPU is shared by the nodes' defaults, swap is the
 *   engine's default (memory-swap twice the memory limit).
 * The task's restart policy is `none`: a shell that exits stays exited (as on one host), and Swarm never
 * starts a fresh shell nobody asked for.
 */
import { createHash } from 'node:crypto';
import { IsletError } from '../../core/islet-error.ts';
import { createOptions, READONLY_TMP_TMPFS } from '../docker/create-options.ts';
import type { CreateRequest } from '../runtime-driver.ts';

/** Label on the service: the environment asked for no_new_privileges (the driver checks the node gives it). */
export const LABEL_SWARM_NNP = 'islet.swarm.nnp';
/** Label on the service: the instance's name (the trainee's canonical name; see serviceName). */
export const LABEL_SWARM_NAME = 'islet.swarm.name';
/** Label on the service: the TTY size asked for at create (`<cols>x<rows>`); a service has no ConsoleSize. */
export const LABEL_SWARM_TTY = 'islet.swarm.tty';

const MSG_UNSUPPORTED = 'This environment cannot run on this cluster. Please tell the instructor.';

export interface ServiceSpecOptions {
  /** Placement constraints added to every service (e.g. `node.labels.islet==yes`). */
  readonly constraints?: readonly string[];
  /** How long Swarm waits after SIGTERM before SIGKILL when it stops a task (drain): a live shell's grace. */
  readonly stopGraceNs?: number;
}

export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: Record<string, unknown>;
  Mode: { Replicated: { Replicas: number } };
}

export function serviceSpec(req: CreateRequest, o: ServiceSpecOptions = {}): ServiceSpec {
  const env = req.env;
  if (env.network !== 'none' || env.lab_network) {
    const what = env.lab_network ? `lab_network ${JSON.stringify(env.lab_network)}` : `network: ${env.network}`;
    throw new IsletError('RUNTIME_UNSUPPORTED', MSG_UNSUPPORTED, `environment ${env.name} needs ${what}, which the swarm driver does not provide`, {
      environment: env.name,
    });
  }
  const c = createOptions(req);
  const h = c.HostConfig ?? {};
  const labels = {
    ...(c.Labels ?? {}),
    [LABEL_SWARM_NAME]: req.name,
    ...(env.no_new_privileges ? { [LABEL_SWARM_NNP]: 'true' } : {}),
    [LABEL_SWARM_TTY]: `${req.tty?.cols ?? 80}x${req.tty?.rows ?? 24}`,
  };
  const mounts: Record<string, unknown>[] = (h.Binds ?? []).map((b) => {
    const [Source, Target] = b.split(':');
    return { Type: 'bind', Source, Target, ReadOnly: true };
  });
  if (h.Tmpfs?.['/tmp']) mounts.push({ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: tmpfsOptions(READONLY_TMP_TMPFS) });
  for (const dir of Object.keys(c.Volumes ?? {})) mounts.push({ Type: 'volume', Target: dir });
  const containerSpec: Record<string, unknown> = {
    Image: c.Image,
    Labels: labels,
    Hostname: c.Hostname,
    Env: c.Env,
    TTY: true,
    OpenStdin: true,
    ReadOnly: !!h.ReadonlyRootfs,
    Mounts: mounts,
    CapabilityAdd: h.CapAdd ?? [],
    CapabilityDrop: h.CapDrop ?? [],
    Ulimits: h.Ulimits ?? [],
    Hosts: ((h.ExtraHosts ?? []) as string[]).map((e: string) => {
      const i = e.lastIndexOf(':');
      return `${e.slice(i + 1)} ${e.slice(0, i)}`;
    }),
    ...(o.stopGraceNs !== undefined ? { StopGracePeriod: o.stopGraceNs } : {}),
    ...(c.User !== undefined ? { User: c.User } : {}),
    ...(c.WorkingDir !== undefined ? { Dir: c.WorkingDir } : {}),
    ...(c.Cmd ? { Args: c.Cmd } : {}),
  };
  const limits: Record<string, number> = {};
  if (h.Memory) limits.MemoryBytes = h.Memory;
  if (h.PidsLimit !== undefined && h.PidsLimit > 0) limits.Pids = h.PidsLimit;
  return {
    Name: serviceName(req.name),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: { Limits: limits, Reservations: h.Memory ? { MemoryBytes: Math.min(h.Memory, 64 << 20) } : {} },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: { Constraints: [...(o.constraints ?? [])] },
      // The first attachment is made before the task exists: it replays what the shell printed meanwhile from
      // this small log (the Docker driver keeps none; here 256 KiB at most, removed with the container).
      LogDriver: { Name: 'json-file', Options: { 'max-size': '256k', 'max-file': '1' } },
      Networks: [],
    },
    Mode: { Replicated: { Replicas: 0 } },
  };
}

/**
 * The service name of an instance name. Swarm wants a DNS label (letters, digits, `-`/`_` inside, at most 63
 * characters) where ISLET's names have dots (`<instance>.<environment>.<account>`): the readable part keeps
 * what fits and a hash of the whole name keeps it unique, so the engine still refuses a duplicate.
 */
export function serviceName(name: string): string {
  const readable = name
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 44)
    .replace(/[-_]+$/, '');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${readable || 'islet'}-${hash}`;
}

/** `rw,nosuid,nodev,size=64m,mode=1777` → Swarm's TmpfsOptions (size in bytes, mode as a number). */
function tmpfsOptions(s: string): { SizeBytes?: number; Mode?: number } {
  const out: { SizeBytes?: number; Mode?: number } = {};
  for (const part of s.split(',')) {
    const [k, v] = part.split('=');
    if (k === 'size' && v) out.SizeBytes = Number.parseInt(v, 10) * (v.endsWith('m') ? 1 << 20 : v.endsWith('k') ? 1 << 10 : 1);
    if (k === 'mode' && v) out.Mode = Number.parseInt(v, 8);
  }
  return out;
}
