/**
 * The single source of truth for ISLET's configuration: types, defaults,
 * validation and the generated reference (docs/config-reference.md).
 * YAML files are validated against it directly; legacy ISLET `.conf` files
 * are parsed and mapped onto the same shapes (src/config/legacy/).
 */
import { z } from 'zod';
import { parseDurationSeconds, parseSizeBytes } from './units.ts';

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const s = parseDurationSeconds(v);
    if (s === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected a duration such as 90, 90s, 15m, 8h or 3d, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return s;
  });

const size = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSizeBytes(v);
    if (b === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected a size such as 256m or 1g, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return b;
  });

export const ulimitNames = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

export const capabilityNames = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'SETFCAP',
  'SETUID',
  'SETGID',
  'AUDIT_CONTROL',
  'BLOCK_SUSPEND',
  'DAC_READ_SEARCH',
  'IPC_LOCK',
  'IPC_OWNER',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'SYSLOG',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_MODULE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_NICE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'WAKE_ALARM',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
  'ALL',
] as const;

const ulimitValue = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const m = /^\s*(-?\d+|unlimited)\s*(?::\s*(-?\d+|unlimited)\s*)?$/.exec(String(v));
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected "soft:hard" or a single number, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  const n = (s: string) => (s === 'unlimited' ? -1 : Number(s));
  const soft = n(m[1]!);
  const hard = m[2] === undefined ? soft : n(m[2]);
  return { soft, hard };
});

const capability = z
  .string()
  .transform((v) => v.toUpperCase().replace(/^CAP_/, ''))
  .pipe(z.enum(capabilityNames));

/** Characters allowed in environment, plugin and container names. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** An ISLET's name on the engine: the first part of its container names, so no dot. */
export const instancePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

/** Every option an environment may set. Global `defaults` takes the same options. */
export const environmentFields = {
  image: z
    .string()
    .min(1)
    .describe('Container image, `repo[:tag]` (legacy `ENVIRONMENT`). Built or pulled beforehand; a missing image is pulled on first use.'),
  description: z.string().default('').describe('Text shown beside the environment in the menu (legacy `DESCRIPTION`).'),
  enabled: z.boolean().default(true).describe('Show the environment in the menu (legacy `ENABLE`/`VISIBLE`).'),
  user: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/)
    .optional()
    .describe("User the trainee's shell runs as; must exist in the image. Unset: the image's own USER (legacy `VIRTUSER`)."),
  workdir: z
    .string()
    .startsWith('/')
    .optional()
    .describe('Working directory of the shell. Unset: `/home/<user>` when `user` is set, else the image default (legacy `WORKDIR`).'),
  command: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe(
      "Program run with a TTY as the container's main process; a string is split on spaces (no shell is involved). Unset: the image's CMD (legacy " +
        '`COMMAND`).',
    ),
  hostname: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/)
    .optional()
    .describe("Container hostname. Unset: the environment's name, never the host's (legacy `HOSTNAME`)."),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .default({})
    .describe('Environment variables set in the container (legacy `ENVS` with exported values).'),
  memory: size('memory').prefault('512m').describe('Memory limit, e.g. `256m` (legacy `MEMORY`). 0 means unlimited.'),
  swap: size('swap')
    .prefault('0')
    .describe('Swap allowed on top of `memory`, e.g. `64m` (legacy `SWAP`, whose Docker "memory+swap total" meaning is converted).'),
  cpu_shares: z.number().int().min(2).max(262144).default(1024).describe('Relative CPU weight (legacy `CPUSHARES`).'),
  pids_limit: z.number().int().min(-1).default(256).describe('Maximum number of processes in the container; -1 for no limit (stops fork bombs).'),
  ulimits: z
    .partialRecord(z.enum(ulimitNames), ulimitValue)
    .default({ nofile: { soft: 1024, hard: 2048 }, fsize: { soft: 1024 ** 3, hard: 1024 ** 3 } })
    .describe(
      'Resource limits as `name: "soft:hard"` (legacy `ULIMIT_*`). Each limit named replaces that one only; the others keep their defaults (`unlimited` ' +
        'lifts one).',
    ),
  cap_add: z.array(capability).default([]).describe('Capabilities added back after `cap_drop` (legacy `CAP_*="yes"`, `ADD_ALL`).'),
  cap_drop: z.array(capability).default(['ALL']).describe('Capabilities dropped; `ALL` by default (legacy `CAP_*="no"`, `DROP_ALL`).'),
  no_new_privileges: z.boolean().default(true).describe('Forbid gaining privileges through setuid binaries such as sudo.'),
  read_only_root: z.boolean().default(false).describe('Mount the root filesystem read-only (home and /tmp stay writable).'),
  network: z
    .enum(['none', 'bridge'])
    .default('none')
    .describe(
      "`none` (loopback only; on an engine on this machine, started without Docker's network sandbox and with a read-only `/etc/hosts` " +
        "naming `localhost` and the container's hostname, from `<data>/etc-hosts/`) or `bridge` (outbound network) (legacy `NETWORK`).",
    ),
  dns: z
    .array(z.string().regex(/^[0-9a-fA-F:.]+$/))
    .default([])
    .describe('DNS servers for `bridge` environments (legacy `DNS`).'),
  mounts: z
    .array(
      z
        .object({
          source: z.string().startsWith('/'),
          target: z.string().startsWith('/'),
        })
        .strict(),
    )
    .default([])
    .describe('Host directories mounted read-only, `{source, target}` (legacy `MOUNT="-v src:dst:ro"`).'),
  banner: z.string().default('').describe('Printed when the environment is chosen (legacy `BANNER`).'),
  motd: z.string().default('').describe('Message printed before the shell starts or is re-attached (legacy `MOTD`).'),
  remove_on_exit: z.boolean().default(false).describe('Start fresh each time: the container is removed when its shell exits (legacy `REMOVE`).'),
  timeout: duration('timeout').prefault('8h').describe('Maximum running time of a container per start, e.g. `8h` (legacy `TIMEOUT`).'),
  days: z
    .number()
    .positive()
    .optional()
    .describe("Lifetime in days of containers of this environment (counted from their creation); unset: the account's lifetime."),
  warm_pool: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe(
      'Containers of this environment kept created and started ahead of demand: a new trainee claims one instead of waiting for a start, and the pool ' +
        'refills in the background. Pool containers count against `max_containers`.',
    ),
  forward_ports: z
    .array(z.number().int().min(1).max(65535))
    .default([])
    .describe(
      'Ports inside the container a trainee may reach with `ssh -L <local>:localhost:<port> account+env@host`, also with `network: none` (legacy ' +
        '`VIRTUAL_PORT`). Forwarding never reaches the host, another container or the outside.',
    ),
  export_on_expiry: z
    .boolean()
    .default(false)
    .describe("Before an expired account's container of this environment is removed, archive its home into `<data>/exports/` — nothing is lost by the clock."),
  accept_env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default([])
    .describe('Names of environment variables a client may send (`ssh -o SendEnv`) into commands run with `ssh account+env@host cmd`; none by default.'),
  disk_quota: size('disk_quota')
    .prefault('2g')
    .describe(
      'Most a container may write to its own filesystem (writable layer). A trainee is warned at 90 %; over the quota the container is stopped (files ' +
        'kept; the trainee should delete files). 0 turns the check off. See docs/security.md for hosts where the engine can enforce a hard limit.',
    ),
  idle_stop: duration('idle_stop')
    .prefault('0')
    .describe(
      'Stop a container nobody has been attached to for this long, unless its processes are still using CPU; files are kept and the next login starts it ' +
        'again. 0 turns it off.',
    ),
  program: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/)
    .optional()
    .describe(
      'A catalogue tool (`catalogue/<program>/`, docs/catalogue.md) instead of `image`: the environment runs `islet/<program>:<version>`, gets the ' +
        'bounding capabilities its capture tools need, and the menu shows the version. Build it first: `islet image build <program>`.',
    ),
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.~+-]{0,62}$/)
    .optional()
    .describe('Version of `program` (a `catalogue/<program>/<version>/` directory). Unset: the highest version in the catalogue.'),
  datasets: z.array(z.string().regex(namePattern)).default([]).describe('Datasets (`islet dataset add`) mounted read-only at `/datasets/<name>`.'),
  lab_network: z
    .object({
      replay: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\/[^/]+$/)
        .describe('`<dataset>/<file.pcap>` replayed in a loop onto the lab network.'),
      pps: z.number().int().min(1).max(10000).default(10).describe('Packets per second of the replay.'),
    })
    .strict()
    .optional()
    .describe(
      "A lab network ISLET creates for this environment (internal: no way out, never the host's interfaces), with a traffic generator replaying a " +
        "dataset pcap onto it for live capture; the trainee's container joins it with the capture capabilities. Trainees of this environment share the " +
        'segment.',
    ),
} as const;

export const environmentSchema = z.object(environmentFields).strict();
/** Strips a field's default so that `defaults` records only what a file really set. */
const withoutDefault = (f: z.ZodType): z.ZodType => {
  const def = (f as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
  return (def.type === 'default' || def.type === 'prefault') && def.innerType ? def.innerType : f;
};
/** What `defaults` in islet.yaml and legacy module files may set: every field optional, no defaults applied yet. */
export const environmentDefaultsSchema = z
  .object(
    Object.fromEntries(Object.entries(environmentFields).map(([k, v]) => [k, withoutDefault(v as z.ZodType).optional()])) as {
      [K in keyof typeof environmentFields]: z.ZodOptional<(typeof environmentFields)[K]>;
    },
  )
  .strict();

export const pluginActions = ['clear', 'reset_environment', 'delete_account', 'restart', 'add_key', 'export'] as const;

export const pluginSchema = z
  .object({
    name: z.string().regex(namePattern).describe('Name shown in the menu.'),
    description: z.string().default('').describe('Text shown beside the plugin in the menu.'),
    action: z
      .enum(pluginActions)
      .describe(
        'What it does: `clear` the screen, `reset_environment` (delete one of my environments), `delete_account`, `restart` the menu, `add_key` (enroll an ' +
          'SSH public key for direct login), `export` (show the scp/sftp command that downloads my home) (legacy `PLUGIN` script names clear, del_container, ' +
          'del_user, restart).',
      ),
    enabled: z.boolean().default(true).describe('Show the plugin in the menu.'),
  })
  .strict();

export const defaultPlugins: z.input<typeof pluginSchema>[] = [
  { name: 'clear', description: 'Clear the screen', action: 'clear' },
  { name: 'del_training', description: 'Delete a training environment', action: 'reset_environment' },
  { name: 'del_user', description: 'Delete your user account', action: 'delete_account' },
  { name: 'restart', description: 'Restart ISLET session', action: 'restart' },
  { name: 'add_key', description: 'Add an SSH key for direct login', action: 'add_key' },
  { name: 'export', description: 'How to download my work', action: 'export' },
];

export const globalFields = {
  instance: z
    .string()
    .regex(instancePattern)
    .default('islet')
    .describe(
      'Name of this ISLET on the container engine: the first part of its container names (`<instance>.<environment>.<account>`), ' +
        'its bridge network (`<instance>-bridge`) and its `islet.instance` label. Two ISLETs on one engine need different names. ' +
        'The `ISLET_INSTANCE` environment variable overrides it. Read at start.',
    ),
  banner: z
    .string()
    .default('\nWelcome to ISLET, the Isolated, Scalable & Lightweight Environment for Training.\n')
    .describe('Printed when a trainee connects (legacy global `BANNER`).'),
  gate_accounts: z
    .array(z.object({ username: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/), password: z.string().min(1) }).strict())
    .min(1)
    .default([{ username: 'demo', password: 'demo' }])
    .describe('Shared logins handed to the room; each leads to the ISLET menu (legacy `USER`, password set at install).'),
  failure_count: z.number().int().min(1).max(100).default(3).describe('Wrong answers allowed at each prompt before the session ends (legacy `FAILURE_COUNT`).'),
  min_password_length: z.number().int().min(1).max(256).default(4).describe('Minimum length of a trainee password (legacy `MIN_PASSWD_LEN`).'),
  days: z.number().positive().default(3).describe('Account lifetime in days from creation (legacy `DAYS`).'),
  menu_timeout: duration('menu_timeout').prefault('60s').describe('Idle seconds at any prompt before the session is ended politely (the original `TMOUT`).'),
  debug: z.boolean().default(false).describe('Log more detail (legacy `DEBUG`).'),
  reconcile_interval: duration('reconcile_interval')
    .prefault('60s')
    .describe('How often the reconciler compares the store with the engine and removes expired or orphaned containers (legacy `INTERVAL`).'),
  check_interval: duration('check_interval')
    .prefault('15s')
    .describe('How often running containers are checked against their maximum running time and idle limit.'),
  max_containers: z
    .union([z.literal('auto'), z.number().int().min(0)])
    .transform((v) => (v === 'auto' ? 0 : v))
    .prefault('auto')
    .describe(
      'Running containers allowed at once on this host; further trainees wait in line. `auto` (or 0): as many as fit in memory if each used its whole ' +
        'limit — (host memory − 1 GiB) ÷ the largest `memory` of the enabled environments (512 MiB counted for an unlimited one, 128 MiB at least), never ' +
        'below 1 (src/sessions/capacity.ts). Set a number to allow more when trainees use far less than their limit.',
    ),
  max_containers_per_account: z.number().int().min(0).default(3).describe('Running containers one account may have at once. 0: no limit.'),
  account_creations_per_ip: z
    .number()
    .int()
    .min(1)
    .default(30)
    .describe(
      'New accounts one address may create within `account_creation_window`; more are refused with a message until the window passes. A room behind one ' +
        'NAT address shares it: raise it above the room size for rooms of more than 30.',
    ),
  account_creation_window: duration('account_creation_window').prefault('10m').describe('Window for counting account creations per address.'),
  admission_wait: duration('admission_wait').prefault('120s').describe('How long a trainee waits in line for a free place before being asked to try again.'),
  public_address: z
    .string()
    .default('')
    .describe(
      'How trainees reach ISLET, `host` or `host:port`, used in the commands ISLET shows them (download, direct login). Empty: `<this host>` is shown.',
    ),
  ssh_max_connections: z.number().int().min(1).default(2000).describe('Open SSH connections allowed in total; more are refused at once.'),
  ssh_max_connections_per_ip: z
    .number()
    .int()
    .min(1)
    .default(400)
    .describe('Open SSH connections allowed from one address. A room behind one NAT address shares it: keep it above the room size.'),
  ssh_new_connections_per_ip: z
    .number()
    .int()
    .min(1)
    .default(120)
    .describe('New SSH connections one address may open per minute; more are refused until the minute passes.'),
  ssh_auth_failures_per_ip: z
    .number()
    .int()
    .min(1)
    .default(300)
    .describe(
      'Failed logins (gate and trainee accounts) from one address within `ssh_lockout` that lock the address out for `ssh_lockout`, keys included: the ' +
        'last resort against a fast guesser, far above what a room behind one NAT address mistypes (slower guessing meets `login_failure_delay` and ' +
        'per-account throttling instead).',
    ),
  ssh_lockout: duration('ssh_lockout').prefault('5m').describe('Window for counting failed logins per address, and how long a locked-out address is refused.'),
  login_failure_delay: duration('login_failure_delay')
    .prefault('10s')
    .describe(
      "Longest a failed login's answer is held back. An address's first 5 failures in a minute (and an account's first 5 in `account_failure_window`) are " +
        'answered at once, then after 0.5 s, 1 s, 2 s … up to this. A right password or key is never held. 0: no delay.',
    ),
  account_lock_failures: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe(
      'Wrong passwords for one account within `account_failure_window`, from any addresses, after which its password logins are refused from every ' +
        'address for `account_lock`, twice as long with each lock in a row, up to `account_lock_max`. Key logins, other accounts and the gate logins are ' +
        'not affected; a right password after the lock ends the back-off; `islet unlock <account>` ends a lock.',
    ),
  account_failure_window: duration('account_failure_window').prefault('15m').describe('Window for counting wrong passwords per account.'),
  account_lock: duration('account_lock')
    .prefault('1m')
    .describe("An account's first password-login lock; each further lock within a day lasts twice the one before."),
  account_lock_max: duration('account_lock_max').prefault('60m').describe('Longest password-login lock of an account.'),
  ssh_login_grace: duration('ssh_login_grace').prefault('30s').describe('Time a client has to authenticate before it is disconnected.'),
  ssh_channel_grace: duration('ssh_channel_grace')
    .prefault('30s')
    .describe('A gate login with no channel at work (no shell open) for this long is disconnected, so idle logins cannot hold the per-address places.'),
  ssh_idle_account_connection: duration('ssh_idle_account_connection')
    .prefault('10m')
    .describe('The same for direct account logins (`alice@host`), which may be `ssh -N -L` waiting for its first forwarded connection.'),
  ssh_max_sessions_per_connection: z.number().int().min(1).default(4).describe('Session channels (shells) one SSH connection may open at once.'),
  web_tls_cert: z
    .string()
    .default('')
    .describe(
      'PEM certificate (chain) file for the web door (`islet serve --http`); with `web_tls_key` it serves HTTPS and WSS. Empty: plain HTTP, with a ' +
        'warning in the log unless it listens on loopback only. Read at start.',
    ),
  web_tls_key: z.string().default('').describe('PEM private key file for `web_tls_cert`. Read at start.'),
  web_origins: z
    .array(z.string().regex(/^https?:\/\/[^/]+$/))
    .default([])
    .describe(
      "Page origins (`https://host[:port]`, exact) allowed to open the web door's WebSocket besides the door's own host and port (a reverse proxy's " +
        'public name). Empty: only the same host and port the page was served from.',
    ),
  web_resume: duration('web_resume')
    .prefault('2m')
    .describe(
      'How long a browser session whose connection dropped stays open for the page to reconnect to it (its output kept, its shell attached); after that ' +
        'it is detached as if the trainee had left, and the shell keeps running.',
    ),
  screen_restore: z
    .boolean()
    .default(true)
    .describe(
      "Keep a model of every live shell's screen (a few hundred KiB each, 100 lines of scrollback) so a trainee who reattaches, " +
        'over SSH or in the browser, sees the current screen at once — vim or top included — instead of a blank one until the program redraws. ' +
        'Off: the old blank reattach.',
    ),
  recording: z
    .boolean()
    .default(true)
    .describe(
      'Record every interactive session (menu and shell, SSH and browser) as an asciicast v3 file under `<data>/recordings/<account>/`, and ' +
        'commands, file transfers and port forwards as JSON events beside them (docs/recordings.md). What the trainee saw is recorded; ' +
        'what they type only with `recording_input`.',
    ),
  recording_input: z
    .boolean()
    .default(false)
    .describe(
      "Also record what trainees type in their shells (never at ISLET's own prompts, where passwords are typed). Every interactive login is told so " +
        'before the menu.',
    ),
  recording_retention: duration('recording_retention')
    .prefault('30d')
    .describe('Recordings and event files older than this are removed by the reconciler (and `islet reap`). 0 keeps them forever.'),
  recording_max_size: size('recording_max_size')
    .prefault('50m')
    .describe('Largest recording of one session; past it the output is no longer written and the recording is marked truncated. 0: no cap.'),
  metrics_token: z
    .string()
    .default('')
    .describe(
      'Bearer token that `/metrics` requires (`Authorization: Bearer <token>`), on the `--metrics` listener and on the web door. ' +
        'Empty: `/metrics` is served only on the `--metrics` listener (`ISLET_METRICS`), without a token — listen on a loopback or management address. ' +
        '`/healthz` never needs it.',
    ),
  instructors: z
    .array(
      z
        .object({
          name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/),
          password_hash: z
            .string()
            .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'expected an scrypt hash written by `islet instructor add`'),
        })
        .strict(),
    )
    .default([])
    .refine((l) => new Set(l.map((i) => i.name)).size === l.length, 'instructor names must be unique')
    .describe(
      'Who may log in to the instructor console (`/console` on the web door): a name and an scrypt password hash each, written by ' +
        '`islet instructor add <name>`. Removing an instructor ends their console sessions at their next request. Empty: the console has no logins.',
    ),
  console_session: duration('console_session')
    .prefault('8h')
    .describe('How long an instructor stays logged in to the console after logging in (the session ends earlier on logout).'),
  disk_check_interval: duration('disk_check_interval')
    .prefault('5m')
    .describe("How often each running container's writable layer is measured against its `disk_quota`."),
  server_priority: z
    .number()
    .int()
    .min(-20)
    .max(19)
    .default(-10)
    .describe(
      "Scheduling priority (nice value) of ISLET's event-loop thread, which carries every keystroke and login. Below 0 keeps shells responsive when " +
        "trainees' containers use every core. Where Linux scheduler autogroups are on, the same value is given to ISLET's session's autogroup (a " +
        "thread's nice only ranks it inside its own session). Needs root or CAP_SYS_NICE; without it ISLET runs at its inherited priority and logs " +
        'a warning. Read at start.',
    ),
  host_capture: z
    .boolean()
    .default(false)
    .describe("Allow `islet run -i` (a catalogue tool on the host's network, sniffing its interfaces). Off: catalogue tools see only files and lab networks."),
  datasets_dir: z
    .string()
    .default('')
    .describe(
      'Directory of the datasets environments mount (`datasets:`). Empty: `<data>/datasets` of `ISLET_DATA`, else /var/lib/islet/datasets — where `islet ' +
        'dataset add` puts them.',
    ),
  idle_cpu_percent: z
    .number()
    .min(0)
    .max(10000)
    .default(5)
    .describe('A container using more CPU than this (percent of one core, averaged since the last check) counts as busy and is never stopped for idleness.'),
  runtime: z
    .object({
      driver: z
        .enum(['docker', 'swarm'])
        .default('docker')
        .describe('`docker`: one engine (`DOCKER_HOST`). `swarm`: each trainee container is a Swarm service placed by a Swarm manager (docs/swarm.md).'),
      manager: z
        .string()
        .default('')
        .describe('Swarm: a manager engine (`unix:///path`, or `tcp://host:port` with TLS, see `tls_dir`). Empty: `DOCKER_HOST`, else /var/run/docker.sock.'),
      nodes: z
        .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/), z.string().min(1))
        .default({})
        .describe(
          "Swarm: each node's engine by node hostname (`docker node ls`), e.g. `{ node1: unix:///run/n1.sock, node2: tcp://10.0.0.2:2376 }` " +
            '(TCP only with TLS, see `tls_dir`): attach, exec and files go ' +
            'to the engine of the node that runs the task. Nodes must run dockerd with `--bridge=none` and `--no-new-privileges` (checked before use).',
        ),
      tls_dir: z
        .string()
        .default('')
        .describe(
          'Swarm: a directory with `ca.pem`, `cert.pem` and `key.pem` (the Docker CLI layout) for engines given as `tcp://host:port`, ' +
            'reached only with mutual TLS. Empty: `DOCKER_CERT_PATH`.',
        ),
      constraints: z.array(z.string().min(1)).default([]).describe('Swarm: placement constraints for every trainee service, e.g. `node.labels.islet==yes`.'),
      drain_grace: duration('drain_grace')
        .prefault('1h')
        .describe('Swarm: how long a live shell on a drained node keeps running before Swarm stops it (its stop grace period).'),
    })
    .strict()
    .prefault({})
    .describe('Container runtime. Read at start.'),
  defaults: environmentDefaultsSchema.default({}).describe('Options every environment inherits unless it sets them itself (legacy `modules/docker.conf`).'),
  plugins: z
    .array(pluginSchema)
    .prefault(defaultPlugins)
    .describe('Plugin entries listed after the environments. `plugins/*.yaml` and `plugins/*.conf` files add more.'),
} as const;

export const globalSchema = z.object(globalFields).strict();

export type Environment = z.output<typeof environmentSchema> & { readonly name: string; readonly source: string };
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EnvironmentDefaultsInput = z.input<typeof environmentDefaultsSchema>;
export type GlobalConfig = z.output<typeof globalSchema>;
export type GlobalInput = z.input<typeof globalSchema>;
export type Plugin = z.output<typeof pluginSchema> & { readonly source: string };
export type PluginInput = z.input<typeof pluginSchema>;
export type PluginAction = (typeof pluginActions)[number];
