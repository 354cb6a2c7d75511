/**
 * `islet run` and `grouprun` containers get the same hardened options as a
 * trainee's container: the options come from the runtime's createOptions()
 * (src/runtime/docker/create-options.ts) for an environment built with
 * ISLET's defaults (all capabilities dropped, no new privileges, no network,
 * memory/pids/ulimits, read-only mounts), then are spelled as `docker run`
 * flags. Only two things are added here, both named by the caller:
 * write-back directories (the only writable mounts) and, for capture tools,
 * the capabilities their file capabilities need in the bounding set.
 */
import { environmentSchema, type Environment } from '../config/schema.ts';
import { createOptions, type DockerCreateOptions } from '../runtime/docker/create-options.ts';

export interface Mount {
  readonly source: string;
  readonly target: string;
}

export interface RunSpec {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly readOnly: readonly Mount[];
  readonly writable: readonly Mount[];
  readonly workdir?: string;
  readonly user?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Capabilities put back into the bounding set (the image's file capabilities need them). */
  readonly capAdd: readonly string[];
  /** `host` only when the trainer's config allows capture on the host's interfaces; a lab network's name; else none. */
  readonly network?: string;
  readonly interactive: boolean;
  readonly tty: boolean;
  /** Run in the background (`-d`): the lab network's traffic generator. */
  readonly detach?: boolean;
  /** False only where file capabilities must take effect (live capture); ISLET's default is true. */
  readonly noNewPrivileges?: boolean;
}

export function runEnvironment(spec: RunSpec): Environment {
  const env = environmentSchema.parse({
    image: spec.image,
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.workdir !== undefined ? { workdir: spec.workdir } : {}),
    mounts: spec.readOnly.map((m) => ({ source: m.source, target: m.target })),
    cap_add: [...spec.capAdd],
    remove_on_exit: true,
    ...(spec.noNewPrivileges === false ? { no_new_privileges: false } : {}),
  });
  return { ...env, name: spec.name, source: 'islet run' };
}

export function dockerRunArgs(spec: RunSpec): string[] {
  const o: DockerCreateOptions = createOptions({ name: spec.name, env: runEnvironment(spec), labels: spec.labels });
  const h = o.HostConfig!;
  const a: string[] = ['run', '--name', o.name];
  if (h.AutoRemove) a.push('--rm');
  if (spec.detach) a.push('-d');
  if (spec.interactive) a.push('-i');
  if (spec.tty) a.push('-t');
  if (o.Hostname) a.push('--hostname', o.Hostname);
  if (o.User) a.push('--user', o.User);
  if (o.WorkingDir) a.push('--workdir', o.WorkingDir);
  for (const e of o.Env ?? []) a.push('--env', e);
  for (const [k, v] of Object.entries(o.Labels ?? {})) a.push('--label', `${k}=${v}`);
  if (h.Privileged) throw new Error('never privileged');
  if (h.Memory) a.push('--memory', String(h.Memory), '--memory-swap', String(h.MemorySwap));
  if (h.CpuShares) a.push('--cpu-shares', String(h.CpuShares));
  if (h.PidsLimit !== undefined && h.PidsLimit !== null) a.push('--pids-limit', String(h.PidsLimit));
  for (const u of h.Ulimits ?? []) a.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`);
  for (const c of h.CapDrop ?? []) a.push('--cap-drop', c);
  for (const c of h.CapAdd ?? []) a.push('--cap-add', c);
  for (const s of h.SecurityOpt ?? []) a.push('--security-opt', s);
  if (h.ReadonlyRootfs) a.push('--read-only');
  for (const [p, opts] of Object.entries(h.Tmpfs ?? {})) a.push('--tmpfs', `${p}:${opts}`);
  a.push('--network', spec.network ?? String(h.NetworkMode));
  if (spec.network === undefined || spec.network !== 'host') for (const x of h.ExtraHosts ?? []) a.push('--add-host', x);
  for (const b of h.Binds ?? []) a.push('--volume', b);
  for (const m of spec.writable) a.push('--volume', `${m.source}:${m.target}:rw`);
  a.push('--log-driver', 'none');
  a.push('--entrypoint', spec.command[0]!, o.Image!, ...spec.command.slice(1));
  return a;
}

export type { DockerCreateOptions };
