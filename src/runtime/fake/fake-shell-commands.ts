/**
 * The commands the fake shell knows (a trainee's first minute, and what the
 * RuntimeDriver case suite runs); anything else is "not found".
 */
import { posix } from 'node:path';
import { resolvePath } from './fake-fs.ts';
import { Exit, cwd, signalStatus, writable, type Proc } from './fake-shell-proc.ts';

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

export const COMMANDS: Record<string, Command> = {
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
