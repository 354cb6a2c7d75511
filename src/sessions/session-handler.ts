/**
 * The hallway both front doors lead into: a front door adapts its transport
 * to a Terminal and calls handle(). Audit, metrics and limits wrap this
 * interface as decorators; front doors never branch on them.
 */
import type { Terminal } from '../core/terminal.ts';
import { MenuSession, type MenuDeps } from './menu-session.ts';

export interface SessionHandler {
  /** Runs one interactive session; resolves when it is over (the caller closes the terminal). */
  handle(term: Terminal): Promise<void>;
}

export class MenuSessionHandler implements SessionHandler {
  readonly #deps: MenuDeps;
  constructor(deps: MenuDeps) { this.#deps = deps; }
  handle(term: Terminal): Promise<void> { return new MenuSession(this.#deps, term).run(); }
}
