/**
 * Everything that ended up on the original's `docker run` command line (resources, GLOBAL_OPTIONS and
 * LOCAL_OPTIONS, capabilities, ulimits, MOUNT, workdir/user/env/--rm), as layers folded in the original's
 * order onto an environment's options. A section of map-legacy.ts.
 */
import type { EnvironmentDefaultsInput } from '../schema.ts';
import { emptyFlags, parseDockerFlags, type DockerFlags, type Mount } from './docker-flags.ts';
import type { LegacyReader, Problem } from './legacy-reader.ts';
import { clip, convertSwap } from './values.ts';
import { legacyCapabilities, legacyUlimits } from './variables.ts';

/**
 * The original's modules/docker.conf said "yes" to these by default (for sudo and setcap). ISLET does not
 * honour that default: only an environment file that names one itself adds it.
 */
export const withheldDefaultCaps: ReadonlySet<string> = new Set(['SETFCAP', 'SETUID', 'SETGID']);

/** A run of docker settings and, per field, the variable that supplied it. */
interface Layer {
  readonly flags: DockerFlags;
  readonly from: (field: string) => string;
  readonly caps?: boolean;
  readonly ulimitVars?: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything that ended up on the original's `docker run` command line, folded in the original's order. */
export function mapDocker(r: LegacyReader, out: EnvironmentDefaultsInput): void {
  // The layers in the original's order (each section reports its own problems in that order).
  const layers: Layer[] = [...resourceLayers(r), ...optionLayers(r)];
  const caps = capabilityLayers(r);
  layers.push(...caps.layers, ...ulimitLayers(r), ...mountLayers(r), ...runLayers(r));
  applyFolded(r, out, foldLayers(r, layers), caps);
}

/** Resources and network: --hostname, --cpu-shares, --memory, --memory-swap, --net, --dns. */
function resourceLayers(r: LegacyReader): Layer[] {
  const { value, set, issue, whole } = r;
  const layers: Layer[] = [];
  // 1. --hostname, --cpu-shares, --memory, --memory-swap, --net, --dns
  const f = emptyFlags();
  const from: Record<string, string> = {};
  if (set('HOSTNAME') !== undefined) {
    f.hostname = value('HOSTNAME')!;
    from.hostname = 'HOSTNAME';
  }
  for (const name of ['CPUSHARES', 'CPU']) {
    if (f.cpuShares !== undefined || set(name) === undefined) continue;
    const n = whole(name);
    if (n !== undefined) {
      f.cpuShares = n;
      from.cpuShares = name;
    }
  }
  const mem = set('MEMORY') !== undefined ? 'MEMORY' : set('RAM') !== undefined ? 'RAM' : undefined;
  if (mem) {
    f.memory = value(mem)!.trim();
    from.memory = mem;
  }
  if (set('SWAP') !== undefined) {
    f.memorySwap = value('SWAP')!.trim();
    from.memorySwap = 'SWAP';
  }
  const net = set('NETWORK');
  if (net !== undefined) {
    const n = net === 'default' ? 'bridge' : net;
    if (n === 'none' || n === 'bridge') {
      f.network = n;
      from.network = 'NETWORK';
    } else
      issue(
        'critical',
        'CONFIG_INVALID',
        'NETWORK',
        net === 'host'
          ? 'NETWORK="host" is refused: it would give the container the host\'s network stack (use none or bridge)'
          : `NETWORK="${clip(net)}" is not supported (use none or bridge)`,
      );
  }
  const dns = set('DNS');
  if (dns !== undefined) {
    f.dns.push(...dns.split(/\s+/).filter(Boolean));
    from.dns = 'DNS';
  }
  layers.push({ flags: f, from: (k) => from[k] ?? 'HOSTNAME' });
  return layers;
}

/** GLOBAL_OPTIONS, LOCAL_OPTIONS (old name OPTIONS), parsed as docker flags. */
function optionLayers(r: LegacyReader): Layer[] {
  const { set } = r;
  const layers: Layer[] = [];
  // 2. GLOBAL_OPTIONS, LOCAL_OPTIONS (old name OPTIONS)
  for (const name of ['GLOBAL_OPTIONS', 'LOCAL_OPTIONS', 'OPTIONS']) {
    const text = set(name);
    if (text !== undefined) layers.push(flagsLayer(r, name, text));
  }
  return layers;
}

/** Capabilities (CAP_*, DROP_ALL, ADD_ALL). */
function capabilityLayers(r: LegacyReader): { layers: Layer[]; anyCaps: boolean; dropAll: boolean; addAll: boolean } {
  const { vars, kind, isOwn, value, issue, yes } = r;
  const layers: Layer[] = [];
  // 3. capabilities. ISLET always starts from cap_drop ALL (the schema default, shared with YAML), so
  // "yes" adds a capability back and "no" changes nothing: it is already dropped. The original's module
  // defaults SETFCAP/SETUID/SETGID="yes" are not honoured from islet.conf or modules/docker.conf (see
  // withheldDefaultCaps); an environment file that names one itself gets it.
  const capVars = [...vars.keys()].filter((k) => k.startsWith('CAP_') && legacyCapabilities.has(k.slice(4)));
  const anyCaps = capVars.length > 0 || vars.has('DROP_ALL') || vars.has('ADD_ALL');
  const dropAll = yes('DROP_ALL') === true;
  const addAll = yes('ADD_ALL') === true;
  if (anyCaps) {
    const f = emptyFlags();
    const withheld: string[] = [];
    for (const name of capVars) {
      const cap = name.slice(4);
      const v = value(name)!;
      if (v === 'yes') {
        if (withheldDefaultCaps.has(cap) && !(kind === 'environment' && isOwn(name))) {
          if (isOwn(name)) withheld.push(name);
          continue;
        }
        f.capAdd.push(cap);
      } else if (v === 'no') {
        // Only matters beside ADD_ALL="yes": a "no" from a file before the one that says ADD_ALL (the original
        // module's 34 defaults under an environment's ADD_ALL) is a default, not a named exception.
        if (!addAll || !isOwn('ADD_ALL') || isOwn(name)) f.capDrop.push(cap);
      } else if (v !== '')
        issue('warning', 'CONFIG_INVALID', name, `"${clip(v)}" is neither "yes" nor "no"; as in the original the capability is neither added nor dropped`);
    }
    // Said once, in the file that carries the original's defaults (an environment inheriting them says nothing).
    if (withheld.length > 0) {
      issue(
        'warning',
        'CONFIG_INVALID',
        withheld[0]!,
        `${withheld.join(', ')}="yes" here gave every container of the original these capabilities by default; ISLET keeps them dropped (safer: no setuid or setcap in trainee containers). To give one to an environment, set it to "yes" in that environment's own file`,
      );
    }
    if (addAll) {
      f.capAdd.length = 0;
      f.capAdd.push('ALL');
      issue('warning', 'CONFIG_INVALID', 'ADD_ALL', 'ADD_ALL="yes" gives the container every capability, including SYS_ADMIN; prefer adding the few it needs');
    }
    layers.push({
      flags: f,
      from: (k) =>
        k === 'capAdd' && addAll ? 'ADD_ALL' : (lastOf(r, k === 'capAdd' ? 'yes' : 'no') ?? capVars[0] ?? (vars.has('DROP_ALL') ? 'DROP_ALL' : 'ADD_ALL')),
      caps: true,
    });
  }
  return { layers, anyCaps, dropAll, addAll };
}

/** ULIMIT_*. */
function ulimitLayers(r: LegacyReader): Layer[] {
  const { vars } = r;
  const layers: Layer[] = [];
  // 4. ulimits ("" or "no" = not set)
  const f = emptyFlags();
  let last = '';
  for (const [name, v] of vars) {
    if (!name.startsWith('ULIMIT_') || !legacyUlimits.has(name.slice(7))) continue;
    const val = v.value.trim();
    if (val === '' || val === 'no') continue;
    f.ulimits.set(name.slice(7).toLowerCase(), val);
    last = name;
  }
  if (f.ulimits.size > 0) layers.push({ flags: f, from: () => last, ulimitVars: true });
  return layers;
}

/** MOUNT, parsed as docker flags. */
function mountLayers(r: LegacyReader): Layer[] {
  const { set } = r;
  const layers: Layer[] = [];
  // 5. MOUNT
  const text = set('MOUNT');
  if (text !== undefined) layers.push(flagsLayer(r, 'MOUNT', text));
  return layers;
}

/** --workdir, --user, --env (ENVS), --rm. */
function runLayers(r: LegacyReader): Layer[] {
  const { value, set, issue, yes, envsList, exportedValue } = r;
  const layers: Layer[] = [];
  // 6. --workdir, --user, --env (ENVS), --rm
  const f = emptyFlags();
  const from: Record<string, string> = {};
  if (set('WORKDIR') !== undefined) {
    f.workdir = value('WORKDIR')!;
    from.workdir = 'WORKDIR';
  }
  if (set('VIRTUSER') !== undefined) {
    f.user = value('VIRTUSER')!;
    from.user = 'VIRTUSER';
  }
  for (const name of envsList) {
    if (!ENV_NAME.test(name)) {
      issue('warning', 'CONFIG_INVALID', 'ENVS', `"${clip(name)}" is not a variable name; ignored`);
      continue;
    }
    const problems: Problem[] = [];
    const v = exportedValue(name, 'ENVS', problems);
    for (const p of problems) issue(p.severity, p.code, 'ENVS', p.message);
    if (v !== undefined) {
      f.env.set(name, v);
      from.env = 'ENVS';
    }
  }
  const rm = yes('REMOVE');
  if (rm !== undefined) {
    f.remove = rm;
    from.remove = 'REMOVE';
  }
  layers.push({ flags: f, from: (k) => from[k] ?? 'VIRTUSER' });
  return layers;
}

/** Folds the layers in order: single values — the last layer wins (docker's rule for repeated flags); lists and maps accumulate. */
function foldLayers(r: LegacyReader, layers: readonly Layer[]) {
  const { origin } = r;
  // Fold: single values — the last layer wins (docker's rule for repeated flags); lists and maps accumulate.
  const single = [
    ['hostname', 'hostname'],
    ['cpuShares', 'cpu_shares'],
    ['memory', 'memory'],
    ['network', 'network'],
    ['pidsLimit', 'pids_limit'],
    ['workdir', 'workdir'],
    ['user', 'user'],
    ['readOnly', 'read_only_root'],
    ['noNewPrivileges', 'no_new_privileges'],
  ] as const;
  const result = emptyFlags();
  let swapFrom: string | undefined;
  let memoryFrom: string | undefined;
  let optionRemove: { on: boolean; from: string } | undefined;
  let varRemove: boolean | undefined;
  const dns: string[] = [];
  const mounts: Mount[] = [];
  const ulimits = new Map<string, string>();
  const env = new Map<string, string>();
  for (const { flags: f, from, caps, ulimitVars } of layers) {
    for (const [field, key] of single) {
      if (f[field] === undefined) continue;
      (result as unknown as Record<string, unknown>)[field] = f[field];
      origin(key, from(field));
      if (field === 'memory') memoryFrom = from(field);
    }
    if (f.memorySwap !== undefined) {
      result.memorySwap = f.memorySwap;
      swapFrom = from('memorySwap');
    }
    if (f.remove !== undefined) {
      if (from('remove') === 'REMOVE') varRemove = f.remove;
      else optionRemove = { on: f.remove, from: from('remove') };
    }
    if (f.dns.length) {
      for (const d of f.dns) if (!dns.includes(d)) dns.push(d);
      origin('dns', from('dns'));
    }
    // Per capability, the variable or option that added it (for `islet check --effective`).
    for (const c of f.capAdd) {
      if (!result.capAdd.includes(c)) result.capAdd.push(c);
      origin(`cap_add.${c}`, caps ? (c === 'ALL' ? 'ADD_ALL' : `CAP_${c}`) : from('capAdd'));
    }
    if (caps || f.capAdd.length) origin('cap_add', from('capAdd'));
    for (const c of f.capDrop) if (!result.capDrop.includes(c)) result.capDrop.push(c);
    for (const m of f.mounts) if (!mounts.some((x) => x.source === m.source && x.target === m.target)) mounts.push(m);
    if (f.mounts.length) origin('mounts', from('mounts'));
    for (const [k, v] of f.ulimits) {
      ulimits.set(k, v);
      origin(`ulimits.${k}`, ulimitVars ? `ULIMIT_${k.toUpperCase()}` : from('ulimits'));
    }
    if (f.ulimits.size) origin('ulimits', from('ulimits'));
    for (const [k, v] of f.env) env.set(k, v);
    if (f.env.size) origin('env', from('env'));
  }
  return { result, swapFrom, memoryFrom, optionRemove, varRemove, dns, mounts, ulimits, env };
}

/** The folded docker settings onto the environment's options. */
function applyFolded(
  r: LegacyReader,
  out: EnvironmentDefaultsInput,
  folded: ReturnType<typeof foldLayers>,
  caps: { anyCaps: boolean; dropAll: boolean; addAll: boolean },
): void {
  const { origin } = r;
  const { result, swapFrom, memoryFrom, optionRemove, varRemove, dns, mounts, ulimits, env } = folded;
  const { anyCaps, dropAll, addAll } = caps;
  if (result.hostname !== undefined) out.hostname = result.hostname;
  if (result.cpuShares !== undefined) out.cpu_shares = result.cpuShares;
  if (result.memory !== undefined) out.memory = result.memory;
  if (result.network !== undefined) out.network = result.network;
  if (result.pidsLimit !== undefined) out.pids_limit = result.pidsLimit;
  if (result.workdir !== undefined) out.workdir = result.workdir;
  if (result.user !== undefined) out.user = result.user;
  if (result.readOnly !== undefined) out.read_only_root = result.readOnly;
  if (result.noNewPrivileges !== undefined) out.no_new_privileges = result.noNewPrivileges;
  // REMOVE="yes" adds --rm; REMOVE="no" never cancels a --rm among the options.
  if (optionRemove !== undefined || varRemove !== undefined) {
    out.remove_on_exit = (optionRemove?.on ?? false) || (varRemove ?? false);
    origin('remove_on_exit', varRemove === true || !optionRemove ? 'REMOVE' : optionRemove.from);
  }
  if (dns.length) out.dns = dns;
  if (mounts.length) out.mounts = mounts;
  if (ulimits.size) out.ulimits = Object.fromEntries(ulimits);
  if (env.size) out.env = Object.fromEntries(env);
  // cap_add: with any CAP_*/DROP_ALL/ADD_ALL in the chain the list is complete (a "no" removes an inherited
  // add); otherwise only what --cap-add flags asked for. cap_drop is never narrowed: it stays ISLET's
  // default (['ALL'], or islet.yaml's `defaults`), so --cap-drop X and CAP_X="no" only confirm a drop.
  // DROP_ALL="yes" says ALL explicitly; with ADD_ALL="yes" (every capability) the explicit drops are kept,
  // which Docker applies to an add of ALL.
  if (anyCaps || result.capAdd.length) out.cap_add = result.capAdd;
  if (addAll) {
    out.cap_drop = ['ALL', ...result.capDrop.filter((c) => c !== 'ALL')];
    origin('cap_drop', 'ADD_ALL');
  } else if (dropAll) {
    out.cap_drop = ['ALL'];
    origin('cap_drop', 'DROP_ALL');
  }
  if (result.memorySwap !== undefined && swapFrom) mapSwap(r, out, result.memory, memoryFrom, result.memorySwap, swapFrom);
}

/** A CAP_* variable with the given value, for origins: this file's last one if any, else the chain's last. */
function lastOf(r: LegacyReader, val: 'yes' | 'no'): string | undefined {
  const { vars, isOwn } = r;
  let best: string | undefined;
  let bestOwn = false;
  for (const [name, v] of vars) {
    if (!name.startsWith('CAP_') || !legacyCapabilities.has(name.slice(4)) || v.value !== val) continue;
    const own = isOwn(name);
    if (own || !bestOwn) {
      best = name;
      bestOwn = own;
    }
  }
  return best;
}

function flagsLayer(r: LegacyReader, name: string, text: string): Layer {
  const { issue, exportedValue } = r;
  const f = parseDockerFlags(text);
  for (const n of f.envNames) {
    const problems: Problem[] = [];
    const v = exportedValue(n, `-e ${n}`, problems);
    f.problems.push(...problems);
    if (v !== undefined) f.env.set(n, v);
  }
  for (const p of f.problems) issue(p.severity, p.code, name, `${p.message}`);
  return { flags: f, from: () => name };
}

/** SWAP (Docker's memory+swap total in the original) onto ISLET's extra `swap`: see convertSwap. */
function mapSwap(r: LegacyReader, out: EnvironmentDefaultsInput, memory: string | undefined, memoryFrom: string | undefined, total: string, from: string) {
  const { isOwn, issue, origin } = r;
  const blame = isOwn(from) || !memoryFrom ? from : memoryFrom;
  const swap = convertSwap(from === 'SWAP' ? 'SWAP' : '--memory-swap', total, memory);
  if (swap.problem) issue(swap.problem.severity, 'CONFIG_INVALID', blame, swap.problem.message);
  if (swap.swap !== undefined) {
    origin('swap', from);
    out.swap = swap.swap;
  }
}
