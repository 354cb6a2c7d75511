/**
 * What `islet run` and `islet grouprun` take from their command line, checked
 * before anything reaches the engine (ContainNSM built a `docker run` string
 * and `eval`ed it; here every path is validated and passed as one argument).
 *
 *   -r <path>[,<path>|<src>:<dst>|<dataset>]  read-only inputs: a path is mounted at the same path, a dataset at /datasets/<name>
 *   -w <dir|file>[,…|<src>:<dst>]             write-back mounts (the only writable ones)
 *   -C <dir>   working directory (default: the first -w target, else the directory of the first -r, else the user's home)
 *   -u <user>  user in the container (default: the image's unprivileged user)
 *   -i         share the host's network to sniff its interfaces: only when the config sets `host_capture: true`
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IsletError } from '../core/islet-error.ts';
import { datasetMount, hasDataset } from './datasets.ts';
import type { Mount } from './run-options.ts';

export interface RunRequest {
  readonly ref: string;
  readonly command: string[];
  readonly readOnly: Mount[];
  readonly writable: Mount[];
  readonly workdir?: string;
  readonly user?: string;
  readonly hostNetwork: boolean;
  readonly count?: number;
  readonly json: boolean;
  readonly data?: string;
  readonly config?: string;
}

const bad = (msg: string): IsletError => new IsletError('CATALOGUE_INVALID', msg, msg);
const userPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

export function parseRunArgs(argv: readonly string[], datasetsDir: string, opts: { grouprun: boolean; cwd?: string }): RunRequest {
  const dash = argv.indexOf('--');
  if (dash < 0) throw bad('put the command to run after `--`, e.g. islet run tcpdump -- tcpdump --version');
  const command = argv.slice(dash + 1);
  if (command.length === 0) throw bad('no command after `--`');
  const { values: f, positionals } = parseArgs({
    args: argv.slice(0, dash),
    allowPositionals: true,
    strict: true,
    options: {
      r: { type: 'string', short: 'r', multiple: true },
      w: { type: 'string', short: 'w', multiple: true },
      C: { type: 'string', short: 'C' },
      u: { type: 'string', short: 'u' },
      i: { type: 'boolean', short: 'i' },
      c: { type: 'string', short: 'c' },
      I: { type: 'string', short: 'I' },
      json: { type: 'boolean' },
      data: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const ref = f.I ?? positionals[0];
  if (ref === undefined) throw bad(`name the tool: islet ${opts.grouprun ? 'grouprun' : 'run'} <tool>${opts.grouprun ? '' : '[:<version>]'} -- <command>`);
  if (positionals.length > (f.I ? 0 : 1)) throw bad(`unexpected arguments before \`--\`: ${positionals.slice(f.I ? 0 : 1).join(' ')}`);
  const cwd = opts.cwd ?? process.cwd();
  const readOnly = (f.r ?? []).flatMap((s) => s.split(',')).map((item) => readMount(item, datasetsDir, cwd));
  const writable = (f.w ?? []).flatMap((s) => s.split(',')).map((item) => writeMount(item, cwd));
  if (f.C !== undefined && !isAbsolute(f.C)) throw bad(`-C: the working directory must be an absolute path inside the container, got ${JSON.stringify(f.C)}`);
  if (f.u !== undefined && !userPattern.test(f.u)) throw bad(`-u: invalid user ${JSON.stringify(f.u)}`);
  if (f.u !== undefined && /^(root|0)(:|$)/.test(f.u)) throw bad('-u: running as root is refused; catalogue images run as their unprivileged user');
  let count: number | undefined;
  if (f.c !== undefined) {
    count = Number(f.c);
    if (!opts.grouprun || !Number.isInteger(count) || count < 1 || count > 64)
      throw bad(opts.grouprun ? `-c: expected 1..64, got ${f.c}` : '-c belongs to grouprun');
  }
  const targets = [...readOnly, ...writable].map((m) => m.target);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw bad(`two mounts at ${dup}`);
  const workdir =
    f.C ?? writable[0]?.target ?? (readOnly[0] ? (statSync(readOnly[0].source).isDirectory() ? readOnly[0].target : dirname(readOnly[0].target)) : undefined);
  return {
    ref,
    command,
    readOnly,
    writable,
    hostNetwork: f.i === true,
    json: f.json === true,
    ...(workdir !== undefined ? { workdir } : {}),
    ...(f.u !== undefined ? { user: f.u } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(f.data !== undefined ? { data: f.data } : {}),
    ...(f.config !== undefined ? { config: f.config } : {}),
  };
}

function split(item: string, cwd: string, flag: string): Mount {
  if (item === '') throw bad(`${flag}: empty path`);
  const colon = item.indexOf(':');
  const src = resolve(cwd, colon >= 0 ? item.slice(0, colon) : item);
  const target = colon >= 0 ? item.slice(colon + 1) : src;
  if (!isAbsolute(target) || target.split('/').includes('..')) throw bad(`${flag}: the container path must be absolute, got ${JSON.stringify(target)}`);
  if (target === '/' || /^\/(proc|sys|dev|etc|usr|bin|sbin|lib|lib64)(\/|$)/.test(target)) throw bad(`${flag}: refusing to mount over ${target}`);
  if (!existsSync(src)) throw new IsletError('CATALOGUE_NOT_FOUND', `${flag}: ${src} does not exist`, `${flag}: ${src} does not exist`);
  if (/(^|\/)docker\.sock$|^\/(var\/)?run(\/|$)/.test(src)) throw bad(`${flag}: refusing to mount ${src} (the engine's socket lives there)`);
  return { source: src, target };
}

function readMount(item: string, datasetsDir: string, cwd: string): Mount {
  if (!item.includes(':') && !item.includes('/') && hasDataset(datasetsDir, item)) return datasetMount(datasetsDir, item);
  if (!item.includes(':') && !item.includes('/') && !existsSync(resolve(cwd, item))) {
    throw new IsletError(
      'CATALOGUE_NOT_FOUND',
      `-r: ${item} is neither a dataset (islet dataset ls) nor a file`,
      `-r: ${item} is neither a dataset nor a file`,
    );
  }
  return split(item, cwd, '-r');
}

function writeMount(item: string, cwd: string): Mount {
  const m = split(item, cwd, '-w');
  try {
    accessSync(m.source, constants.W_OK);
  } catch {
    throw bad(`-w: ${m.source} is not writable`);
  }
  return m;
}
