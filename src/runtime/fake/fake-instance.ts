/**
 * One instance of the fake engine: its filesystem, its main process on a
 * shared TTY, its attachments and executions. The create body comes from the
 * Docker driver's own pure `createOptions`, so hostname, user, workdir, TERM,
 * env and the refusal of unsafe mounts are decided exactly as for Docker.
 *
 * Simplifications (time is not simulated): `stop` kills at once (status 137,
 * as a shell that ignores SIGTERM ends after the grace period); every command
 * costs 50 µs of CPU.
 */
import { PassThrough, Writable } from 'node:stream';
import type { DockerCreateOptions } from '../docker/create-options.ts';
import type { Attachment, ExecRequest, Execution, InstanceInfo, InstanceState, TtySize } from '../runtime-driver.ts';
import { FakeFs } from './fake-fs.ts';
import { seedFs, type FakeImage } from './fake-image.ts';
import { runArgv } from './fake-shell.ts';
import { signalStatus, type Proc, type ShellMachine } from './fake-shell-proc.ts';
import { TtyShell } from './fake-tty-shell.ts';

interface Run {
  readonly kill: AbortController;
  readonly shell: TtyShell | undefined;
  readonly done: Promise<void>;
}
interface Att {
  readonly output: PassThrough;
  end(): void;
}

/** LF → CRLF, as a TTY in its default mode (onlcr) writes it. */
const onlcr = (s: string): string => s.replace(/\r?\n/g, '\r\n');

export class FakeInstance implements ShellMachine {
  readonly id: string;
  name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt = new Date();
  readonly opts: DockerCreateOptions;
  readonly fs = new FakeFs();
  readonly hostname: string;
  readonly procs = new Map<number, readonly [string, string]>();
  readonly network: string | undefined;
  state: InstanceState = 'created';
  exitCode: number | undefined;
  startedAt: Date | undefined;
  cpuNs = 0;
  /** Time its processes waited for a CPU (cpuWaited), as a test sets it. */
  waitedNs = 0;
  /** The CPU weight set during this run (setCpuWeight), or undefined while the configured one holds; a start clears it. */
  cpuWeight: number | undefined;
  /** Memory in use, as `usage()` reports it (a test or bench may set it). */
  memoryBytes = 4 * 1024 * 1024;
  /** Called when the main process ends (the engine removes auto-remove instances). */
  onExit: () => void = () => {};
  readonly #image: FakeImage;
  #tty: TtySize;
  #pid = 1;
  #run: Run | undefined;
  readonly #atts = new Set<Att>();

  constructor(id: string, opts: DockerCreateOptions, image: FakeImage, tty: TtySize | undefined) {
    this.id = id;
    this.name = opts.name;
    this.opts = opts;
    this.image = String(opts.Image);
    this.labels = { ...opts.Labels };
    this.hostname = String(opts.Hostname);
    this.network = opts.HostConfig?.NetworkMode;
    this.#image = image;
    this.#tty = tty ?? { cols: 80, rows: 24 };
    seedFs(this.fs, image);
    if (opts.WorkingDir) this.fs.mkdirp(opts.WorkingDir);
    this.fs.written = 0;
  }

  ttySize(): TtySize {
    return this.#tty;
  }
  nextPid(): number {
    return ++this.#pid;
  }
  uidOf(user: string): number | undefined {
    if (/^\d+$/.test(user)) return Number(user);
    return this.#image.users[user];
  }

  /** The user processes run as (the environment's, else the image's), or undefined when the image lacks it. */
  #identity(spec?: string): { user: string; uid: number; home: string } | undefined {
    const name = (spec ?? this.opts.User ?? this.#image.user).split(':')[0]!;
    const uid = this.uidOf(name);
    if (uid === undefined) return undefined;
    const user = /^\d+$/.test(name) ? (Object.entries(this.#image.users).find(([, u]) => u === uid)?.[0] ?? name) : name;
    return { user, uid, home: uid === 0 ? '/root' : `/home/${user}` };
  }

  /** Why the main process cannot start, as the engine words it (undefined: it can). */
  cannotStart(): string | undefined {
    return this.#identity() ? undefined : `unable to find user ${this.opts.User}: no matching entries in passwd file`;
  }

  info(): InstanceInfo {
    return {
      id: this.id,
      name: this.name,
      image: this.image,
      state: this.state,
      labels: this.labels,
      createdAt: this.createdAt,
      ...(this.state === 'exited' || this.state === 'dead' ? { exitCode: this.exitCode ?? 0 } : {}),
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
    };
  }

  #proc(
    signal: AbortSignal,
    out: (s: string) => void,
    err: (s: string) => void,
    readAll: () => Promise<string>,
    tty: boolean,
    req: Omit<ExecRequest, 'cmd'> = {},
  ): Proc {
    const who = this.#identity(req.user)!;
    const vars: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: this.hostname,
      HOME: who.home,
      TERM: 'xterm',
    };
    for (const kv of this.opts.Env ?? []) {
      const i = kv.indexOf('=');
      vars[kv.slice(0, i)] = kv.slice(i + 1);
    }
    Object.assign(vars, req.env ?? {});
    vars.PWD = req.workdir ?? this.opts.WorkingDir ?? this.#image.workdir ?? '/';
    return { machine: this, vars, user: who.user, uid: who.uid, signal, out, err, readAll, tty };
  }

  #ttyWrite = (s: string): void => {
    const data = onlcr(s);
    for (const a of this.#atts) a.output.write(data);
  };

  /** Starts the main process; resolves at once (it runs in the background). */
  start(exitOnStart?: number): void {
    if (this.state === 'running') return;
    const kill = new AbortController();
    const argv = (this.opts.Cmd as string[] | undefined) ?? [...this.#image.cmd];
    const p = this.#proc(kill.signal, this.#ttyWrite, this.#ttyWrite, async () => '', true);
    const interactive = /(^|\/)(ba)?sh$/.test(argv[0] ?? '') && argv[1] !== '-c';
    const shell = interactive ? new TtyShell(p, this.#ttyWrite) : undefined;
    this.state = 'running';
    this.startedAt = new Date();
    this.cpuWeight = undefined;
    this.exitCode = undefined;
    this.cpuNs += 1_000_000;
    this.procs.set(1, [p.user, argv.join(' ')]);
    const main = exitOnStart !== undefined ? Promise.resolve(exitOnStart) : shell ? shell.run() : runArgv(argv, p);
    const run: Run = {
      kill,
      shell,
      done: main
        .catch(() => 1)
        .then((code) => {
          if (this.#run === run) this.#exited(kill.signal.aborted ? signalStatus(kill.signal.reason) : code);
        }),
    };
    this.#run = run;
  }

  #exited(code: number): void {
    const run = this.#run;
    this.#run = undefined;
    run?.kill.abort('SIGKILL'); // background jobs and executions die with the main process
    this.procs.clear();
    this.state = 'exited';
    this.exitCode = code;
    for (const a of [...this.#atts]) a.end();
    this.onExit();
  }

  /** Ends the main process as if killed by `signal` (stop, remove) or makes it exit with `code`. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', code?: number): Promise<void> {
    const run = this.#run;
    if (!run) return;
    if (code === undefined) run.kill.abort(signal);
    else this.#exited(code);
    await run.done;
  }

  resize(size: TtySize): void {
    const changed = size.cols !== this.#tty.cols || size.rows !== this.#tty.rows;
    this.#tty = size;
    if (changed) this.#run?.shell?.redraw();
  }

  attach(): Attachment {
    const output = new PassThrough();
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => {
      resolveEnded = r;
    });
    const input = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (this.#atts.has(att)) this.#run?.shell?.input(Buffer.from(chunk));
        cb();
      },
    });
    input.on('error', () => undefined);
    const att: Att = {
      output,
      end: () => {
        if (!this.#atts.delete(att)) return;
        output.end();
        input.destroy();
        resolveEnded();
      },
    };
    this.#atts.add(att);
    return { input, output, ended, detach: () => att.end() };
  }

  /** Ends every attachment (the instance is gone). */
  destroy(): void {
    this.#run?.kill.abort('SIGKILL');
    for (const a of [...this.#atts]) a.end();
  }

  exec(req: ExecRequest): Execution {
    const ac = new AbortController();
    const signal = AbortSignal.any([ac.signal, this.#run!.kill.signal]);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const tty = req.tty !== undefined;
    const out = (s: string) => {
      if (!stdout.writableEnded) stdout.write(tty ? onlcr(s) : s);
    };
    const err = tty
      ? out
      : (s: string) => {
          if (!stderr.writableEnded) stderr.write(s);
        };
    const input = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      stdin.on('data', (c: Buffer) => chunks.push(c));
      stdin.on('end', () => resolve(Buffer.concat(chunks).toString()));
      stdin.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    // As runc: a user the image lacks fails the process (status 126, the reason on the output), not the call.
    const known = this.#identity(req.user) !== undefined;
    if (!known) out(`unable to find user ${req.user}: no matching entries in passwd file\n`);
    const run = known
      ? runArgv(
          req.cmd,
          this.#proc(signal, out, err, () => input, tty, req),
        )
      : Promise.resolve(126);
    const exited = run
      .catch(() => 126)
      .then((code) => {
        stdout.end();
        stderr.end();
        return code;
      });
    if (tty) stderr.end();
    const close = () => {
      ac.abort('SIGPIPE');
      stdin.destroy();
    };
    return {
      stdin,
      stdout,
      stderr,
      exited,
      resize: async () => undefined,
      signal: async (sig) => {
        ac.abort(sig);
      },
      close,
    } as Execution;
  }

  /** True when a process runs (exec needs one). */
  get running(): boolean {
    return this.#run !== undefined;
  }
}
