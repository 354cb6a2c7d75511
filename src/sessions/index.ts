/**
 * The session engine's public face: what a front door (sshd/, web/) may use. Doors import from here only
 * (scripts/check-imports.ts enforces it); everything else in sessions/ is the engine's own business.
 */
import type { Terminal } from '../core/terminal.ts';

export type { SessionHandler } from './session-handler.ts';
export type { Authenticator, AuthFailure, AuthResult, Identity, KeyRefusal, PublicKeyFormat, PublicKeyLine } from './authenticator.ts';
export type { CommandIo, CommandOptions, CommandSignal } from './command-session.ts';
export { COMMAND_SIGNALS } from './command-session.ts';
export type { ContainerAccess } from './container-access.ts';
export type { DoorHints } from './door-hints.ts';
export type { AttachRegistry } from './attach-registry.ts';
export type { ShellTaps } from './shell-taps.ts';
export type { ShellInfo, Watch, WatchEvents, TypingState } from './shell-tap-types.ts';
export type { Broadcaster, BroadcastTarget, BroadcastResult } from './broadcaster.ts';
export type { MenuRoster } from './menu-roster.ts';
export { MESSAGE_MAX } from './notice-text.ts';
/** The terminals attached to an account's shell in an environment (EnvironmentRunner.shellsOf). */
export type ShellsOf = (account: string, environment: string) => Promise<Terminal[]>;
