/**
 * Like for like (issue 15.1): the peer's `docker run` gets the container ISLET
 * would create. This turns ISLET's own create body (src/runtime/docker/
 * create-options.ts, for the same environment) into docker CLI arguments, so
 * both systems' containers log nothing, carry the same ulimits, capabilities,
 * pids and memory limits, the same hostname, user, working directory and
 * command. Pure; peer-flags.test.ts checks it against the engine.
 *
 * Not carried over, because the docker CLI sets them itself: Tty/OpenStdin/
 * Attach* (`-it`), ConsoleSize (the CLI resizes after start) and the TERM
 * variable (the CLI passes the client's TERM through the PTY like ISLET does).
 */
import type { DockerCreateOptions } from '../../src/runtime/docker/create-options.ts';

/** Arguments after `docker run -it --name NAME`: flags, then the image and its command. */
export function peerRunArgs(opts: DockerCreateOptions, extraLabels: Record<string, string> = {}): string[] {
  const h = opts.HostConfig ?? {};
  const a: string[] = [];
  if (opts.Hostname) a.push('--hostname', opts.Hostname);
  if (opts.User) a.push('--user', opts.User);
  if (opts.WorkingDir) a.push('--workdir', opts.WorkingDir);
  for (const e of opts.Env ?? []) if (!e.startsWith('TERM=')) a.push('--env', e);
  for (const [k, v] of Object.entries(extraLabels)) a.push('--label', `${k}=${v}`);
  if (h.Memory) a.push('--memory', String(h.Memory));
  if (h.MemorySwap !== undefined && h.Memory) a.push('--memory-swap', String(h.MemorySwap));
  if (h.CpuShares !== undefined) a.push('--cpu-shares', String(h.CpuShares));
  if (h.CgroupParent) a.push('--cgroup-parent', h.CgroupParent);
  if (h.PidsLimit !== undefined && h.PidsLimit !== null) a.push('--pids-limit', String(h.PidsLimit));
  for (const u of h.Ulimits ?? []) a.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`);
  for (const c of h.CapDrop ?? []) a.push('--cap-drop', c);
  for (const c of h.CapAdd ?? []) a.push('--cap-add', c);
  for (const s of h.SecurityOpt ?? []) a.push('--security-opt', s);
  if (h.ReadonlyRootfs) a.push('--read-only');
  for (const [path, o] of Object.entries(h.Tmpfs ?? {})) a.push('--tmpfs', `${path}:${o}`);
  if (h.NetworkMode) a.push('--network', h.NetworkMode);
  for (const x of h.ExtraHosts ?? []) a.push('--add-host', x);
  for (const d of h.Dns ?? []) a.push('--dns', d);
  for (const b of h.Binds ?? []) a.push('--volume', b);
  for (const v of Object.keys(opts.Volumes ?? {})) a.push('--volume', v);
  if (h.AutoRemove) a.push('--rm');
  if (h.LogConfig?.Type) a.push('--log-driver', h.LogConfig.Type);
  for (const [k, v] of Object.entries(h.LogConfig?.Config ?? {})) a.push('--log-opt', `${k}=${v}`);
  a.push(opts.Image!);
  a.push(...(Array.isArray(opts.Cmd) ? opts.Cmd : opts.Cmd ? [opts.Cmd] : []));
  return a;
}
