/**
 * `islet check --effective <environment>`: what a trainee's container of that
 * environment really gets, read from the same Docker create options the
 * runtime sends (createOptions), each setting with where it came from: a
 * file and line (and the YAML key or legacy variable), or ISLET's default.
 */
import { basename } from 'node:path';
import type { Environment } from '../../config/schema.ts';
import type { LoadedConfig } from '../../config/config-source.ts';
import { formatIssue } from '../../config/config-issue.ts';
import type { OptionSource } from '../../config/environment-layers.ts';
import { createOptions } from '../../runtime/docker/create-options.ts';

export interface EffectiveSetting {
  readonly setting: string;
  readonly value: string;
  /** "default", "always" (an invariant no file can change), or `file:line (OPTION)`. */
  readonly source: string;
}

/** Docker's default capability set: what a container keeps when cap_drop does not say ALL. */
export const dockerDefaultCapabilities: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/**
 * The capabilities a container gets from CapAdd/CapDrop, by the engine's rule (moby TweakCapabilities):
 * an add of ALL gives every capability but the named drops; a drop of ALL gives exactly the adds;
 * otherwise Docker's default set minus the drops plus the adds.
 */
export function effectiveCapabilities(capAdd: readonly string[], capDrop: readonly string[]): string[] | 'ALL' {
  if (capAdd.includes('ALL')) return capDrop.some((c) => c !== 'ALL') ? ['ALL', ...capDrop.filter((c) => c !== 'ALL').map((c) => `-${c}`)] : 'ALL';
  if (capDrop.includes('ALL')) return [...new Set(capAdd)].sort();
  return [...new Set([...dockerDefaultCapabilities.filter((c) => !capDrop.includes(c)), ...capAdd])].sort();
}

export function formatSource(s: OptionSource | undefined): string {
  if (!s) return 'default';
  return `${s.line === undefined ? s.file : `${s.file}:${s.line}`}${s.option ? ` (${s.option})` : ''}`;
}

const yesNo = (b: boolean | undefined) => (b ? 'yes' : 'no');
const bytes = (n: number) => (n <= 0 ? 'unlimited' : n % 1024 ** 3 === 0 ? `${n / 1024 ** 3}g` : n % 1024 ** 2 === 0 ? `${n / 1024 ** 2}m` : `${n}`);
const limit = (n: number) => (n < 0 ? 'unlimited' : String(n));
const duration = (s: number) => (s <= 0 ? 'off' : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export function effectiveSettings(env: Environment, sourceOf: (key: string) => OptionSource | undefined = () => undefined): EffectiveSetting[] {
  const o = createOptions({ name: `islet.${env.name}.<account>`, env, labels: {} });
  const h = o.HostConfig!;
  const out: EffectiveSetting[] = [];
  const add = (setting: string, value: string, key?: string) =>
    out.push({ setting, value, source: key === undefined ? 'always' : formatSource(sourceOf(key)) });

  add('image', o.Image!, 'image');
  add('enabled', yesNo(env.enabled), 'enabled');
  add('user', o.User ?? "the image's USER", 'user');
  add('workdir', o.WorkingDir ?? "the image's WORKDIR", env.workdir === undefined && o.WorkingDir !== undefined ? 'user' : 'workdir');
  add('command', o.Cmd?.join(' ') ?? "the image's CMD", 'command');
  add('hostname', o.Hostname!, 'hostname');
  add('privileged', yesNo(h.Privileged));

  const caps = effectiveCapabilities(h.CapAdd ?? [], h.CapDrop ?? []);
  add('cap_drop', (h.CapDrop ?? []).join(' ') || '(none)', 'cap_drop');
  add('cap_add', (h.CapAdd ?? []).join(' ') || '(none)', 'cap_add');
  out.push({
    setting: 'capabilities',
    value: caps === 'ALL' ? 'ALL (every capability)' : caps.length === 0 ? 'none' : caps.join(' '),
    source: "cap_drop and cap_add, by the engine's rule",
  });
  for (const c of h.CapAdd ?? []) add(`capability ${c}`, 'added', `cap_add.${c}`);
  add('no_new_privileges', yesNo(h.SecurityOpt?.includes('no-new-privileges')), 'no_new_privileges');
  add('read_only_root', yesNo(h.ReadonlyRootfs), 'read_only_root');
  // fsize is in bytes for the engine; a shell's `ulimit -f` shows it in 1024-byte blocks.
  for (const u of h.Ulimits ?? [])
    add(`ulimit ${u.Name}`, `${limit(u.Soft!)}:${limit(u.Hard!)}${u.Name === 'fsize' && u.Soft! > 0 ? ` (${bytes(u.Soft!)})` : ''}`, `ulimits.${u.Name}`);
  add('pids_limit', limit(h.PidsLimit ?? -1), 'pids_limit');
  add('memory', bytes(h.Memory ?? 0), 'memory');
  add('swap', bytes(env.swap), 'swap');
  add('cpu_shares', String(h.CpuShares), 'cpu_shares');
  add('network', env.network, 'network');
  if (h.Dns?.length) add('dns', h.Dns.join(' '), 'dns');
  add('mounts', (h.Binds ?? []).join(' ') || '(none)', 'mounts');
  add('env', Object.keys(env.env).join(' ') || '(none)', 'env');
  add('remove_on_exit', yesNo(h.AutoRemove), 'remove_on_exit');
  add('timeout', duration(env.timeout), 'timeout');
  add('idle_stop', duration(env.idle_stop), 'idle_stop');
  add('disk_quota', bytes(env.disk_quota).replace('unlimited', 'off'), 'disk_quota');
  add('forward_ports', env.forward_ports.join(' ') || '(none)', 'forward_ports');
  add('engine socket', 'never mounted');
  add('log driver', h.LogConfig?.Type ?? 'none');
  return out;
}

/** Aligned text, one setting a line. */
export function formatEffective(name: string, settings: readonly EffectiveSetting[]): string {
  const w1 = Math.max(...settings.map((s) => s.setting.length));
  const w2 = Math.min(48, Math.max(...settings.map((s) => s.value.length)));
  const row = (a: string, b: string, c: string) => `  ${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c}`;
  return [
    `Effective settings of environment "${name}" (what a trainee's container gets):`,
    row('SETTING', 'VALUE', 'FROM'),
    ...settings.map((s) => row(s.setting, s.value, s.source)),
  ].join('\n');
}

/**
 * Prints the effective settings of one environment of a loaded config; returns the exit code:
 * 0 when it is in service, 2 when no valid environment has that name (its file's problems are printed).
 */
export function printEffective(cfg: LoadedConfig, name: string, json: boolean): number {
  const env = cfg.environments.find((e) => e.name === name);
  if (!env) {
    for (const i of cfg.issues.filter((x) => basename(x.file).replace(/\.(ya?ml|conf)$/, '') === name)) console.log(formatIssue(i));
    const known = cfg.environments.map((e) => e.name).join(', ') || 'none';
    console.log(`CRITICAL: no valid environment "${name}" (valid environments: ${known})`);
    return 2;
  }
  const settings = effectiveSettings(env, cfg.sources?.get(name));
  if (json) console.log(JSON.stringify({ environment: name, source: env.source, settings }, null, 2));
  else {
    console.log(formatEffective(name, settings));
    for (const i of cfg.issues.filter((x) => x.file === env.source)) console.log(formatIssue(i));
  }
  return 0;
}

/** A warning for an environment whose cap_drop does not say ALL: it keeps Docker's default capabilities. */
export function weakCapDropWarning(env: Environment): string | undefined {
  if (env.cap_drop.includes('ALL') || env.cap_add.includes('ALL')) return undefined;
  const kept = effectiveCapabilities(env.cap_add, env.cap_drop);
  return `${env.source}: warning: cap_drop: environment "${env.name}" does not drop ALL capabilities, so its containers keep Docker's default set: ${Array.isArray(kept) ? kept.join(' ') : kept}; ISLET's default is cap_drop: [ALL] with cap_add for the few a tool needs [CONFIG_INVALID]`;
}
