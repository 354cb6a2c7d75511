/**
 * The hallway every front door leads into: a door adapts its transport to a
 * Terminal and calls handle(); a door that carries more (commands, files,
 * forwards) calls exec(), openContainer(), openPort(). The door passes its
 * own words (DoorHints); this interface speaks no door's protocol. Audit,
 * metrics and limits wrap it as decorators; front doors never branch on them.
 */
import type { Terminal } from '../core/terminal.ts';
import type { Identity } from './authenticator.ts';
import { runCommand, type CommandIo, type CommandOptions } from './command-session.ts';
import { MenuSession, type MenuDeps } from './menu-session.ts';
import { openContainer, openPort, type ContainerAccess } from './container-access.ts';
import type { DoorHints } from './door-hints.ts';
import type { Execution } from '../runtime/runtime-driver.ts';

export interface SessionHandler {
  /** Runs one interactive session; resolves when it is over (the caller closes the terminal). */
  handle(term: Terminal, who: Identity, hints?: DoorHints): Promise<void>;
  /** Runs one command for a direct login; resolves with its exit status. */
  exec(io: CommandIo, who: Identity, command: string, opts: CommandOptions): Promise<number>;
  /** The running container of a direct `account+env` login, for file transfer (throws a trainee-safe IsletError). */
  openContainer(who: Identity): Promise<ContainerAccess>;
  /** A connection to a port inside that container, when its environment allows it (container-access.ts: openPort). */
  openPort(who: Identity, host: string, port: number): Promise<{ readonly connection: Execution; readonly environment: string }>;
}

export class MenuSessionHandler implements SessionHandler {
  readonly #deps: MenuDeps;
  constructor(deps: MenuDeps) {
    this.#deps = deps;
  }
  handle(term: Terminal, who: Identity, hints?: DoorHints): Promise<void> {
    return new MenuSession(this.#deps, term, hints).run(who);
  }
  exec(io: CommandIo, who: Identity, command: string, opts: CommandOptions): Promise<number> {
    return runCommand(this.#deps, io, who, command, opts);
  }
  openContainer(who: Identity): Promise<ContainerAccess> {
    return openContainer(this.#deps, who);
  }
  openPort(who: Identity, host: string, port: number): Promise<{ readonly connection: Execution; readonly environment: string }> {
    return openPort(this.#deps, who, host, port);
  }
}
