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
import type { EnvironmentDefaultsInput, GlobalInput, PluginAction, PluginInput } from '../schema.ts';
import { legacyReader, type LegacyKind, type LegacyReader, type Origin } from './legacy-reader.ts';
import { mapDocker } from './map-docker.ts';
import { clip } from './values.ts';
import type { LegacyVar } from './parse-legacy-conf.ts';
import {
  environmentVariables,
  globalOnlyVariables,
  ignoredVariables,
  legacyCapabilities,
  legacyUlimits,
  renamedVariables,
  sessionVariables,
} from './variables.ts';

export type { LegacyKind, Origin } from './legacy-reader.ts';
export { withheldDefaultCaps } from './map-docker.ts';

/** The global settings a legacy islet.conf can carry. */
export type LegacyGlobalInput = Partial<Pick<GlobalInput, 'banner' | 'failure_count' | 'min_password_length' | 'days' | 'debug' | 'reconcile_interval'>>;

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
  clear: 'clear',
  del_container: 'reset_environment',
  del_user: 'delete_account',
  restart: 'restart',
};

/** Variables whose meaning is decided per file (the original unset them before reading each menu entry, #98). */
const PER_FILE = new Set(['ENABLE', 'VISIBLE', 'BANNER', 'PLUGIN']);

/** Section by section, in the order the issues are reported: global settings, environment options, plugin, unknown names. */
export function mapLegacy(vars: ReadonlyMap<string, LegacyVar>, kind: LegacyKind, file: string, ownVars?: ReadonlySet<string>): LegacyMapped {
  const r = legacyReader(vars, kind, file, ownVars);
  const { global, days } = mapGlobal(r);
  const e = kind !== 'plugin' ? mapEnvironment(r, days) : {};
  const plugin = kind === 'plugin' ? mapPlugin(r) : undefined;
  warnUnknownNames(r);
  return { global, environment: e, ...(plugin ? { plugin } : {}), origins: r.origins, issues: r.issues };
}

function mapGlobal(r: LegacyReader): { global: LegacyGlobalInput; days: number | undefined } {
  const { kind, value, issue, origin, yes, whole, decimal } = r;
  const global: LegacyGlobalInput = {};
  if (kind === 'global') {
    if (value('BANNER') !== undefined) {
      global.banner = value('BANNER')!;
      origin('banner', 'BANNER');
    }
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
  for (const [key, name] of [
    ['failure_count', 'FAILURE_COUNT'],
    ['min_password_length', 'MIN_PASSWD_LEN'],
    ['debug', 'DEBUG'],
    ['days', 'DAYS'],
    ['banner', 'BANNER'],
    ['reconcile_interval', 'INTERVAL'],
  ] as const)
    origin(key, name);
  if (kind !== 'global') {
    for (const name of globalOnlyVariables)
      if (value(name) !== undefined) issue('warning', 'CONFIG_INVALID', name, `${name} is read only from islet.conf, as in the original; ignored here`);
  }
  return { global, days };
}

function mapEnvironment(r: LegacyReader, days: number | undefined): EnvironmentDefaultsInput {
  const { kind, isOwn, value, set, issue, origin } = r;
  const e: EnvironmentDefaultsInput = {};
  if (kind !== 'plugin') {
    const image = set('ENVIRONMENT') !== undefined ? 'ENVIRONMENT' : set('IMAGE') !== undefined ? 'IMAGE' : undefined;
    if (image) {
      e.image = value(image)!;
      origin('image', image);
    }
    if (value('DESCRIPTION') !== undefined) {
      e.description = value('DESCRIPTION')!;
      origin('description', 'DESCRIPTION');
    }
    if (set('COMMAND') !== undefined) {
      e.command = value('COMMAND')!;
      origin('command', 'COMMAND');
    }
    if (value('MOTD') !== undefined) {
      e.motd = value('MOTD')!;
      origin('motd', 'MOTD');
    }
    if (set('TIMEOUT') !== undefined) {
      e.timeout = value('TIMEOUT')!;
      origin('timeout', 'TIMEOUT');
    }
    if (days !== undefined) {
      e.days = days;
      origin('days', 'DAYS');
    }
    // BANNER is the global banner in islet.conf; elsewhere it counts only in the file that sets it (#98).
    if (kind !== 'global' && isOwn('BANNER') && value('BANNER') !== undefined) {
      e.banner = value('BANNER')!;
      origin('banner', 'BANNER');
    }
    if (kind === 'environment') e.enabled = enabledFromOwn(r);
    mapDocker(r, e);
    const port = set('VIRTUAL_PORT') !== undefined ? 'VIRTUAL_PORT' : set('PORT') !== undefined ? 'PORT' : undefined;
    if (port) {
      // The original published the port through iptables DNAT; here it becomes an allowed `ssh -L` target.
      const n = Number(value(port));
      if (Number.isInteger(n) && n >= 1 && n <= 65535) {
        e.forward_ports = [n];
        origin('forward_ports', port);
      } else issue('critical', 'CONFIG_INVALID', port, `${port} must be a port number 1-65535, got ${clip(value(port)!)}`);
    }
  }
  return e;
}

function mapPlugin(r: LegacyReader): PluginInput | undefined {
  const { kind, file, issues, value, set, issue, origin } = r;
  let plugin: PluginInput | undefined;
  if (kind === 'plugin') {
    const name = basename(file).replace(/\.conf$/, '');
    const script = set('PLUGIN');
    if (script === undefined) {
      issues.push({
        severity: 'critical',
        code: 'CONFIG_INVALID',
        file,
        option: 'PLUGIN',
        message: 'PLUGIN is not set: a plugin file names its script, one of clear, del_container, del_user, restart',
      });
    } else if (!Object.hasOwn(pluginScripts, script)) {
      issue('critical', 'CONFIG_INVALID', 'PLUGIN', `Plugin ${clip(script)} does not exist (known plugins: clear, del_container, del_user, restart)`, true);
    } else {
      const en = enabledFromOwn(r);
      plugin = { name, action: pluginScripts[script]!, enabled: en, ...(value('DESCRIPTION') !== undefined ? { description: value('DESCRIPTION')! } : {}) };
      origin('name', 'PLUGIN');
      origin('action', 'PLUGIN');
      if (value('DESCRIPTION') !== undefined) origin('description', 'DESCRIPTION');
    }
  }
  return plugin;
}

function warnUnknownNames(r: LegacyReader): void {
  const { vars, kind, isOwn, issue, envsSet } = r;
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
      issue(
        'warning',
        'CONFIG_INVALID',
        name,
        kind === 'environment'
          ? 'PLUGIN in an environment file made the original treat it as a plugin; ISLET ignores PLUGIN here (move the file to plugins/)'
          : 'PLUGIN only means something in plugins/*.conf; ignored',
      );
      continue;
    }
    if (isEnvVar || globalOnlyVariables.has(name) || ignoredVariables.has(name) || PER_FILE.has(name) || name === 'ENABLE' || name === 'VISIBLE') continue;
    if (v.exported || envsSet.has(name)) continue; // a value passed into the container
    const hint = name.startsWith('CAP_') ? ' (not a known capability)' : name.startsWith('ULIMIT_') ? ' (not a known ulimit)' : '';
    issue('warning', 'CONFIG_UNKNOWN_OPTION', name, `${name} is not an ISLET variable${hint}; ignored`);
  }
}

/** The original showed an entry only when its own file said ENABLE="yes" or VISIBLE="yes". */
function enabledFromOwn(r: LegacyReader): boolean {
  const { file, issues, isOwn, set, origin, yes } = r;
  const en = isOwn('ENABLE') ? yes('ENABLE') : undefined;
  const vi = isOwn('VISIBLE') ? yes('VISIBLE') : undefined;
  const on = en === true || vi === true;
  const by = en === true ? 'ENABLE' : vi === true ? 'VISIBLE' : en !== undefined ? 'ENABLE' : vi !== undefined ? 'VISIBLE' : undefined;
  if (by) origin('enabled', by);
  else
    issues.push({
      severity: 'warning',
      code: 'CONFIG_INVALID',
      file,
      option: 'ENABLE',
      message: 'neither ENABLE nor VISIBLE is set in this file, so it is hidden from the menu as in the original; add ENABLE="yes" to show it',
    });
  return on;
}
