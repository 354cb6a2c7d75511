/**
 * What a front door (SSH today: src/sshd/ssh-terminal.ts) hands the session
 * engine: a byte stream both ways with back-pressure in each direction
 * (write() returning false / onceDrain, pauseInput / resumeInput), a size that
 * can change, and a close signal. The engine never knows which door a trainee used.
 */
export interface TtySize {
  readonly cols: number;
  readonly rows: number;
}

export interface Terminal {
  /** TERM as the client reported it ("xterm-256color", …). */
  readonly term: string;
  readonly remoteAddress: string;
  size(): TtySize;
  /** Queues output; returns false when the client's buffer is full (wait for onDrain before writing more). */
  write(data: string | Uint8Array): boolean;
  /** Calls fn once when queued output has drained. */
  onceDrain(fn: () => void): void;
  /** Subscribes to raw input bytes; returns the unsubscribe function. */
  onData(fn: (chunk: Buffer) => void): () => void;
  /**
   * Input back-pressure: stop delivering input until resumeInput() (the client is then held back by its
   * transport's flow control, so nothing piles up in ISLET's memory). Pause and resume are not counted.
   */
  pauseInput(): void;
  resumeInput(): void;
  onResize(fn: (size: TtySize) => void): () => void;
  /** Called once when the client goes away (cleanly or not). */
  onClose(fn: () => void): () => void;
  readonly closed: boolean;
  /** Ends the client's session with an exit status. */
  close(exitCode?: number): void;
  /**
   * Optional, for doors that can show it beside the terminal (the web page's help bar): who watches the
   * shell this terminal is attached to, asks to type in it, or types (src/sessions/shell-taps.ts).
   * Every change sends the whole state; no watchers and no ask: nothing to show.
   */
  watchStatus?(s: WatchStatus): void;
  /** Optional: the trainee's answer given beside the terminal (a button) rather than a key; returns the unsubscribe function. */
  onWatchAnswer?(fn: (a: WatchAnswer) => void): () => void;
}

/** The instructor console's hold on a trainee's shell, as the trainee is shown it. */
export interface WatchStatus {
  readonly watchers: readonly string[];
  /** The instructor waiting for the trainee's yes to type. */
  readonly asking?: string;
  /** The instructor the trainee allowed to type. */
  readonly typing?: string;
}

/** `allow` / `refuse` answer an ask to type (as y / n do); `end` ends every watch of the shell (as Ctrl-] does). */
export type WatchAnswer = 'allow' | 'refuse' | 'end';

/** Session variables of the original ISLET that configs may reference as ${NAME} (docs/legacy-conf.md). */
export interface SessionVars {
  readonly [name: string]: string;
}
