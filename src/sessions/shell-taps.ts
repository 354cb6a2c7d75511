/**
 * Live trainee shells as the instructor console sees them: watch one read-only
 * (the current screen first, from the terminal model, then live output), ask to
 * type in it (the trainee must press y), and put notices on its screen
 * (broadcasts, "ada is watching"). Door-neutral: the trainee may be on SSH or in
 * a browser, the watcher anywhere (src/console/watch-routes.ts is one).
 *
 * Contracts:
 * - A watcher never touches the trainee's terminal: it never resizes it (it is
 *   told the size) and nothing it sends reaches the shell unless the trainee
 *   granted typing; what it sends then is stripped of terminal replies
 *   (terminal-replies.ts), so a watcher's terminal never answers DA, DSR or
 *   DECRQSS for the trainee.
 * - The trainee always knows: a notice when watching or typing starts and ends,
 *   naming the instructor; Ctrl-] (while someone watches) ends every watch of the
 *   shell; typing needs the trainee's y (n refuses; an unanswered ask expires).
 *   A door that can show it beside the terminal (Terminal.watchStatus: the web
 *   page's help bar) is told the whole state at every change, and its buttons
 *   (Terminal.onWatchAnswer) answer exactly as those keys do.
 * - Input is attributed: what an instructor types is reported through `onInput`
 *   with the instructor's name (byte counts gathered per second, and at the end of
 *   typing), never as the trainee's.
 * - The keystroke path costs two checks while nobody watches (`output`, `fromTrainee`).
 */
import type { Terminal, TtySize, WatchAnswer, WatchStatus } from '../core/terminal.ts';
import type { ScreenModels } from '../terminal-model/screen-models.ts';
import { insertAbove, leavesAlternate, plainNotice, statusLine } from './notice-text.ts';
import { stripTerminalReplies } from './terminal-replies.ts';
import type { InputEvent, ShellInfo, TapHandle, TapViewer, TypingState, Watch, WatchEnd, WatchEvents } from './shell-tap-types.ts';

/** Ends every watch of the shell when the trainee presses it (only while someone watches). */
export const END_KEY = 0x1d; // Ctrl-]
export const END_KEY_NAME = 'Ctrl-]';
/** An ask to type not answered within this is withdrawn. */
export const ASK_TIMEOUT_MS = 60_000;
/** A status line over a full-screen program is repaired (the program asked to redraw) after this. */
const STATUS_MS = 5_000;

interface Observer {
  readonly instructor: string;
  readonly events: WatchEvents;
  /** Output that arrived while the screen was being read. */
  pending: Buffer[] | undefined;
}

/** Instructor input is reported (onInput) gathered over this, so a log line is not written per key. */
const INPUT_REPORT_MS = 1000;

interface Tap {
  readonly containerId: string;
  readonly account: string;
  readonly environment: string;
  readonly viewers: TapViewer[];
  readonly observers: Set<Observer>;
  size: TtySize;
  asking: { obs: Observer; timer: NodeJS.Timeout } | undefined;
  typing: Observer | undefined;
  /** Notices shown only as a status line so far, said again when the alternate screen ends. */
  deferred: string[];
  redrawTimer: NodeJS.Timeout | undefined;
}

export interface ShellTapsOptions {
  readonly screens: ScreenModels;
  /** Asks the program in the container to redraw (a size nudge). */
  readonly redraw: (containerId: string, size: TtySize) => void;
  /** Called for every batch an instructor types (audit, recordings). */
  readonly onInput?: (e: InputEvent) => void;
  /** How long a status line stays over a full-screen program before the redraw (tests shorten it). */
  readonly statusMs?: number;
}

export class ShellTaps {
  readonly #o: ShellTapsOptions;
  readonly #taps = new Map<string, Tap>();

  constructor(o: ShellTapsOptions) {
    this.#o = o;
  }

  /** The live shells (attached by at least one trainee terminal). */
  list(): ShellInfo[] {
    return [...this.#taps.values()].map((t) => ({
      account: t.account,
      environment: t.environment,
      containerId: t.containerId,
      terminals: t.viewers.length,
      watchers: [...t.observers].map((o) => o.instructor),
      ...(t.typing ? { typing: t.typing.instructor } : {}),
      size: t.size,
    }));
  }

  #find(account: string, environment: string): Tap | undefined {
    for (const t of this.#taps.values()) if (t.account === account && t.environment === environment) return t;
    return undefined;
  }

  /** Joins a trainee attachment to its container's tap (EnvironmentRunner's pipe). */
  join(containerId: string, who: { account: string; environment: string }, v: TapViewer, size: TtySize): TapHandle {
    let tap = this.#taps.get(containerId);
    if (!tap) {
      tap = {
        containerId,
        account: who.account,
        environment: who.environment,
        viewers: [],
        observers: new Set(),
        size,
        asking: undefined,
        typing: undefined,
        deferred: [],
        redrawTimer: undefined,
      };
      this.#taps.set(containerId, tap);
    }
    tap.viewers.push(v);
    tap.size = size;
    const t = tap;
    let left = false;
    const offAnswer = v.term.onWatchAnswer?.((a) => this.#button(t, a));
    if (t.observers.size || t.asking) v.term.watchStatus?.(status(t));
    return {
      output: (b) => {
        if (left || t.viewers[0] !== v) return; // every attachment carries the same output: the oldest speaks
        if (t.observers.size) for (const o of t.observers) this.#send(o, b);
        if (t.deferred.length && leavesAlternate(b)) setImmediate(() => this.#sayDeferred(t));
      },
      fromTrainee: (b) => (t.observers.size === 0 && !t.asking ? false : this.#answer(t, b)),
      resized: (s) => {
        if (left) return;
        t.size = s;
        for (const o of t.observers) o.events.size(s);
      },
      leave: () => {
        if (left) return;
        left = true;
        offAnswer?.();
        t.viewers.splice(t.viewers.indexOf(v), 1);
        // Back in the menu (or gone): the help bar has nothing to show any more.
        if ((t.observers.size || t.asking) && !v.term.closed) v.term.watchStatus?.({ watchers: [] });
        if (t.viewers.length > 0) return;
        // The trainee left the shell (it keeps running): nothing to watch until they come back.
        this.#taps.delete(containerId);
        this.#endAll(t, 'shell_left');
        clearTimeout(t.redrawTimer);
      },
    };
  }

  #send(o: Observer, b: Buffer): void {
    if (o.pending) o.pending.push(b);
    else o.events.output(b);
  }

  /** The trainee's key while someone watches or asks: y/n answers an ask, Ctrl-] ends every watch. */
  #answer(t: Tap, b: Buffer): boolean {
    if (t.asking && b.length === 1) {
      const c = b[0]!;
      if (c === 0x79 || c === 0x59) {
        this.#decide(t, true);
        return true;
      }
      if (c === 0x6e || c === 0x4e) {
        this.#decide(t, false);
        return true;
      }
    }
    if (b.includes(END_KEY) && (t.observers.size || t.asking)) {
      this.#endByTrainee(t);
      const rest = Buffer.from(b.filter((c) => c !== END_KEY));
      if (rest.length) t.viewers[0]?.input(rest);
      return true;
    }
    return false;
  }

  /** A help-bar button (Terminal.onWatchAnswer): the same effect as the trainee's y, n or Ctrl-]; stale ones do nothing. */
  #button(t: Tap, a: WatchAnswer): void {
    if (this.#taps.get(t.containerId) !== t) return;
    if (a === 'end') {
      if (t.observers.size || t.asking) this.#endByTrainee(t);
    } else if (t.asking) this.#decide(t, a === 'allow');
  }

  #endByTrainee(t: Tap): void {
    const names = [...new Set([...t.observers].map((o) => o.instructor))].join(', ');
    this.#endAll(t, 'trainee_ended');
    void this.notice(t.containerId, `You ended watching by ${names}.`);
  }

  /** Tells every trainee terminal that can show it (the web page's help bar) who watches, asks or types now. */
  #status(t: Tap): void {
    const s = status(t);
    for (const v of t.viewers) if (!v.term.closed) v.term.watchStatus?.(s);
  }

  #decide(t: Tap, yes: boolean): void {
    const a = t.asking;
    if (!a) return;
    clearTimeout(a.timer);
    t.asking = undefined;
    if (yes && t.observers.has(a.obs)) {
      t.typing = a.obs;
      void this.notice(t.containerId, `${a.obs.instructor} (instructor) is typing in your terminal; press ${END_KEY_NAME} to end it.`);
      a.obs.events.typing('granted');
    } else {
      void this.notice(t.containerId, `You refused ${a.obs.instructor} typing in your terminal.`);
      a.obs.events.typing('refused');
    }
    this.#status(t);
  }

  #endAll(t: Tap, why: WatchEnd): void {
    if (t.asking) clearTimeout(t.asking.timer);
    t.asking = undefined;
    t.typing = undefined;
    const obs = [...t.observers];
    t.observers.clear();
    for (const o of obs) o.events.end(why);
    this.#status(t);
  }

  /**
   * Starts watching `account`'s shell in `environment` as `instructor`: `events` gets the size, the current
   * screen, then live output. Undefined when no trainee terminal is attached to that shell.
   */
  async watch(account: string, environment: string, instructor: string, events: WatchEvents): Promise<Watch | undefined> {
    const t = this.#find(account, environment);
    if (!t) return undefined;
    // Joined before the screen is read: output from now on waits in `pending`, everything before is in the screen.
    const o: Observer = { instructor, events, pending: [] };
    t.observers.add(o);
    const screen = await this.#o.screens.restore(t.containerId, t.size);
    if (!t.observers.has(o)) return undefined; // ended meanwhile
    events.size(t.size);
    if (screen !== undefined) events.output(Buffer.from(screen));
    const pending = o.pending ?? [];
    o.pending = undefined;
    for (const b of pending) events.output(b);
    void this.notice(t.containerId, `${instructor} (instructor) is watching your terminal; press ${END_KEY_NAME} to end it.`);
    this.#status(t);
    let closed = false;
    let typed = 0;
    let report: NodeJS.Timeout | undefined;
    const reportInput = () => {
      clearTimeout(report);
      report = undefined;
      if (typed) this.#o.onInput?.({ account, environment, instructor, bytes: typed });
      typed = 0;
    };
    return {
      account,
      environment,
      instructor,
      ask: () => {
        if (closed || !t.observers.has(o) || t.asking || t.typing) return false;
        const timer = setTimeout(() => {
          if (t.asking?.obs !== o) return;
          t.asking = undefined;
          o.events.typing('expired');
          void this.notice(t.containerId, `${instructor}'s request to type was withdrawn (no answer).`);
          this.#status(t);
        }, ASK_TIMEOUT_MS);
        timer.unref?.();
        t.asking = { obs: o, timer };
        void this.notice(t.containerId, `${instructor} (instructor) asks to type in your terminal. Allow? Press y for yes, n for no.`, { ask: true });
        o.events.typing('asked');
        this.#status(t);
        return true;
      },
      type: (b) => {
        if (closed || t.typing !== o || !t.viewers[0]) return false;
        const clean = stripTerminalReplies(b);
        if (clean.length === 0) return true;
        t.viewers[0].input(clean);
        typed += clean.length;
        report ??= setTimeout(reportInput, INPUT_REPORT_MS);
        return true;
      },
      stopTyping: () => {
        reportInput();
        if (t.typing !== o) return;
        t.typing = undefined;
        o.events.typing('stopped');
        void this.notice(t.containerId, `${instructor} stopped typing in your terminal.`);
        this.#status(t);
      },
      get typingGranted() {
        return t.typing === o;
      },
      close: () => {
        if (closed) return;
        closed = true;
        reportInput();
        if (!t.observers.delete(o)) return;
        if (t.asking?.obs === o) {
          clearTimeout(t.asking.timer);
          t.asking = undefined;
        }
        if (t.typing === o) t.typing = undefined;
        o.events.end('closed');
        if (this.#taps.get(t.containerId) === t) void this.notice(t.containerId, `${instructor} stopped watching your terminal.`);
        this.#status(t);
      },
    };
  }

  /** Selected live shells: every one, one account's, or one environment's. */
  select(target: { account?: string; environment?: string }): string[] {
    return [...this.#taps.values()]
      .filter((t) => (!target.account || t.account === target.account) && (!target.environment || t.environment === target.environment))
      .map((t) => t.containerId);
  }

  /** Is this trainee terminal attached to a shell now? */
  attachedTerminal(term: Terminal): boolean {
    for (const t of this.#taps.values()) if (t.viewers.some((v) => v.term === term)) return true;
    return false;
  }

  /** Accounts with a terminal attached to a shell. */
  accounts(): Set<string> {
    return new Set([...this.#taps.values()].map((t) => t.account));
  }

  /**
   * Puts a notice on every trainee terminal of a container's shell (and its watchers' screens), placed by
   * the terminal model (notice-text.ts). `ask`: a question, pointless later, so never kept for the prompt.
   * False when the shell is not attached.
   */
  async notice(containerId: string, text: string, opts: { ask?: boolean } = {}): Promise<boolean> {
    const t = this.#taps.get(containerId);
    if (!t) return false;
    const st = await this.#o.screens.state(containerId);
    if (this.#taps.get(containerId) !== t) return false;
    if (!st) this.#write(t, plainNotice(text));
    else if (!st.alternate) this.#write(t, insertAbove(text, st));
    else {
      this.#write(t, statusLine(text, st));
      if (!opts.ask) t.deferred.push(text);
      clearTimeout(t.redrawTimer);
      t.redrawTimer = setTimeout(() => {
        t.redrawTimer = undefined;
        if (this.#taps.get(containerId) === t) this.#o.redraw(containerId, t.size);
      }, this.#o.statusMs ?? STATUS_MS);
      t.redrawTimer.unref?.();
    }
    return true;
  }

  async #sayDeferred(t: Tap): Promise<void> {
    while (t.deferred.length) {
      const st = await this.#o.screens.state(t.containerId);
      if (this.#taps.get(t.containerId) !== t || st?.alternate) return; // back in a full-screen program: keep them
      const text = t.deferred.shift()!;
      this.#write(t, st ? insertAbove(text, st) : plainNotice(text));
    }
  }

  /** Writes ISLET's bytes to the trainee terminals, the screen model and the watchers alike. */
  #write(t: Tap, s: string): void {
    const b = Buffer.from(s);
    for (const v of t.viewers) if (!v.term.closed) v.term.write(b);
    t.viewers[0]?.model(b);
    for (const o of t.observers) this.#send(o, b);
  }
}

function status(t: Tap): WatchStatus {
  return {
    watchers: [...new Set([...t.observers].map((o) => o.instructor))],
    ...(t.asking ? { asking: t.asking.obs.instructor } : {}),
    ...(t.typing ? { typing: t.typing.instructor } : {}),
  };
}
