/**
 * The interactive shell on a fake instance's TTY: a line discipline (echo,
 * CR to newline, backspace, Ctrl-C interrupts, Ctrl-D on an empty line ends
 * the shell) in front of fake-shell.ts, with a busybox-style prompt
 * `user@host:~$ ` (`# ` for root).
 *
 * Contract: run() resolves with the shell's exit status (`exit n`, or 0 on
 * Ctrl-D); typed lines queue while a command runs, as on a real TTY.
 */
import { runLine } from './fake-shell.ts';
import { signalStatus, type Proc } from './fake-shell-proc.ts';

export class TtyShell {
  readonly #p: Proc;
  readonly #write: (s: string) => void;
  readonly #lines: string[] = [];
  #cur = '';
  #eof = false;
  #wake: (() => void) | undefined;
  #fg: AbortController | undefined;
  #waiting = false;

  constructor(p: Proc, write: (s: string) => void) {
    this.#p = p;
    this.#write = write;
  }

  /** Bytes typed on the TTY. */
  input(b: Buffer): void {
    for (const ch of b.toString('utf8')) {
      if (ch === '\r' || ch === '\n') {
        this.#write('\n');
        this.#lines.push(this.#cur);
        this.#cur = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.#cur) {
          this.#cur = this.#cur.slice(0, -1);
          this.#write('\b \b');
        }
      } else if (ch === '\x03') {
        this.#write('^C\n');
        this.#cur = '';
        if (this.#fg) this.#fg.abort('SIGINT');
        else this.#lines.push('');
      } else if (ch === '\x04') {
        if (!this.#cur) this.#eof = true;
      } else if (ch >= ' ' || ch === '\t') {
        this.#cur += ch;
        this.#write(ch);
      }
    }
    this.#wake?.();
  }

  /** After a TTY size change: a shell waiting at its prompt draws it again (as busybox does on SIGWINCH). */
  redraw(): void {
    if (this.#waiting) this.#write(`\r${this.#prompt()}${this.#cur}`);
  }

  #prompt(): string {
    const { user, uid, vars, machine } = this.#p;
    const cwd = vars.PWD || '/';
    const home = vars.HOME;
    const where = home && home !== '/' && (cwd === home || cwd.startsWith(`${home}/`)) ? `~${cwd.slice(home.length)}` : cwd;
    return `${user}@${machine.hostname}:${where}${uid === 0 ? '#' : '$'} `;
  }

  async run(): Promise<number> {
    const p = this.#p;
    for (;;) {
      this.#write(this.#prompt());
      this.#waiting = true;
      while (this.#lines.length === 0 && !this.#eof && !p.signal.aborted)
        await new Promise<void>((r) => {
          const wake = () => {
            p.signal.removeEventListener('abort', wake);
            r();
          };
          this.#wake = wake;
          p.signal.addEventListener('abort', wake, { once: true });
        });
      this.#wake = undefined;
      this.#waiting = false;
      if (p.signal.aborted) return signalStatus(p.signal.reason);
      const line = this.#lines.shift();
      if (line === undefined) {
        this.#write('\n');
        return 0;
      } // Ctrl-D
      if (!line.trim()) continue;
      this.#fg = new AbortController();
      const { status, exited } = await runLine(line, { ...p, signal: AbortSignal.any([p.signal, this.#fg.signal]), jobSignal: p.signal });
      this.#fg = undefined;
      p.vars['?'] = String(status);
      if (exited) return status;
    }
  }
}
