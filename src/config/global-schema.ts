/**
 * The global section of the configuration (islet.yaml): every server-wide
 * option, in the order the generated reference lists them, with the
 * environment `defaults` and the `plugins` it embeds.
 */
import { z } from 'zod';
import { environmentDefaultsSchema } from './environment-schema.ts';
import { instancePattern } from './name-patterns.ts';
import { defaultPlugins, pluginSchema } from './plugin-schema.ts';
import { duration, size } from './unit-fields.ts';

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
    .describe(
      'A container using more CPU than this (percent of one core, averaged since the last check), or whose processes waited for a CPU ' +
        'longer than this share of the time (a job starved by a full machine), counts as busy and is never stopped for idleness.',
    ),
  busy_cpu_shares: z
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 2 && n <= 262144), 'must be 0 (off) or from 2 to 262144')
    .default(2)
    .describe(
      "CPU weight (as `cpu_shares`) of a trainee container while it keeps a core busy (`busy_cpu_percent`), so one trainee's long " +
        "CPU-bound job does not slow the others' typing. The default, 2, is the lowest: the job yields to every container that wants the CPU " +
        "(64 made no measurable difference, docs/performance.md). It gets its environment's `cpu_shares` back after 2 s under 20 % of a core, so " +
        'a job starved by the others is not starved for long; alone on the machine a lowered container still gets every idle cycle. Checked ' +
        "every half second from the host's cgroup files (one engine on this machine only; not with Swarm). 0: off.",
    ),
  typing_cpu_shares: z
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 2 && n <= 262144), 'must be 0 (off) or from 2 to 262144')
    .default(262144)
    .describe(
      "CPU weight (as `cpu_shares`) of a trainee container while its trainee types a line: from a key to the line's Enter (or 1 s " +
        "without a key), so the keys echo ahead of the room's running jobs; the command then runs at its own weight. Given back at the " +
        'half-second check in which the container used 20 % of a core or more, and then not raised again for 2 s, so typing lends a job ' +
        'the weight for half a second at most, then not for 2 s. Host cgroup files, one engine on this machine only. 0: off.',
    ),
  busy_cpu_percent: z
    .number()
    .min(1)
    .max(10000)
    .default(90)
    .describe('A trainee container using at least this much CPU (percent of one core, over half a second) counts as busy for `busy_cpu_shares`.'),
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
      terminal: z
        .enum(['engine', 'relay'])
        .default('relay')
        .describe(
          "How a trainee's terminal reaches its container. `engine`: the engine's attach (every keystroke and echo through dockerd and the " +
            "container's shim). `relay`: a small static relay runs as the container's main process with the environment's program under it, " +
            'and talks to ISLET over a unix socket of its own (bound read-only into that container only), so no engine process is in the data ' +
            'path (docs/performance.md). Docker on this machine only (not Swarm, not a remote engine); built by `scripts/build-pty-relay.sh`. ' +
            'Applies to containers created after a change.',
        ),
      trainee_cpu: z
        .enum(['idle', 'engine'])
        .default('idle')
        .describe(
          "Where trainee containers sit in the host's CPU scheduling. `idle`: under ISLET's own cgroup `islet-trainees`, marked idle " +
            "(`cpu.idle`, Linux 5.15 and later), so every process outside the containers (ISLET's front doors, the engine, sshd) runs the " +
            'moment it wakes, and the containers share the rest by their `cpu_shares`; alone on the machine they still get every cycle. ' +
            'While other processes leave them next to no CPU (a host job keeping every CPU busy), the server lifts the mark for a while ' +
            '(10 s, doubling while the starving goes on, up to 5 minutes), so such a job slows the trainees instead of stopping them. ' +
            "`engine`: the engine's own group, beside the host's processes at equal weight (with a hundred containers starting short jobs, " +
            'ISLET then waited up to 100 to 260 ms for a CPU in spells, docs/performance.md). Docker on this machine with its cgroupfs driver ' +
            "only (otherwise the engine's own group, and the server says why at start). Applies to containers created after a change.",
        ),
      terminal_slice_us: z
        .number()
        .int()
        .min(0)
        .max(100_000)
        .default(0)
        .describe(
          "With `terminal: relay`: the scheduler slice (µs) the relay and the environment's program ask the kernel for (Linux 6.12 and later; " +
            'older kernels ignore it), while everything the program starts keeps the default. A shorter slice puts a woken shell ahead of ' +
            "the other containers' running jobs in the kernel's order without changing its share of the CPU. 0 (the default): the kernel's " +
            'own slice; 100 did not shorten the echo tail measurably in an interleaved run (docs/performance.md, "The terminal\'s slice"). ' +
            'Applies to containers created after a change.',
        ),
      engine_mutations: z
        .number()
        .int()
        .min(0)
        .max(64)
        .default(0)
        .describe(
          'Docker: how many engine mutations (create, start, stop, remove, rename, network) ISLET runs at once; the rest queue, starts ' +
            'ahead of creates. 0 (the default): 8. On a 2-core machine the engine alone starts a storm of containers sooner at 2 at once, ' +
            "but ISLET's own storm was no faster there, and a stop holds its place until its container ends (about a second: 1 s of grace) " +
            '(docs/performance.md, "How many creates at once"). Image pulls queue apart (4 at once) and never hold these places.',
        ),
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

export type GlobalConfig = z.output<typeof globalSchema>;
export type GlobalInput = z.input<typeof globalSchema>;
