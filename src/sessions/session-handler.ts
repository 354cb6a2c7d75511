/**
 * The hallway both front doors lead into: a front door adapts its transport
 * to a Terminal and calls handle(). Audit, metrics and limits wrap this
 * interface as decorators; front doors never branch on them.
 */
import type { Terminal } from '../core/terminal.ts';
import type { Identity } from './authenticator.ts';
import { runCommand, type CommandIo, type CommandOptions } from './command-session.ts';
import { MenuSession, type MenuDeps } from './menu-session.ts';
import { openContainer, type ContainerAccess } from './container-access.ts';

export interface SessionHandler {
  /** Runs one interactive session; resolves when it is over (the caller closes the terminal). */
  handle(term: Terminal, who: Identity): Promise<void>;
  /** Runs one command for a direct login; resolves with its exit status. */
  exec(io: CommandIo, who: Identity, command: string, opts: CommandOptions): Promise<number>;
  /** The running container of a direct `account+env` login, for file transfer and port forwarding (throws a trainee-safe IsletError). */
  openContainer(who: Identity): Promise<ContainerAccess>;
}

export class MenuSessionHandler implements SessionHandler {
  readonly #deps: MenuDeps;
  constructor(deps: MenuDeps) { this.#deps = deps; }
  handle(term: Terminal, who: Identity): Promise<void> { return new MenuSession(this.#deps, term).run(who); }
  exec(io: CommandIo, who: Identity, command: string, opts: CommandOptions): Promise<number> { return runCommand(this.#deps, io, who, command, opts); }
  openContainer(who: Identity): Promise<ContainerAccess> { return openContainer(this.#deps, who); }
}
