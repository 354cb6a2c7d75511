/**
 * Maps the variables of an original ISLET file chain (global → module →
 * environment or plugin) onto ISLET's schema shapes. Values are not
 * validated here beyond what the mapping itself needs; the loader validates
 * the result against the schema and uses `origins` to point each failure at
 * the file and line of the variable that supplied it.
 *
 * Issues are only raised about variables assigned in `file` itself
 * (`ownVars`): inherited variables are mapped silently, their own file's
 * mapping has already reported them.
 */
import { basename } from 'node:path';
import type { ConfigIssue } from '../config-issue.ts';
import type { ErrorCode } from '../../core/codes.ts';
import type { EnvironmentDefaultsInput, GlobalInput, PluginAction, PluginInput } from '../schema.ts';

import { emptyFlags, parseDockerFlags, type DockerFlags, type Mount } from './docker-flags.ts';
import { clip, convertSwap } from './values.ts';
import type { LegacyVar } from './parse-legacy-conf.ts';
import {
  environmentVariables, globalOnlyVariables, ignoredVariables, legacyCapabilities, legacyUlimits, renamedVariables,
  sessionPlaceholder, sessionVariables,
} from './variables.ts';

export type LegacyKind = 'global' | 'module' | 'environment' | 'plugin';

/** The global settings a legacy islet.conf can carry. */
export type LegacyGlobalInput = Partial<Pick<GlobalInput, 'banner' | 'failure_count' | 'min_password_length' | 'days' | 'debug' | 'reconcile_interval'>>;

export interface Origin { readonly line: number; readonly variable: string }

export interface LegacyMapped {
  /** Only for kind 'global': banner, failure_count, min_password_length, days, debug. */
  readonly global: LegacyGlobalInput;
  /** Environment options: defaults for 'global'/'module', the environment itself for 'environment', empty for 'plugin'. */
  readonly environment: EnvironmentDefaultsInput;
  /** Only for kind 'plugin', and only when PLUGIN names a known script. */
  readonly plugin?: PluginInput;
  /** Schema option name → the variable (and its line) that set it. */
  readonly origins: Record<string, Origin>;
  readonly issues: ConfigIssue[];
}

/** PLUGIN script names of the original and what they did. */
export const pluginScripts: Readonly<Record<string, PluginAction>> = {
  clear: 'clear', del_container: 'reset_environment', del_user: 'delete_account', restart: 'restart',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE = /^\d{1,12}$/;
const DECIMAL = /^\d{1,9}(\.\d{1,6})?$/;
/** Variables whose meaning is decided per file (the original unset them before reading each menu entry, #98). */
const PER_FILE = new Set(['ENABLE', 'VISIBLE', 'BANNER', 'PLUGIN']);

/**
 * The original's modules/docker.conf said "yes" to these by default (for sudo and setcap). ISLET does not
 * honour that default: only an environment file that names one itself adds it.
 */
export const withheldDefaultCaps: ReadonlySet<string> = new Set(['SETFCAP', 'SETUID', 'SETGID']);

/** A run of docker settings and, per field, the variable that supplied it. */
interface Layer { readonly flags: DockerFlags; readonly from: (field: string) => string; readonly caps?: boolean; readonly ulimitVars?: boolean }

export function mapLegacy(vars: ReadonlyMap<string, LegacyVar>, kind: LegacyKind, file: string, ownVars?: ReadonlySet<string>): LegacyMapped {
  const issues: ConfigIssue[] = [];
  const origins: Record<string, Origin> = {};
  const isOwn = (name: string) => (ownVars ? ownVars.has(name) : vars.has(name));
  const value = (name: string) => vars.get(name)?.value;
  const set = (name: string) => { const v = value(name); return v === undefined || v === '' ? undefined : v; };
  const issue = (severity: 'critical' | 'warning', code: ErrorCode, name: string, message: string, force = false) => {
    if (!force && !isOwn(name)) return;
    const v = isOwn(name) ? vars.get(name) : undefined; // an inherited variable's line is in another file
    issues.push({ severity, code, file, ...(v ? { line: v.line } : {}), option: name, message });
  };
  const origin = (key: string, name: string) => {
    const v = vars.get(name);
    if (v) origins[key] = { line: v.line, variable: name };
  };
  /** Exactly "yes" is true, as in the original; "no" and "" are false; anything else is false with a warning. */
  const yes = (name: string): boolean | undefined => {
    const v = value(name);
    if (v === undefined) return undefined;
    if (v === 'yes') return true;
    if (v !== 'no' && v !== '') issue('warning', 'CONFIG_INVALID', name, `"${clip(v)}" is neither "yes" nor "no"; as in the original it counts as "no"`);
    return false;
  };
  const whole = (name: string): number | undefined => {
    const v = set(name);
    if (v === undefined) return undefined;
    if (WHOLE.test(v.trim())) return Number(v.trim());
    issue('critical', 'CONFIG_INVALID', name, `"${clip(v)}" is not a whole number`);
    return undefined;
  };
  const decimal = (name: string): number | undefined => {
    const v = set(name);
    if (v === undefined) return undefined;
    if (DECIMAL.test(v.trim())) return Number(v.trim());
    issue('critical', 'CONFIG_INVALID', name, `"${clip(v)}" is not a number`);
    return undefined;
  };
  const envsList = (set('ENVS') ?? '').split(/\s+/).filter(Boolean);
  const envsSet = new Set(envsList);

  /** The value an exported name has inside the container (ENVS and `-e NAME`), or undefined with a warning. */
  const exportedValue = (name: string, via: string, problems: { severity: 'critical' | 'warning'; code: ErrorCode; message: string }[]): string | undefined => {
    if (sessionVariables.has(name)) return sessionPlaceholder(name);
    const v = vars.get(name);
    if (!v) { problems.push({ severity: 'warning', code: 'CONFIG_INVALID', message: `${via} names ${name}, which is not defined; it is left out of the container environment` }); return undefined; }
    if (!v.exported) { problems.push({ severity: 'warning', code: 'CONFIG_INVALID', message: `${via} names ${name}, which is not exported (the original passed nothing for it); add \`export ${name}\` to pass it` }); return undefined; }
    return v.value;
  };

  // --- global settings ---
  const global: LegacyGlobalInput = {};
  if (kind === 'global') {
    if (value('BANNER') !== undefined) { global.banner = value('BANNER')!; origin('banner', 'BANNER'); }
    const fc = whole('FAILURE_COUNT');
    if (fc !== undefined) global.failure_count = fc;
    const mp = whole('MIN_PASSWD_LEN');
    if (mp !== undefined) global.min_password_length = mp;
    const d = yes('DEBUG');
    if (d !== undefined) global.debug = d;
    // isletd's loop period becomes the reconciler's.
    const iv = whole('INTERVAL');
    if (iv !== undefined && iv > 0) global.reconcile_interval = iv;
  }
  const days = kind === 'plugin' ? undefined : decimal('DAYS');
  if (kind === 'global' && days !== undefined) global.days = days;
  // Always say where global options come from: the loader locates global validation errors with the last mapping's origins.
  for (const [key, name] of [['failure_count', 'FAILURE_COUNT'], ['min_password_length', 'MIN_PASSWD_LEN'], ['debug', 'DEBUG'], ['days', 'DAYS'], ['banner', 'BANNER'], ['reconcile_interval', 'INTERVAL']] as const) origin(key, name);
  if (kind !== 'global') {
    for (const name of globalOnlyVariables) if (value(name) !== undefined) issue('warning', 'CONFIG_INVALID', name, `${name} is read only from islet.conf, as in the original; ignored here`);
  }

  // --- environment options ---
  const e: EnvironmentDefaultsInput = {};
  if (kind !== 'plugin') {
    const image = set('ENVIRONMENT') !== undefined ? 'ENVIRONMENT' : set('IMAGE') !== undefined ? 'IMAGE' : undefined;
    if (image) { e.image = value(image)!; origin('image', image); }
    if (value('DESCRIPTION') !== undefined) { e.description = value('DESCRIPTION')!; origin('description', 'DESCRIPTION'); }
    if (set('COMMAND') !== undefined) { e.command = value('COMMAND')!; origin('command', 'COMMAND'); }
    if (value('MOTD') !== undefined) { e.motd = value('MOTD')!; origin('motd', 'MOTD'); }
    if (set('TIMEOUT') !== undefined) { e.timeout = value('TIMEOUT')!; origin('timeout', 'TIMEOUT'); }
    if (days !== undefined) { e.days = days; origin('days', 'DAYS'); }
    // BANNER is the global banner in islet.conf; elsewhere it counts only in the file that sets it (#98).
    if (kind !== 'global' && isOwn('BANNER') && value('BANNER') !== undefined) { e.banner = value('BANNER')!; origin('banner', 'BANNER'); }
    if (kind === 'environment') mapEnabled(e);
    mapDocker(e);
    const port = set('VIRTUAL_PORT') !== undefined ? 'VIRTUAL_PORT' : set('PORT') !== undefined ? 'PORT' : undefined;
    if (port) {
      // The original published the port through iptables DNAT; here it becomes an allowed `ssh -L` target.
      const n = Number(value(port));
      if (Number.isInteger(n) && n >= 1 && n <= 65535) { e.forward_ports = [n]; origin('forward_ports', port); }
      else issue('critical', 'CONFIG_INVALID', port, `${port} must be a port number 1-65535, got ${clip(value(port)!)}`);
    }
  }

  // --- plugin ---
  let plugin: PluginInput | undefined;
  if (kind === 'plugin') {
    const name = basename(file).replace(/\.conf$/, '');
    const script = set('PLUGIN');
    if (script === undefined) {
      issues.push({ severity: 'critical', code: 'CONFIG_INVALID', file, option: 'PLUGIN', message: 'PLUGIN is not set: a plugin file names its script, one of clear, del_container, del_user, restart' });
    } else if (!Object.hasOwn(pluginScripts, script)) {
      issue('critical', 'CONFIG_INVALID', 'PLUGIN', `Plugin ${clip(script)} does not exist (known plugins: clear, del_container, del_user, restart)`, true);
    } else {
      const en = enabledFromOwn();
      plugin = { name, action: pluginScripts[script]!, enabled: en, ...(value('DESCRIPTION') !== undefined ? { description: value('DESCRIPTION')! } : {}) };
      origin('name', 'PLUGIN');
      origin('action', 'PLUGIN');
      if (value('DESCRIPTION') !== undefined) origin('description', 'DESCRIPTION');
    }
  }

  // --- names that mean nothing here ---
  for (const [name, v] of vars) {
    if (!isOwn(name)) continue;
    if (Object.hasOwn(renamedVariables, name) && v.value !== '') {
      issue('warning', 'CONFIG_UNKNOWN_OPTION', name, `${name} is the old name of ${renamedVariables[name]}; it is mapped, but rename it`);
    }
    if (sessionVariables.has(name)) continue;
    const isCap = name.startsWith('CAP_') && legacyCapabilities.has(name.slice(4));
    const isUlimit = name.startsWith('ULIMIT_') && legacyUlimits.has(name.slice(7));
    const isEnvVar = environmentVariables.has(name) || isCap || isUlimit;
    if (kind === 'plugin' && isEnvVar && name !== 'DESCRIPTION') {
      issue('warning', 'CONFIG_UNKNOWN_OPTION', name, `${name} has no effect in a plugin file; ignored`);
      continue;
    }
    if (name === 'PLUGIN' && kind !== 'plugin') {
      issue('warning', 'CONFIG_INVALID', name, kind === 'environment'
        ? 'PLUGIN in an environment file made the original treat it as a plugin; ISLET ignores PLUGIN here (move the file to plugins/)'
        : 'PLUGIN only means something in plugins/*.conf; ignored');
      continue;
    }
    if (isEnvVar || globalOnlyVariables.has(name) || ignoredVariables.has(name) || PER_FILE.has(name) || name === 'ENABLE' || name === 'VISIBLE') continue;
    if (v.exported || envsSet.has(name)) continue; // a value passed into the container
    const hint = name.startsWith('CAP_') ? ' (not a known capability)' : name.startsWith('ULIMIT_') ? ' (not a known ulimit)' : '';
    issue('warning', 'CONFIG_UNKNOWN_OPTION', name, `${name} is not an ISLET variable${hint}; ignored`);
  }

  return { global, environment: kind === 'plugin' ? {} : e, ...(plugin ? { plugin } : {}), origins, issues };

  /** The original showed an entry only when its own file said ENABLE="yes" or VISIBLE="yes". */
  function enabledFromOwn(): boolean {
    const en = isOwn('ENABLE') ? yes('ENABLE') : undefined;
    const vi = isOwn('VISIBLE') ? yes('VISIBLE') : undefined;
    const on = en === true || vi === true;
    const by = en === true ? 'ENABLE' : vi === true ? 'VISIBLE' : en !== undefined ? 'ENABLE' : vi !== undefined ? 'VISIBLE' : undefined;
    if (by) origin('enabled', by);
    else issues.push({ severity: 'warning', code: 'CONFIG_INVALID', file, option: 'ENABLE', message: 'neither ENABLE nor VISIBLE is set in this file, so it is hidden from the menu as in the original; add ENABLE="yes" to show it' });
    return on;
  }

  function mapEnabled(out: EnvironmentDefaultsInput) {
    out.enabled = enabledFromOwn();
  }

  /** Everything that ended up on the original's `docker run` command line, folded in the original's order. */
  function mapDocker(out: EnvironmentDefaultsInput) {
    const layers: Layer[] = [];
    // 1. --hostname, --cpu-shares, --memory, --memory-swap, --net, --dns
    {
      const f = emptyFlags();
      const from: Record<string, string> = {};
      if (set('HOSTNAME') !== undefined) { f.hostname = value('HOSTNAME')!; from.hostname = 'HOSTNAME'; }
      for (const name of ['CPUSHARES', 'CPU']) {
        if (f.cpuShares !== undefined || set(name) === undefined) continue;
        const n = whole(name);
        if (n !== undefined) { f.cpuShares = n; from.cpuShares = name; }
      }
      const mem = set('MEMORY') !== undefined ? 'MEMORY' : set('RAM') !== undefined ? 'RAM' : undefined;
      if (mem) { f.memory = value(mem)!.trim(); from.memory = mem; }
      if (set('SWAP') !== undefined) { f.memorySwap = value('SWAP')!.trim(); from.memorySwap = 'SWAP'; }
      const net = set('NETWORK');
      if (net !== undefined) {
        const n = net === 'default' ? 'bridge' : net;
        if (n === 'none' || n === 'bridge') { f.network = n; from.network = 'NETWORK'; }
        else issue('critical', 'CONFIG_INVALID', 'NETWORK', net === 'host'
          ? 'NETWORK="host" is refused: it would give the container the host\'s network stack (use none or bridge)'
          : `NETWORK="${clip(net)}" is not supported (use none or bridge)`);
      }
      const dns = set('DNS');
      if (dns !== undefined) { f.dns.push(...dns.split(/\s+/).filter(Boolean)); from.dns = 'DNS'; }
      layers.push({ flags: f, from: (k) => from[k] ?? 'HOSTNAME' });
    }
    // 2. GLOBAL_OPTIONS, LOCAL_OPTIONS (old name OPTIONS)
    for (const name of ['GLOBAL_OPTIONS', 'LOCAL_OPTIONS', 'OPTIONS']) {
      const text = set(name);
      if (text !== undefined) layers.push(flagsLayer(name, text));
    }
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
          if (withheldDefaultCaps.has(cap) && !(kind === 'environment' && isOwn(name))) { if (isOwn(name)) withheld.push(name); continue; }
          f.capAdd.push(cap);
        } else if (v === 'no') {
          // Only matters beside ADD_ALL="yes": a "no" from a file before the one that says ADD_ALL (the original
          // module's 34 defaults under an environment's ADD_ALL) is a default, not a named exception.
          if (!addAll || !isOwn('ADD_ALL') || isOwn(name)) f.capDrop.push(cap);
        }
        else if (v !== '') issue('warning', 'CONFIG_INVALID', name, `"${clip(v)}" is neither "yes" nor "no"; as in the original the capability is neither added nor dropped`);
      }
      // Said once, in the file that carries the original's defaults (an environment inheriting them says nothing).
      if (withheld.length > 0) {
        issue('warning', 'CONFIG_INVALID', withheld[0]!, `${withheld.join(', ')}="yes" here gave every container of the original these capabilities by default; ISLET keeps them dropped (safer: no setuid or setcap in trainee containers). To give one to an environment, set it to "yes" in that environment's own file`);
      }
      if (addAll) {
        f.capAdd.length = 0;
        f.capAdd.push('ALL');
        issue('warning', 'CONFIG_INVALID', 'ADD_ALL', 'ADD_ALL="yes" gives the container every capability, including SYS_ADMIN; prefer adding the few it needs');
      }
      layers.push({ flags: f, from: (k) => (k === 'capAdd' && addAll ? 'ADD_ALL' : lastOf(k === 'capAdd' ? 'yes' : 'no') ?? capVars[0] ?? (vars.has('DROP_ALL') ? 'DROP_ALL' : 'ADD_ALL')), caps: true });
    }
    // 4. ulimits ("" or "no" = not set)
    {
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
    }
    // 5. MOUNT
    {
      const text = set('MOUNT');
      if (text !== undefined) layers.push(flagsLayer('MOUNT', text));
    }
    // 6. --workdir, --user, --env (ENVS), --rm
    {
      const f = emptyFlags();
      const from: Record<string, string> = {};
      if (set('WORKDIR') !== undefined) { f.workdir = value('WORKDIR')!; from.workdir = 'WORKDIR'; }
      if (set('VIRTUSER') !== undefined) { f.user = value('VIRTUSER')!; from.user = 'VIRTUSER'; }
      for (const name of envsList) {
        if (!ENV_NAME.test(name)) { issue('warning', 'CONFIG_INVALID', 'ENVS', `"${clip(name)}" is not a variable name; ignored`); continue; }
        const problems: { severity: 'critical' | 'warning'; code: ErrorCode; message: string }[] = [];
        const v = exportedValue(name, 'ENVS', problems);
        for (const p of problems) issue(p.severity, p.code, 'ENVS', p.message);
        if (v !== undefined) { f.env.set(name, v); from.env = 'ENVS'; }
      }
      const rm = yes('REMOVE');
      if (rm !== undefined) { f.remove = rm; from.remove = 'REMOVE'; }
      layers.push({ flags: f, from: (k) => from[k] ?? 'VIRTUSER' });
    }

    // Fold: single values — the last layer wins (docker's rule for repeated flags); lists and maps accumulate.
    const single = [
      ['hostname', 'hostname'], ['cpuShares', 'cpu_shares'], ['memory', 'memory'], ['network', 'network'], ['pidsLimit', 'pids_limit'],
      ['workdir', 'workdir'], ['user', 'user'], ['readOnly', 'read_only_root'], ['noNewPrivileges', 'no_new_privileges'],
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
      if (f.memorySwap !== undefined) { result.memorySwap = f.memorySwap; swapFrom = from('memorySwap'); }
      if (f.remove !== undefined) {
        if (from('remove') === 'REMOVE') varRemove = f.remove;
        else optionRemove = { on: f.remove, from: from('remove') };
      }
      if (f.dns.length) { for (const d of f.dns) if (!dns.includes(d)) dns.push(d); origin('dns', from('dns')); }
      // Per capability, the variable or option that added it (for `islet check --effective`).
      for (const c of f.capAdd) { if (!result.capAdd.includes(c)) result.capAdd.push(c); origin(`cap_add.${c}`, caps ? (c === 'ALL' ? 'ADD_ALL' : `CAP_${c}`) : from('capAdd')); }
      if (caps || f.capAdd.length) origin('cap_add', from('capAdd'));
      for (const c of f.capDrop) if (!result.capDrop.includes(c)) result.capDrop.push(c);
      for (const m of f.mounts) if (!mounts.some((x) => x.source === m.source && x.target === m.target)) mounts.push(m);
      if (f.mounts.length) origin('mounts', from('mounts'));
      for (const [k, v] of f.ulimits) { ulimits.set(k, v); origin(`ulimits.${k}`, ulimitVars ? `ULIMIT_${k.toUpperCase()}` : from('ulimits')); }
      if (f.ulimits.size) origin('ulimits', from('ulimits'));
      for (const [k, v] of f.env) env.set(k, v);
      if (f.env.size) origin('env', from('env'));
    }

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
    if (result.memorySwap !== undefined && swapFrom) mapSwap(out, result.memory, memoryFrom, result.memorySwap, swapFrom);
  }

  /** A CAP_* variable with the given value, for origins: this file's last one if any, else the chain's last. */
  function lastOf(val: 'yes' | 'no'): string | undefined {
    let best: string | undefined;
    let bestOwn = false;
    for (const [name, v] of vars) {
      if (!name.startsWith('CAP_') || !legacyCapabilities.has(name.slice(4)) || v.value !== val) continue;
      const own = isOwn(name);
      if (own || !bestOwn) { best = name; bestOwn = own; }
    }
    return best;
  }

  function flagsLayer(name: string, text: string): Layer {
    const f = parseDockerFlags(text);
    for (const n of f.envNames) {
      const problems: { severity: 'critical' | 'warning'; code: ErrorCode; message: string }[] = [];
      const v = exportedValue(n, `-e ${n}`, problems);
      f.problems.push(...problems);
      if (v !== undefined) f.env.set(n, v);
    }
    for (const p of f.problems) issue(p.severity, p.code, name, `${p.message}`);
    return { flags: f, from: () => name };
  }

  /** SWAP (Docker's memory+swap total in the original) onto ISLET's extra `swap`: see convertSwap. */
  function mapSwap(out: EnvironmentDefaultsInput, memory: string | undefined, memoryFrom: string | undefined, total: string, from: string) {
    const blame = isOwn(from) || !memoryFrom ? from : memoryFrom;
    const r = convertSwap(from === 'SWAP' ? 'SWAP' : '--memory-swap', total, memory);
    if (r.problem) issue(r.problem.severity, 'CONFIG_INVALID', blame, r.problem.message);
    if (r.swap !== undefined) { origin('swap', from); out.swap = r.swap; }
  }
}
