/**
 * `docker run` flags found in GLOBAL_OPTIONS, LOCAL_OPTIONS (old name
 * OPTIONS) and MOUNT. The original ISLET pasted them into an `eval`ed
 * command line; ISLET maps an explicit allow-list of them onto schema fields
 * and refuses every other flag by name. Nothing is ever passed through.
 */
import type { ErrorCode } from '../../core/codes.ts';
import { capabilityNames, ulimitNames } from '../schema.ts';
import { clip } from './values.ts';
import { FLAG_STRING, tokenize } from './tokenize.ts';

export interface FlagProblem {
  readonly severity: 'critical' | 'warning';
  readonly code: ErrorCode;
  readonly message: string;
}

export interface Mount {
  readonly source: string;
  readonly target: string;
}

/** What a run of flags asks for. Single-valued fields: the last flag wins, as with docker. */
export interface DockerFlags {
  memory?: string;
  /** `--memory-swap`: Docker's memory+swap total, converted by the caller. */
  memorySwap?: string;
  cpuShares?: number;
  pidsLimit?: number;
  hostname?: string;
  workdir?: string;
  user?: string;
  network?: 'none' | 'bridge';
  readOnly?: boolean;
  noNewPrivileges?: boolean;
  remove?: boolean;
  readonly dns: string[];
  readonly capAdd: string[];
  readonly capDrop: string[];
  readonly ulimits: Map<string, string>;
  /** `-e NAME=VALUE`. */
  readonly env: Map<string, string>;
  /** `-e NAME` without a value: the caller looks NAME up among exported variables. */
  readonly envNames: string[];
  readonly mounts: Mount[];
  readonly problems: FlagProblem[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT = /^-?\d{1,12}$/;
const capabilitySet: ReadonlySet<string> = new Set(capabilityNames);
const ulimitSet: ReadonlySet<string> = new Set(ulimitNames);

const critical = (code: ErrorCode, message: string): FlagProblem => ({ severity: 'critical', code, message });
const warning = (code: ErrorCode, message: string): FlagProblem => ({ severity: 'warning', code, message });

/**
 * Splits a flag string into words as the original's `eval` would (quotes,
 * backslashes, a `#` word ending the string) and refuses what `eval` would
 * have run: `$(…)`, backticks, `;`, `|`, `&`, redirections. The `.conf`
 * reader's Lexer does the splitting (tokenize.ts, FLAG_STRING: `$` stays
 * text, newlines are blanks, the first refusal ends it).
 */
export function splitWords(text: string): { words: string[]; problems: FlagProblem[] } {
  const [st] = tokenize(text, FLAG_STRING);
  const words = (st?.words ?? []).map((w) => w.parts.map((p) => (p.kind === 'lit' ? p.text : `$${p.name}`)).join(''));
  const problems = [...(st?.refused ? [st.refused] : []), ...(st?.warnings ?? [])].map(({ severity, code, message }) => ({ severity, code, message }));
  return { words, problems };
}

type Handler = (f: DockerFlags, value: string, flag: string) => void;

const invalid = (f: DockerFlags, message: string) => {
  f.problems.push(critical('CONFIG_INVALID', message));
};

const capability =
  (list: 'capAdd' | 'capDrop'): Handler =>
  (f, v, flag) => {
    for (const raw of v.split(',')) {
      const cap = raw.trim().toUpperCase().replace(/^CAP_/, '');
      if (capabilitySet.has(cap)) {
        if (!f[list].includes(cap)) f[list].push(cap);
      } else invalid(f, `${flag} ${clip(raw)}: unknown capability`);
    }
  };

const integer =
  (set: (f: DockerFlags, n: number) => void): Handler =>
  (f, v, flag) => {
    if (INT.test(v.trim())) set(f, Number(v.trim()));
    else invalid(f, `${flag} ${clip(v)}: expected a whole number`);
  };

/** `-v /src:/dst[:ro]`: host directories only, always read-only. */
export function parseVolume(spec: string): { mount?: Mount; problems: FlagProblem[] } {
  const problems: FlagProblem[] = [];
  const fields = spec.split(':');
  if (fields.length < 2 || fields.length > 3) {
    problems.push(
      critical(
        'CONFIG_INVALID',
        `volume ${clip(spec)}: expected /host/dir:/container/dir[:ro]${fields.length < 2 ? ' (anonymous volumes are not supported)' : ''}`,
      ),
    );
    return { problems };
  }
  const [source, target, opts = ''] = fields as [string, string, string?];
  if (!source.startsWith('/')) {
    problems.push(critical('CONFIG_INVALID', `volume ${clip(spec)}: only host directories (absolute paths) can be mounted, not named volumes`));
    return { problems };
  }
  if (!target.startsWith('/')) {
    problems.push(critical('CONFIG_INVALID', `volume ${clip(spec)}: the container path must be absolute`));
    return { problems };
  }
  const options = opts.split(',').filter(Boolean);
  for (const o of options) if (o !== 'ro' && o !== 'rw') problems.push(warning('CONFIG_INVALID', `volume ${clip(spec)}: option "${clip(o, 20)}" is ignored`));
  if (!options.includes('ro')) problems.push(warning('CONFIG_INVALID', `volume ${clip(spec)} is not marked :ro; ISLET mounts it read-only anyway`));
  return { mount: { source, target }, problems };
}

/** `--mount type=bind,source=/a,target=/b,readonly`. */
export function parseMountFlag(spec: string): { mount?: Mount; problems: FlagProblem[] } {
  const problems: FlagProblem[] = [];
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readonly = false;
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : field.slice(eq + 1);
    if (key === 'type') type = value ?? '';
    else if (key === 'source' || key === 'src') source = value;
    else if (key === 'target' || key === 'destination' || key === 'dst') target = value;
    else if (key === 'readonly' || key === 'ro') readonly = value === undefined || value === 'true' || value === '1';
    else if (key) problems.push(warning('CONFIG_INVALID', `--mount ${clip(spec)}: "${clip(key, 20)}" is ignored`));
  }
  if (type !== 'bind') {
    problems.push(critical('CONFIG_INVALID', `--mount ${clip(spec)}: only type=bind (a host directory) is supported`));
    return { problems };
  }
  if (!source?.startsWith('/') || !target?.startsWith('/')) {
    problems.push(critical('CONFIG_INVALID', `--mount ${clip(spec)}: needs absolute source= and target= paths`));
    return { problems };
  }
  if (!readonly) problems.push(warning('CONFIG_INVALID', `--mount ${clip(spec)} is not readonly; ISLET mounts it read-only anyway`));
  return { mount: { source, target }, problems };
}

const addMount =
  (parse: typeof parseVolume): Handler =>
  (f, v) => {
    const r = parse(v);
    f.problems.push(...r.problems);
    if (r.mount && !f.mounts.some((m) => m.source === r.mount!.source && m.target === r.mount!.target)) f.mounts.push(r.mount);
  };

/** Flags that take a value (`--flag value`, `--flag=value`, `-fvalue`). */
const valued: Readonly<Record<string, Handler>> = {
  '--cap-add': capability('capAdd'),
  '--cap-drop': capability('capDrop'),
  '--memory': (f, v) => {
    f.memory = v;
  },
  '--memory-swap': (f, v) => {
    f.memorySwap = v;
  },
  '--cpu-shares': integer((f, n) => {
    f.cpuShares = n;
  }),
  '--pids-limit': integer((f, n) => {
    f.pidsLimit = n;
  }),
  '--ulimit': (f, v, flag) => {
    const eq = v.indexOf('=');
    const name = eq === -1 ? '' : v.slice(0, eq).trim().toLowerCase();
    if (!ulimitSet.has(name)) {
      invalid(f, `${flag} ${clip(v)}: expected name=soft[:hard] with a name among ${ulimitNames.join(', ')}`);
      return;
    }
    f.ulimits.set(name, v.slice(eq + 1));
  },
  '--env': (f, v, flag) => {
    const eq = v.indexOf('=');
    const name = eq === -1 ? v : v.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      invalid(f, `${flag} ${clip(v)}: "${clip(name, 30)}" is not a valid variable name`);
      return;
    }
    if (eq === -1) {
      if (!f.envNames.includes(name)) f.envNames.push(name);
    } else f.env.set(name, v.slice(eq + 1));
  },
  '--hostname': (f, v) => {
    f.hostname = v;
  },
  '--workdir': (f, v) => {
    f.workdir = v;
  },
  '--user': (f, v) => {
    f.user = v;
  },
  '--network': (f, v, flag) => {
    const net = v === 'default' ? 'bridge' : v;
    if (net === 'none' || net === 'bridge') f.network = net;
    else
      invalid(
        f,
        `${flag} ${clip(v)}: only none and bridge networks are allowed${v === 'host' ? " (host networking would expose the host's network stack)" : ''}`,
      );
  },
  '--dns': (f, v) => {
    f.dns.push(v);
  },
  '--volume': addMount(parseVolume),
  '--mount': addMount(parseMountFlag),
  '--security-opt': (f, v, flag) => {
    const m = /^no-new-privileges(?:[=:](true|false))?$/.exec(v);
    if (m) f.noNewPrivileges = m[1] !== 'false';
    else f.problems.push(critical('CONFIG_FORBIDDEN', `${flag} ${clip(v)} is refused: only no-new-privileges is allowed`));
  },
};

/** Flags without a value (they accept `=true`/`=false`). */
const switches: Readonly<Record<string, (f: DockerFlags, on: boolean) => void>> = {
  '--read-only': (f, on) => {
    f.readOnly = on;
  },
  '--rm': (f, on) => {
    f.remove = on;
  },
  // ISLET always runs the shell with a TTY, interactively.
  '--tty': () => {},
  '--interactive': () => {},
};

const aliases: Readonly<Record<string, string>> = {
  '-m': '--memory',
  '-c': '--cpu-shares',
  '-e': '--env',
  '-h': '--hostname',
  '-w': '--workdir',
  '-u': '--user',
  '--net': '--network',
  '-v': '--volume',
  '-t': '--tty',
  '-i': '--interactive',
};

export function emptyFlags(): DockerFlags {
  return { dns: [], capAdd: [], capDrop: [], ulimits: new Map(), env: new Map(), envNames: [], mounts: [], problems: [] };
}

/** Parses `text` (a GLOBAL_OPTIONS / LOCAL_OPTIONS / MOUNT value) into `into` (default: fresh flags). */
export function parseDockerFlags(text: string, into: DockerFlags = emptyFlags()): DockerFlags {
  const f = into;
  const split = splitWords(text);
  f.problems.push(...split.problems);
  if (split.problems.some((p) => p.severity === 'critical')) return f;
  const words = split.words;
  const forbidden = (flag: string) => {
    f.problems.push(
      critical(
        'CONFIG_FORBIDDEN',
        `docker flag ${clip(flag)} is not supported: ISLET maps only an allow-list of docker run flags (docs/legacy-conf.md) and never passes flags through`,
      ),
    );
  };
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (!w.startsWith('-') || w === '-' || w === '--') {
      f.problems.push(critical('CONFIG_FORBIDDEN', `"${clip(w)}" is not a docker flag: it would become the image or the command`));
      continue;
    }
    const takeValue = (flag: string, attached: string | undefined): string | undefined => {
      if (attached !== undefined) return attached;
      const next = words[k + 1];
      if (next === undefined) {
        invalid(f, `${flag} needs a value`);
        return undefined;
      }
      k++;
      return next;
    };
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const given = eq === -1 ? w : w.slice(0, eq);
      const flag = aliases[given] ?? given;
      const attached = eq === -1 ? undefined : w.slice(eq + 1);
      const h = Object.hasOwn(valued, flag) ? valued[flag] : undefined;
      const s = Object.hasOwn(switches, flag) ? switches[flag] : undefined;
      if (h) {
        const v = takeValue(given, attached);
        if (v !== undefined) h(f, v, given);
      } else if (s) {
        if (attached === undefined || attached === 'true') s(f, true);
        else if (attached === 'false') s(f, false);
        else invalid(f, `${given}=${clip(attached)}: expected true or false`);
      } else forbidden(given);
      continue;
    }
    // Short flags: `-it` (switches), `-m 256m`, `-m=256m`, `-m256m`.
    for (let c = 1; c < w.length; c++) {
      const short = `-${w[c]}`;
      const flag = aliases[short];
      const h = flag && Object.hasOwn(valued, flag) ? valued[flag] : undefined;
      const s = flag && Object.hasOwn(switches, flag) ? switches[flag] : undefined;
      if (h) {
        const rest = w.slice(c + 1);
        const v = takeValue(short, rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest);
        if (v !== undefined) h(f, v, short);
        break;
      }
      if (s) {
        s(f, true);
        continue;
      }
      forbidden(c === 1 && w.length === 2 ? w : `${short} (in ${clip(w, 20)})`);
      break;
    }
  }
  return f;
}
