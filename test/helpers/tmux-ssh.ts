/**
 * Drives the real OpenSSH client inside tmux, the way a trainee types:
 * keys go in with send-keys, the screen (and scrollback) comes back with
 * capture-pane. Every session is killed by close(), and by closeAll() in
 * an after() hook.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const run = promisify(execFile);
const open = new Set<TmuxSsh>();

export interface SshTarget {
  readonly port: number;
  readonly user?: string;
  readonly host?: string;
  readonly cols?: number;
  readonly rows?: number;
  readonly extraArgs?: string[];
}

export class TmuxSsh {
  readonly name: string;
  #cursor = 0;

  private constructor(name: string) {
    this.name = name;
  }

  /** Starts `ssh -tt user@127.0.0.1 -p port` in a detached tmux session of the given size. */
  static async connect(t: SshTarget): Promise<TmuxSsh> {
    // OpenSSH uses the first value given for an option, so the caller's options go first.
    const ssh = [
      'ssh',
      '-tt',
      ...(t.extraArgs ?? []),
      '-p',
      String(t.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      '-o',
      'NumberOfPasswordPrompts=3',
      `${t.user ?? 'demo'}@${t.host ?? '127.0.0.1'}`,
    ];
    return TmuxSsh.spawn(ssh, t);
  }

  /** Starts any terminal client (`argv`: PuTTY's plink, Dropbear's dbclient …) in a detached tmux session of the given size. */
  static async spawn(argv: string[], size: { readonly cols?: number; readonly rows?: number } = {}): Promise<TmuxSsh> {
    const name = `islet-test-${randomBytes(4).toString('hex')}`;
    // Test files share the default tmux server, which exits when its last session is killed; a new-session that meets
    // that exit fails with "server exited unexpectedly" (seen once in CI). The session was not made: start it again.
    for (let attempt = 1; ; attempt++) {
      try {
        await newSession(name, size, argv);
        break;
      } catch (err) {
        if (attempt >= 3 || !String(err).includes('server exited unexpectedly')) throw err;
      }
    }
    const s = new TmuxSsh(name);
    open.add(s);
    return s;
  }

  /** The whole scrollback plus the visible screen, lines joined. */
  async history(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-J', '-S', '-', '-t', this.name]);
    return stdout;
  }

  /** The visible screen only. */
  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-J', '-t', this.name]);
    return stdout;
  }

  /**
   * Waits until `pattern` appears in output that came after the previous
   * waitFor's match; returns the matched text. Fails with the screen shown.
   */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.history();
      if (last.length < this.#cursor) this.#cursor = 0;
      const m = re.exec(last.slice(this.#cursor));
      if (m) {
        this.#cursor += m.index + m[0].length;
        return m;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${re}; screen:\n${(await this.screen().catch(() => last)).trimEnd()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Types text literally (no Enter). */
  async type(text: string): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }
  /** Types a line and presses Enter. */
  async line(text: string): Promise<void> {
    await this.type(text);
    await this.keys('Enter');
  }
  /** Sends tmux key names: Enter, C-c, C-d, BSpace, Escape, Up … */
  async keys(...k: string[]): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, ...k]);
  }
  async resize(cols: number, rows: number): Promise<void> {
    await run('tmux', ['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }
  /** True once the ssh client has exited. */
  async exited(): Promise<boolean> {
    const { stdout } = await run('tmux', ['display-message', '-p', '-t', this.name, '#{pane_dead}']).catch(() => ({ stdout: '1' }));
    return stdout.trim() === '1';
  }
  async waitExit(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.exited())) {
      if (Date.now() > deadline) throw new Error(`ssh did not exit; screen:\n${await this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Kills the client abruptly (as a closed laptop lid or a killed terminal would). */
  async close(): Promise<void> {
    open.delete(this);
    await run('tmux', ['kill-session', '-t', this.name]).catch(() => undefined);
  }
  static async closeAll(): Promise<void> {
    await Promise.all([...open].map((s) => s.close()));
  }
}

/** One detached tmux session of the given size running argv, with its pane kept after the client exits. */
function newSession(name: string, size: { readonly cols?: number; readonly rows?: number }, argv: string[]): Promise<unknown> {
  return run('tmux', [
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    String(size.cols ?? 120),
    '-y',
    String(size.rows ?? 40),
    ...argv,
    ';',
    'set-option',
    '-t',
    name,
    'remain-on-exit',
    'on',
    ';',
    'set-option',
    '-t',
    name,
    'history-limit',
    '20000',
  ]);
}
