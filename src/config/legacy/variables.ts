/**
 * The variable names of the original ISLET configuration files, grouped by
 * what ISLET does with them (reference §1.5 and §1.6).
 */
import { capabilityNames, ulimitNames } from '../schema.ts';

/**
 * Exported by the original islet_shell for each SSH session. They are not
 * known when files are loaded, so `$NAME` expands to the placeholder text
 * `${NAME}` that the session engine fills in per session.
 */
export const sessionVariables: ReadonlySet<string> = new Set([
  'CLIENT',
  'SRCPORT',
  'SERVER',
  'DSTPORT',
  'IP',
  'SSH_TTY',
  'DISPLAY',
  'TERM',
  'PPID',
  'HOST_PORT',
  'TMOUT',
  'USERNAME',
  'CONFIGURATION',
  'BASE',
]);

/** The placeholder a session variable expands to at load time. */
export const sessionPlaceholder = (name: string) => `\${${name}}`;

/** Variables that mean something to ISLET's environments (the kind `environment` and the defaults). */
export const environmentVariables: ReadonlySet<string> = new Set([
  'ENVIRONMENT',
  'DESCRIPTION',
  'VIRTUSER',
  'WORKDIR',
  'COMMAND',
  'CPUSHARES',
  'MEMORY',
  'SWAP',
  'HOSTNAME',
  'NETWORK',
  'DNS',
  'MOUNT',
  'ENVS',
  'MOTD',
  'REMOVE',
  'TIMEOUT',
  'DAYS',
  'DROP_ALL',
  'ADD_ALL',
  'GLOBAL_OPTIONS',
  'LOCAL_OPTIONS',
  'OPTIONS',
  'VIRTUAL_PORT',
  // Names from before the 2016 rewrite, still mapped (with a warning).
  'IMAGE',
  'CPU',
  'RAM',
  'PORT',
]);

/** Read only from islet.conf, as in the original (login-time settings). */
export const globalOnlyVariables: ReadonlySet<string> = new Set(['FAILURE_COUNT', 'MIN_PASSWD_LEN', 'DEBUG']);

/** Old names and the current name they map to. */
export const renamedVariables: Readonly<Record<string, string>> = {
  IMAGE: 'ENVIRONMENT',
  CPU: 'CPUSHARES',
  RAM: 'MEMORY',
  PORT: 'VIRTUAL_PORT',
  OPTIONS: 'LOCAL_OPTIONS',
};

/**
 * Known variables with no meaning for ISLET: paths, install settings, the
 * port-forwarding plumbing, removed features. Accepted without a word.
 */
export const ignoredVariables: ReadonlySet<string> = new Set([
  'VERSION',
  'CONFIG_DIR',
  'INSTALL_DIR',
  'LIBISLET',
  'DB',
  'LOG',
  'MODULE',
  'USER',
  'GROUP',
  'INTERVAL',
  'INTERFACE',
  'BIND',
  'DOCKER_DIR',
  'METADATA',
  'PLATFORM',
  'LOCAL_ENV',
  'SHELL',
  'LAUNCH_CONTAINER',
  'STORAGE_BACKEND',
  'CONTAINER_PATH',
  'MAX_SIZE',
  'CPUSET',
  'GLOBAL_ENV',
  'BASENAME',
  'INT',
  'LIBZK',
  'PASS',
  'SIZE',
  'SSH_CONFIG',
  'CONTAINER_DESTINATION',
  'FS',
  'LIMITS',
  'LOGFILE',
  'BIN_DIR',
  'LIB_DIR',
  'PLUGIN_DIR',
  'MODULE_DIR',
  'MAN_DIR',
  'IRC_CHAN',
  'EMAIL',
  'ANIMATE_SPEED',
  'TIME',
  'EXPIRATION',
  'CONFIG',
]);

/** Capability names a `CAP_<NAME>` variable may use (`ALL` is spelled ADD_ALL / DROP_ALL). */
export const legacyCapabilities: ReadonlySet<string> = new Set(capabilityNames.filter((c) => c !== 'ALL'));

/** `ULIMIT_<NAME>` suffixes, upper case. */
export const legacyUlimits: ReadonlySet<string> = new Set(ulimitNames.map((u) => u.toUpperCase()));
