/**
 * A tiny POSIX-shell look-alike for fake instances: enough of `sh` for the
 * RuntimeDriver case suite and the unit tests (the commands a trainee's first
 * minute uses), nothing more. It is NOT a shell: no loops, no functions, no
 * globbing, no field splitting of expansions.
 *
 * Understood: `;` `&&` `||` `&` `|`, redirections `>` `>>` `<` `2>` `2>&1`
 * `>&2`, quotes and backslashes, `~`, `$VAR` `${VAR}` `$?` `$((arith))`
 * `$(command)`, `NAME=value` (alone or before a command), and the commands in
 * fake-shell-commands.ts. Anything else is `sh: <name>: not found` with status 127,
 * as busybox says it.
 *
 * Contract: a command killed by a signal ends with status 128 + its number;
 * `exit n` ends the script (or the interactive shell) with n.
 *
 * This file runs lists, pipelines and redirections; the syntax, expansion,
 * commands and the process model are the fake-shell-*.ts files beside it.
 */
import { posix } from 'node:path';
import { resolvePath } from './fake-fs.ts';
import { COMMANDS } from './fake-shell-commands.ts';
import { expand } from './fake-shell-expand.ts';
import { Exit, cwd, signalStatus, writable, type Proc } from './fake-shell-proc.ts';
import { tokenize, type Tok } from './fake-shell-syntax.ts';

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
      if (m) assigns[m[1]!] = await expand(m[2]!, p, runScript);
      else argv.push(await expand(t.word, p, runScript));
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
    const path = resolvePath(cwd(p), await expand(target.word, p, runScript));
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
