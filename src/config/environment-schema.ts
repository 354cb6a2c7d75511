/**
 * The environment section of the configuration (`environments/<name>.yaml`):
 * every option an environment may set, the schema that validates one, and the
 * `defaults` form of the same options that islet.yaml's global section embeds.
 */
import { z } from 'zod';
import { namePattern } from './name-patterns.ts';
import { capability, ulimitNames, ulimitValue } from './ulimits-and-capabilities.ts';
import { duration, size } from './unit-fields.ts';

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

export type Environment = z.output<typeof environmentSchema> & { readonly name: string; readonly source: string };
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EnvironmentDefaultsInput = z.input<typeof environmentDefaultsSchema>;
