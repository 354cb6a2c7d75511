/**
 * What ShellTaps (shell-taps.ts) offers and is told: a watcher's events and handle, a live shell as the
 * console lists it, and a trainee attachment as EnvironmentRunner's pipe joins it.
 */
import type { Terminal, TtySize } from '../core/terminal.ts';

export type TypingState = 'asked' | 'granted' | 'refused' | 'expired' | 'stopped';
export type WatchEnd = 'trainee_ended' | 'shell_left' | 'closed';

/** What a watcher is told. */
export interface WatchEvents {
  /** The container's terminal size now (the watcher's terminal should take it; it never sets it). */
  size(s: TtySize): void;
  /** Terminal output: first the current screen (a paint for a blank terminal), then live. */
  output(b: Buffer): void;
  typing(state: TypingState): void;
  /** The watch is over (the trainee ended it, or the last trainee terminal left the shell). */
  end(why: WatchEnd): void;
}

export interface Watch {
  readonly account: string;
  readonly environment: string;
  readonly instructor: string;
  /** Asks the trainee to allow typing; false when typing is granted or asked already (by anyone). */
  ask(): boolean;
  /** Types into the shell; false unless the trainee granted this watcher typing. */
  type(b: Buffer): boolean;
  stopTyping(): void;
  readonly typingGranted: boolean;
  close(): void;
}

export interface ShellInfo {
  readonly account: string;
  readonly environment: string;
  readonly containerId: string;
  /** Trainee terminals attached. */
  readonly terminals: number;
  readonly watchers: string[];
  readonly typing?: string;
  readonly size: TtySize;
}

/** One trainee attachment of a live shell, as EnvironmentRunner's pipe joins it. */
export interface TapViewer {
  readonly term: Terminal;
  /** Writes to the shell's input through this attachment. */
  readonly input: (b: Buffer) => void;
  /** Feeds the container's screen model (only the oldest viewer's feed counts: screen-models.ts). */
  readonly model: (b: Buffer) => void;
}

/** What EnvironmentRunner's pipe calls; cheap while nobody watches. */
export interface TapHandle {
  /** Output the trainee's terminal was just written. */
  output(b: Buffer): void;
  /** Input from the trainee; true when it was an answer to ISLET (y/n, Ctrl-]) and must not reach the shell. */
  fromTrainee(b: Buffer): boolean;
  resized(s: TtySize): void;
  leave(): void;
}

export interface InputEvent {
  readonly account: string;
  readonly environment: string;
  readonly instructor: string;
  readonly bytes: number;
}
