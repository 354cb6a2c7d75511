/**
 * A trainee's terminal joined to their container's shell (EnvironmentRunner's last step), with the
 * instance's screen model and shell taps fed on the way.
 */
import type { Terminal, TtySize } from '../core/terminal.ts';
import { coalesce } from '../core/coalesce.ts';
import type { Attachment, RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { ScreenModels } from '../terminal-model/screen-models.ts';
import type { ShellTaps } from './shell-taps.ts';

/** What the pipe feeds and calls besides the terminal and the attachment. */
export interface PipeParts {
  readonly screens: ScreenModels;
  readonly taps: ShellTaps;
  /** Resizes the container's TTY (one call at a time, the newest size wins). */
  readonly driver: Pick<RuntimeDriver, 'resize'>;
  /** Told of the trainee's input before it goes to the shell (RunnerDeps.typed). */
  readonly typed?: (id: string, b: Buffer) => void;
}

/**
 * Wires terminal <-> attachment with back-pressure both ways until one side ends: output waits for the
 * client's window, input for the engine stream to drain (a shell that does not read cannot make ISLET
 * buffer what the client pastes). Resizes: one engine call at a time, the newest size wins.
 */
export async function pipeShell(
  term: Terminal,
  id: string,
  att: Attachment,
  who: { account: string; environment: string },
  parts: PipeParts,
): Promise<'ended' | 'closed'> {
  if (term.closed) {
    att.detach();
    return 'closed';
  } // the client left while the container was starting
  let inputPaused = false;
  const resumeInput = () => {
    if (inputPaused) {
      inputPaused = false;
      term.resumeInput();
    }
  };
  // The screen model is fed after the client is written to, and only queues (src/terminal-model/screen-model.ts).
  const screen = parts.screens.join(id, term.size());
  // Watchers, asks to type and notices (shell-taps.ts): two checks per chunk while nobody watches.
  // An instructor typing into the shell (a granted watch) gets the typing weight too: the same keys, the same echo.
  const input = (b: Buffer) => {
    parts.typed?.(id, b);
    return att.input.write(b);
  };
  const tap = parts.taps.join(id, who, { term, input, model: (b) => screen?.feed(b) }, term.size());
  const offData = term.onData((b) => {
    if (tap.fromTrainee(b)) return;
    if (input(b) || inputPaused) return;
    inputPaused = true;
    term.pauseInput();
    att.input.once('drain', resumeInput);
  });
  const resize = coalesce((s: TtySize) => parts.driver.resize(id, s).catch(() => undefined), 0);
  const offResize = term.onResize((s) => {
    resize.push(s);
    screen?.resize(s);
    tap.resized(s);
  });
  const onOut = (b: Buffer) => {
    if (!term.write(b)) {
      att.output.pause();
      term.onceDrain(() => att.output.resume());
    }
    screen?.feed(b);
    tap.output(b);
  };
  att.output.on('data', onOut);
  let offClose = () => {};
  const closed = new Promise<'closed'>((resolve) => {
    offClose = term.onClose(() => resolve('closed'));
  });
  try {
    return await Promise.race([att.ended.then(() => 'ended' as const), closed]);
  } finally {
    offData();
    offResize();
    offClose();
    resize.cancel();
    tap.leave();
    screen?.leave();
    att.input.off('drain', resumeInput);
    resumeInput(); // the terminal goes back to the menu, which reads again
    att.output.off('data', onOut);
    att.detach();
  }
}
