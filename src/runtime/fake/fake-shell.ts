/**
 * A tiny POSIX-shell look-alike for fake instances: enough of `sh` for the
 * RuntimeDriver case suite and the unit tests (the commands a trainee's first
 * minute uses), nothing more. It is NOT a shell: no loops, no functions, no
 * globbing, no field splitting of expansions.
 *
 * Understood: `;` `&&` `||` `&` `|`, redirections `>` `>>` `<` `2>` `2>&1`
 * `>&2`, quotes and backslashes, `~`, `$VAR` `${VAR}` `$?` `$((arith))`
 * `$(command)`, `NAME=value` (alone or before a command), and the commands in
 * COMMANDS below. Anything else is `sh: <name>: not found` with status 127,
 * as busybox says it.
 *
 * Contract: a command killed by a signal ends with status 128 + its number;
 * `exit n` ends the script (or the interactive shell) with n.
 */
import { posix } from 'node:path';
import { constants } from 'node:os';
import type { TtySize } from '../runtime-driver.ts';
import { resolvePath, type FakeFs } from './fake-fs.ts';

/** What a shell sees of the instance it runs in. */
export interface ShellMachine {
  readonly fs: FakeFs;
  readonly hostname: string;
  /** The TTY size of the instance's main TTY (undefined without one). */
  ttySize(): TtySize | undefined;
  /** Running processes for `ps`: pid → [user, command line]. */
  readonly procs: Map<number, readonly [string, string]>;
  nextPid(): number;
  /** CPU time used so far, ns (each command costs a little). */
  cpuNs: number;
  /** uid of a user of the image, undefined when the image has none. */
  uidOf(user: string): number | undefined;
}

/** One process: its identity, variables, streams, and the signal that kills it. */
export interface Proc {
  readonly machine: ShellMachine;
  /** Variables, shared by the commands of one shell; `PWD` is the working directory. */
  vars: Record<string, string>;
  readonly user: string;
  readonly uid: number;
  /** Aborted with a signal name (`SIGTERM`, …) when the process is killed. */
  readonly signal: AbortSignal;
  /** What kills background jobs (`cmd &`): the shell's own signal, not the foreground line's Ctrl-C. */
  readonly jobSignal?: AbortSignal;
  out(text: string): void;
  err(text: string): void;
  /** Everything on stdin until it ends. */
  readAll(): Promise<string>;
  /** Whether stdin is the TTY (`stty` works). */
  readonly tty: boolean;
}

class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

function cwd(p: Proc): string {
  return p.vars.PWD || '/';
}

export function signalStatus(sig: unknown): number {
  const n = (constants.signals as Record<string, number>)[String(sig)] ?? 15;
  return 128 + n;
}

/** Runs a script (`sh -c script`); resolves with its exit status. */
export async function runScript(script: string, p: Proc): Promise<number> {
  return (await runLine(script, p)).status;
}

/** Runs one line of an interactive shell: `exited` tells whether it ran `exit`. */
export async function runLine(script: string, p: Proc): Promise<{ status: number; exited: boolean }> {
  try {
    return { status: await runList(script, p), exited: false };
  } catch (e) {
    if (e instanceof Exit) return { status: e.code, exited: true };
    if (p.signal.aborted) return { status: signalStatus(p.signal.reason), exited: false };
    throw e;
  }
}

/** Runs an argv as given (no shell involved, as `exec` with argv does): `sh -c x` interprets x. */
export async function runArgv(argv: readonly string[], p: Proc): Promise<number> {
  const [cmd = '', ...args] = argv;
  if (/(^|\/)(ba)?sh$/.test(cmd) && args[0] === '-c') return runScript(args[1] ?? '', p);
  if (/(^|\/)busybox$/.test(cmd)) return runArgv(args, p);
  try {
    return await simple([posix.basename(cmd), ...args], p);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (p.signal.aborted) return signalStatus(p.signal.reason);
    throw e;
  }
}

// --- parsing -----------------------------------------------------------------

type Tok = { op: string } | { word: string };
const OPS = ['2>&1', '>&2', '&&', '||', '>>', '2>', ';', '&', '|', '>', '<', '\n'];

/** Splits a line into raw words (quotes kept, expanded later) and operators. */
function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    const op = OPS.find((o) => s.startsWith(o, i) && ((o !== '2>' && o !== '2>&1') || i === 0 || /\s/.test(s[i - 1]!)));
    if (op) {
      toks.push({ op });
      i += op.length;
      continue;
    }
    let w = '';
    while (i < s.length && !/[\s;&|<>]/.test(s[i]!)) {
      const end = skipQuoted(s, i);
      w += s.slice(i, end);
      i = end;
    }
    toks.push({ word: w });
  }
  return toks;
}

/** End of the quoted piece, escape or `$(…)` starting at i (or i+1 for a plain character). */
function skipQuoted(s: string, i: number): number {
  const c = s[i];
  if (c === '\\') return Math.min(s.length, i + 2);
  if (c === "'") {
    const j = s.indexOf("'", i + 1);
    return j < 0 ? s.length : j + 1;
  }
  if (c === '"') {
    let j = i + 1;
    while (j < s.length && s[j] !== '"') j = s[j] === '\\' ? j + 2 : s.startsWith('$(', j) ? closeParen(s, j + 1) : j + 1;
    return Math.min(s.length, j + 1);
  }
  if (c === '$' && s[i + 1] === '(') return closeParen(s, i + 1);
  return i + 1;
}

/** Index after the `)` matching the `(` at i. */
function closeParen(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j = s[j] === "'" || s[j] === '"' ? skipQuoted(s, j) : j + 1) {
    if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return j + 1;
    if (s[j] === "'" || s[j] === '"') continue;
  }
  return s.length;
}

// --- running -----------------------------------------------------------------

async function runList(script: string, p: Proc): Promise<number> {
  const toks = tokenize(script);
  let status = Number(p.vars['?'] ?? 0);
  let cur: Tok[] = [];
  let skip = false;
  const flush = async (sep: string) => {
    if (cur.length && !skip) {
      if (sep === '&') {
        void runPipeline(cur, { ...p, signal: p.jobSignal ?? p.signal }, true).catch(() => undefined);
        status = 0;
      } else status = await runPipeline(cur, p, false);
      p.vars['?'] = String(status);
    }
    skip = (sep === '&&' && status !== 0) || (sep === '||' && status === 0);
    cur = [];
  };
  for (const t of toks) {
    if ('op' in t && [';', '&', '&&', '||', '\n'].includes(t.op)) await flush(t.op);
    else cur.push(t);
  }
  await flush(';');
  return status;
}

async function runPipeline(toks: Tok[], p: Proc, background: boolean): Promise<number> {
  const stages: Tok[][] = [[]];
  for (const t of toks)
    if ('op' in t && t.op === '|') stages.push([]);
    else stages.at(-1)!.push(t);
  try {
    let input: string | undefined;
    let status = 0;
    for (const [i, stage] of stages.entries()) {
      const last = i === stages.length - 1;
      let captured = '';
      const sp: Proc = {
        ...p,
        vars: p.vars,
        ...(input !== undefined ? { readAll: async () => input!, tty: false } : {}),
        ...(last
          ? {}
          : {
              out: (t: string) => {
                captured += t;
              },
            }),
      };
      status = await runCommand(stage, sp);
      input = captured;
    }
    return status;
  } catch (e) {
    if (e instanceof Exit && background) return e.code;
    if (p.signal.aborted && !(e instanceof Exit)) return signalStatus(p.signal.reason);
    throw e;
  }
}

async function runCommand(toks: Tok[], p: Proc): Promise<number> {
  const argv: string[] = [];
  let out = p.out,
    err = p.err,
    readAll = p.readAll;
  const assigns: Record<string, string> = {};
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if ('word' in t) {
      const m = argv.length === 0 ? /^([A-Za-z_]\w*)=(.*)$/s.exec(t.word) : null;
      if (m) assigns[m[1]!] = await expand(m[2]!, p);
      else argv.push(await expand(t.word, p));
      continue;
    }
    const target = toks[i + 1];
    if (t.op === '2>&1') {
      err = out;
      continue;
    }
    if (t.op === '>&2') {
      out = err;
      continue;
    }
    if (!target || !('word' in target)) {
      p.err('sh: syntax error: unexpected newline\n');
      return 2;
    }
    i++;
    const path = resolvePath(cwd(p), await expand(target.word, p));
    if (t.op === '<') {
      const f = p.machine.fs.get(path);
      if (f?.kind !== 'file') {
        p.err(`sh: can't open '${target.word}': No such file or directory\n`);
        return 1;
      }
      readAll = async () => f.data.toString();
      continue;
    }
    if (path === '/dev/null') {
      if (t.op === '2>') err = () => {};
      else out = () => {};
      continue;
    }
    if (!writable(p, path)) {
      p.err(`sh: can't create ${target.word}: ${p.machine.fs.get(posix.dirname(path)) ? 'Permission denied' : 'nonexistent directory'}\n`);
      return 1;
    }
    const append = t.op === '>>';
    p.machine.fs.write(path, Buffer.alloc(0), { append, uid: p.uid, gid: p.uid });
    const sink = (text: string) => {
      p.machine.fs.write(path, Buffer.from(text), { append: true });
    };
    if (t.op === '2>') err = sink;
    else out = sink;
  }
  if (argv.length === 0) {
    Object.assign(p.vars, assigns);
    return 0;
  }
  return simple(argv, { ...p, vars: Object.keys(assigns).length ? { ...p.vars, ...assigns } : p.vars, out, err, readAll });
}

function writable(p: Proc, path: string): boolean {
  const dir = p.machine.fs.get(posix.dirname(path));
  const old = p.machine.fs.get(path);
  if (dir?.kind !== 'dir' || old?.kind === 'dir') return false;
  if (p.uid === 0) return true;
  if (old) return old.uid === p.uid || (old.mode & 0o002) !== 0;
  return dir.uid === p.uid || (dir.mode & 0o002) !== 0;
}

// --- expansion ---------------------------------------------------------------

async function expand(word: string, p: Proc): Promise<string> {
  let out = '';
  let i = 0;
  if (word === '~' || word.startsWith('~/')) {
    out = p.vars.HOME ?? '/';
    i = 1;
  }
  while (i < word.length) {
    const c = word[i]!;
    if (c === '\\') {
      out += word[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = skipQuoted(word, i);
      out += word.slice(i + 1, end - 1);
      i = end;
      continue;
    }
    if (c === '"') {
      const end = skipQuoted(word, i);
      out += await expandDollars(word.slice(i + 1, end - 1), p, true);
      i = end;
      continue;
    }
    if (c === '$') {
      const [text, end] = await dollar(word, i, p);
      out += text;
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

async function expandDollars(s: string, p: Proc, quoted: boolean): Promise<string> {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && quoted && /[$"\\`]/.test(s[i + 1] ?? '')) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    if (s[i] === '$') {
      const [text, end] = await dollar(s, i, p);
      out += text;
      i = end;
      continue;
    }
    out += s[i++];
  }
  return out;
}

/** Expands the `$…` at i; returns the text and the index after it. */
async function dollar(s: string, i: number, p: Proc): Promise<[string, number]> {
  if (s.startsWith('$((', i)) {
    const end = closeParen(s, i + 1);
    const expr = await expandDollars(s.slice(i + 3, end - 2), p, false);
    return [String(arith(expr, p.vars)), end];
  }
  if (s[i + 1] === '(') {
    const end = closeParen(s, i + 1);
    let captured = '';
    const status = await runScript(s.slice(i + 2, end - 1), {
      ...p,
      vars: { ...p.vars },
      out: (t) => {
        captured += t;
      },
    });
    p.vars['?'] = String(status);
    return [captured.replace(/\n+$/, ''), end];
  }
  const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*)|([?$#0-9]))/.exec(s.slice(i));
  if (!m) return ['$', i + 1];
  const name = m[1] ?? m[2] ?? m[3]!;
  const value = name === '$' ? '1' : name === '#' ? '0' : (p.vars[name] ?? '');
  return [value, i + m[0].length];
}

/** Integer arithmetic: + - * / % and parentheses, names read as variables. */
function arith(expr: string, vars: Record<string, string>): number {
  const toks = expr.match(/\d+|[A-Za-z_]\w*|[-+*/%()]/g) ?? [];
  let k = 0;
  const atom = (): number => {
    const t = toks[k++];
    if (t === '(') {
      const v = sum();
      k++;
      return v;
    }
    if (t === '-') return -atom();
    if (t === undefined) return 0;
    return /^\d/.test(t) ? Number(t) : Number(vars[t] ?? 0) || 0;
  };
  const product = (): number => {
    let v = atom();
    while (toks[k] === '*' || toks[k] === '/' || toks[k] === '%') {
      const op = toks[k++],
        r = atom();
      v = op === '*' ? v * r : r === 0 ? 0 : op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[k] === '+' || toks[k] === '-') v = toks[k++] === '+' ? v + product() : v - product();
    return v;
  };
  return sum();
}

// --- commands ----------------------------------------------------------------

type Command = (args: string[], p: Proc) => number | Promise<number>;

function sleep(seconds: number, p: Proc): Promise<number> {
  return new Promise((resolve) => {
    if (p.signal.aborted) {
      resolve(signalStatus(p.signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      p.signal.removeEventListener('abort', onAbort);
      resolve(0);
    }, seconds * 1000);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      resolve(signalStatus(p.signal.reason));
    };
    p.signal.addEventListener('abort', onAbort, { once: true });
  });
}

function userName(p: Proc): string {
  return p.user;
}

const COMMANDS: Record<string, Command> = {
  true: () => 0,
  false: () => 1,
  ':': () => 0,
  exit: (a, p) => {
    throw new Exit(a[0] === undefined ? Number(p.vars['?'] ?? 0) : Number(a[0]) & 255);
  },
  echo: (a, p) => {
    const n = a[0] === '-n';
    p.out(`${(n ? a.slice(1) : a).join(' ')}${n ? '' : '\n'}`);
    return 0;
  },
  printf: (a, p) => {
    let i = 1;
    p.out((a[0] ?? '').replace(/%[sd]/g, () => a[i++] ?? '').replace(/\\n/g, '\n'));
    return 0;
  },
  cat: async (a, p) => {
    if (a.length === 0) {
      p.out(await p.readAll());
      return 0;
    }
    let status = 0;
    for (const f of a) {
      const n = p.machine.fs.get(resolvePath(cwd(p), f));
      if (n?.kind === 'file') p.out(n.data.toString());
      else {
        p.err(`cat: can't open '${f}': No such file or directory\n`);
        status = 1;
      }
    }
    return status;
  },
  stty: (a, p) => {
    const size = p.tty ? p.machine.ttySize() : undefined;
    if (!size) {
      p.err('stty: standard input: Not a tty\n');
      return 1;
    }
    if (a[0] === 'size') p.out(`${size.rows} ${size.cols}\n`);
    return 0;
  },
  hostname: (_a, p) => {
    p.out(`${p.machine.hostname}\n`);
    return 0;
  },
  whoami: (_a, p) => {
    p.out(`${userName(p)}\n`);
    return 0;
  },
  id: (a, p) => {
    const flags = a.join('');
    if (flags.includes('u') && flags.includes('n')) p.out(`${userName(p)}\n`);
    else if (flags.includes('u') || flags.includes('g')) p.out(`${p.uid}\n`);
    else p.out(`uid=${p.uid}(${userName(p)}) gid=${p.uid}(${userName(p)})\n`);
    return 0;
  },
  pwd: (_a, p) => {
    p.out(`${cwd(p)}\n`);
    return 0;
  },
  cd: (a, p) => {
    const dir = resolvePath(cwd(p), a[0] ?? p.vars.HOME ?? '/');
    if (p.machine.fs.get(dir)?.kind !== 'dir') {
      p.err(`sh: cd: can't cd to ${a[0]}: No such file or directory\n`);
      return 2;
    }
    p.vars.PWD = dir;
    return 0;
  },
  export: (a, p) => {
    for (const kv of a) {
      const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(kv);
      if (m) p.vars[m[1]!] = m[2]!;
    }
    return 0;
  },
  env: (_a, p) => {
    for (const [k, v] of Object.entries(p.vars)) if (/^[A-Za-z_]/.test(k)) p.out(`${k}=${v}\n`);
    return 0;
  },
  sleep: (a, p) => sleep(Number(a[0]) || 0, p),
  ps: (_a, p) => {
    p.out('PID   USER     TIME  COMMAND\n');
    for (const [pid, [user, cmd]] of [...p.machine.procs.entries()].sort(([x], [y]) => x - y)) {
      p.out(`${String(pid).padStart(5)} ${user.padEnd(8).slice(0, 8)}  0:00 ${cmd}\n`);
    }
    return 0;
  },
  ls: (a, p) => {
    const dir = resolvePath(cwd(p), a.find((x) => !x.startsWith('-')) ?? '.');
    const n = p.machine.fs.get(dir);
    if (!n) {
      p.err(`ls: ${dir}: No such file or directory\n`);
      return 1;
    }
    p.out(
      n.kind === 'dir'
        ? p.machine.fs
            .list(dir)
            .map((x) => `${x}\n`)
            .join('')
        : `${dir}\n`,
    );
    return 0;
  },
  mkdir: (a, p) => {
    for (const d of a.filter((x) => !x.startsWith('-'))) {
      const path = resolvePath(cwd(p), d);
      if (!a.includes('-p') && p.machine.fs.get(posix.dirname(path))?.kind !== 'dir') {
        p.err(`mkdir: can't create directory '${d}': No such file or directory\n`);
        return 1;
      }
      p.machine.fs.mkdirp(path, { uid: p.uid, gid: p.uid });
    }
    return 0;
  },
  rm: (a, p) => {
    let status = 0;
    const force = a.some((x) => /^-\w*f/.test(x));
    for (const f of a.filter((x) => !x.startsWith('-'))) {
      if (!p.machine.fs.remove(resolvePath(cwd(p), f)) && !force) {
        p.err(`rm: can't remove '${f}': No such file or directory\n`);
        status = 1;
      }
    }
    return status;
  },
  dd: (a, p) => {
    const o = Object.fromEntries(a.map((kv) => kv.split('=') as [string, string]));
    const unit = (v = '512') => Number.parseInt(v, 10) * ({ k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[v.slice(-1)] ?? 1);
    if (o.if !== '/dev/zero' || !o.of) {
      p.err('dd: only if=/dev/zero of=FILE is supported here\n');
      return 1;
    }
    const path = resolvePath(cwd(p), o.of);
    if (!writable(p, path)) {
      p.err(`dd: can't open '${o.of}': Permission denied\n`);
      return 1;
    }
    p.machine.fs.write(path, Buffer.alloc(unit(o.bs) * (Number(o.count) || 0)), { uid: p.uid, gid: p.uid });
    p.err(`${o.count}+0 records in\n${o.count}+0 records out\n`);
    return 0;
  },
  touch: (a, p) => {
    for (const f of a) {
      const path = resolvePath(cwd(p), f);
      if (!p.machine.fs.get(path)) p.machine.fs.write(path, Buffer.alloc(0), { uid: p.uid, gid: p.uid });
    }
    return 0;
  },
};

async function simple(argv: string[], p: Proc): Promise<number> {
  const [name = '', ...args] = argv;
  p.machine.cpuNs += 50_000;
  if (name === 'sh' || name === '/bin/sh') return args[0] === '-c' ? runScript(args[1] ?? '', { ...p, vars: { ...p.vars } }) : 0;
  const cmd = Object.hasOwn(COMMANDS, posix.basename(name)) ? COMMANDS[posix.basename(name)]! : undefined;
  if (!cmd) {
    p.err(`sh: ${name}: not found\n`);
    return 127;
  }
  const pid = p.machine.nextPid();
  p.machine.procs.set(pid, [p.user, argv.join(' ')]);
  try {
    return await cmd(args, p);
  } finally {
    p.machine.procs.delete(pid);
  }
}
