/**
 * One trainee's walk through the ISLET menu, from banner to shell and back,
 * on any Terminal. This is the session engine both front doors share.
 *
 * Contract: nothing a trainee types can throw out of run(); every problem
 * becomes a message on their terminal and a log line for the admin.
 */
import { AccountService, formatDate, formatRemaining, type AccountPolicy } from '../accounts/account-service.ts';
import type { ConfigSource, LoadedConfig } from '../config/config-source.ts';
import type { Environment, Plugin } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Terminal } from '../core/terminal.ts';
import type { Logger } from '../logger.ts';
import { Keyboard, type LineResult } from '../line-editor/keyboard.ts';
import { prompts } from './prompts.ts';
import type { Store } from '../store/store.ts';
import type { EnvironmentRunner } from './environment-runner.ts';
import { type Authenticator, FOUND_FRESH_MS, type Identity } from './authenticator.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { ContainerTools } from '../runtime/container-tools.ts';
import { homeOf } from '../config/home-of.ts';
import { clearScreen, crlf, fillSessionVars } from './text.ts';
import { noHints, type DoorHints } from './door-hints.ts';
import type { MenuEntry, MenuRoster } from './menu-roster.ts';
import type { CreationLimit } from '../access/creation-limit.ts';
import { mayUse } from './allowed-environments.ts';

export interface MenuDeps {
  readonly config: ConfigSource;
  readonly accounts: AccountService;
  readonly runner: EnvironmentRunner;
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => Date;
  readonly auth: Authenticator;
  readonly driver: RuntimeDriver;
  readonly tools: ContainerTools;
  /** Account creations per client address (the server always passes one; tools and unit tests may not). */
  readonly creation?: CreationLimit;
  /** Sessions in the menu, for broadcasts (menu-roster.ts); absent in tools and most unit tests. */
  readonly roster?: MenuRoster;
}

/** Unwinds the session with a last message. */
class Quit {
  readonly message: string;
  readonly reason: string;
  constructor(message: string, reason: string) {
    this.message = message;
    this.reason = reason;
  }
}

type Entry = { kind: 'env'; env: Environment } | { kind: 'plugin'; plugin: Plugin };

export class MenuSession {
  readonly #d: MenuDeps;
  readonly #t: Terminal;
  readonly #kb: Keyboard;
  readonly #hints: DoorHints;
  #cfg: LoadedConfig;
  #account = '';
  /** The environments the account may use (Account.environments); undefined: every enabled one. */
  #allowed: readonly string[] | undefined;
  /** This session in the menu roster (broadcasts reach it while it is not in a shell). */
  #entry: MenuEntry | undefined;

  /** `hints`: the door's words for downloads and keys (sessions/door-hints.ts); none by default. */
  constructor(deps: MenuDeps, term: Terminal, hints: DoorHints = noHints) {
    this.#d = deps;
    this.#t = term;
    this.#hints = hints;
    this.#kb = new Keyboard(term);
    this.#cfg = deps.config.current();
  }

  #say(text: string): void {
    if (!this.#t.closed) this.#t.write(crlf(text));
  }
  #line(text = ''): void {
    this.#say(`${text}\n`);
  }

  #vars(env?: Environment): Record<string, string> {
    return { CLIENT: this.#t.remoteAddress, USERNAME: this.#account, TERM: this.#t.term, ...(env ? { BASE: env.name, CONFIGURATION: env.source } : {}) };
  }

  /** Reads one answer; ends the session on timeout, Ctrl-C, Ctrl-D or disconnect. */
  async #ask(prompt: string, echo = true): Promise<string> {
    this.#say(prompt);
    if (this.#entry) this.#entry.prompt = prompt;
    const r: LineResult = await this.#kb.readLine({ echo, timeoutMs: this.#cfg.global.menu_timeout * 1000, maxLength: 1024 });
    if (this.#entry) this.#entry.prompt = undefined;
    if (r.kind === 'line') return r.text;
    if (!echo && r.kind !== 'closed') this.#line();
    if (r.kind === 'timeout') throw new Quit(prompts.inactivity, 'timeout');
    if (r.kind === 'closed') throw new Quit('', 'closed');
    throw new Quit(prompts.quit, r.kind);
  }

  /** Walks the session: the gate login asks who the trainee is; a direct login (`alice`, `alice+env`) skips that. */
  async run(who: Identity = { method: 'gate' }): Promise<void> {
    const log = this.#d.log;
    this.#entry = this.#d.roster?.add(this.#t, () => this.#account || undefined);
    try {
      this.#say(this.#cfg.global.banner.endsWith('\n') ? this.#cfg.global.banner : `${this.#cfg.global.banner}\n`);
      if (who.account) {
        this.#account = who.account;
        // The login's own read when it is a moment old (one store round trip fewer per login).
        const fresh = who.found && who.found.account.name === who.account && performance.now() - who.found.at < FOUND_FRESH_MS ? who.found.account : undefined;
        const acct = fresh ?? (await this.#d.store.getAccount(who.account));
        this.#allowed = acct?.environments;
        if (acct) this.#line(prompts.willExpire(formatDate(acct.expiresAt), formatRemaining(this.#d.now(), acct.expiresAt)));
        if (who.environment) {
          const env = this.#cfg.environments.find((e) => e.enabled && e.name === who.environment && mayUse(this.#allowed, e.name));
          if (!env) this.#line(`There is no environment named ${who.environment}; choose one from the menu.`);
          else {
            await this.#enter(env);
            throw new Quit('', 'shell_exited');
          }
        }
      } else {
        this.#account = await this.#identify();
        this.#allowed = (await this.#d.store.getAccount(this.#account))?.environments;
      }
      for (;;) await this.#menu();
    } catch (err) {
      if (err instanceof Quit) {
        if (err.message) this.#line(err.message);
        log.info({ event: 'session_end', reason: err.reason, account: this.#account || undefined, client: this.#t.remoteAddress }, 'session ended');
      } else {
        log.error({ event: 'session_error', err, account: this.#account || undefined, client: this.#t.remoteAddress }, 'session failed');
        this.#line('Something went wrong on the server; please reconnect.');
      }
    } finally {
      if (this.#entry) this.#d.roster?.remove(this.#entry);
    }
  }

  #policy(): AccountPolicy {
    const g = this.#cfg.global;
    return { minPasswordLength: g.min_password_length, days: g.days, reserved: new Set(g.gate_accounts.map((a) => a.username.toLowerCase())) };
  }

  async #identify(): Promise<string> {
    const n = this.#cfg.global.failure_count;
    for (let c = 1; ; c++) {
      const a = (await this.#ask(prompts.newOrExisting)).trim().toLowerCase();
      if (a === 'new' || a === 'n') return this.#newUser();
      if (a === 'existing' || a === 'e') return this.#existingUser();
      if (c >= n) throw new Quit(prompts.tooManyFailures(c, n), 'failures');
      const again = (await this.#ask(prompts.notUnderstood)).trim().toLowerCase();
      if (again !== 'yes' && again !== 'y') throw new Quit(prompts.quit, 'declined');
    }
  }

  async #newUser(): Promise<string> {
    const { accounts, log } = this.#d;
    const n = this.#cfg.global.failure_count;
    const policy = this.#policy();
    const creation = this.#d.creation;
    const client = this.#t.remoteAddress;
    // Asked first so nobody types a name and password in vain, and checked again (atomically) at creation.
    if (creation && !(await creation.allowed(client))) throw this.#creationLimited();
    this.#line(prompts.tempAccount);
    let username = '';
    for (let c = 1; ; c++) {
      username = await this.#ask(prompts.chooseUsername);
      const bad = await accounts.checkUsername(username, policy);
      if (!bad) break;
      this.#line(bad.userMessage);
      if (c >= n) throw new Quit(prompts.tooManyFailures(c, n), 'failures');
    }
    this.#line(prompts.yourUsername(username));
    for (let c = 1; ; c++) {
      const p1 = await this.#ask(prompts.choosePassword(policy.minPasswordLength), false);
      const p2 = await this.#ask(prompts.verifyPassword, false);
      if (p1 === p2 && accounts.checkPassword(p1, policy)) {
        if (creation && !(await creation.take(client))) throw this.#creationLimited();
        try {
          const acct = await accounts.create(username, p1, policy);
          log.info({ event: 'account_created', account: username, client: this.#t.remoteAddress, expiresAt: acct.expiresAt.toISOString() }, 'account created');
          this.#line(prompts.willExpire(formatDate(acct.expiresAt), formatRemaining(this.#d.now(), acct.expiresAt)));
          return username;
        } catch (err) {
          if (err instanceof IsletError && err.code === 'ACCOUNT_EXISTS') {
            this.#line(err.userMessage);
            return this.#newUser();
          }
          throw err;
        }
      }
      this.#line(prompts.passwordMismatch(policy.minPasswordLength, c, n));
      if (c >= n) throw new Quit(prompts.tooManyFailures(c, n), 'failures');
    }
  }

  #creationLimited(): Quit {
    this.#d.log.warn(
      { event: 'account_creation_limited', code: 'ACCOUNT_CREATION_LIMITED', client: this.#t.remoteAddress },
      'too many accounts created from this address',
    );
    const g = this.#cfg.global;
    return new Quit(
      `Too many accounts were created from your network in the last ${formatRemaining(new Date(0), new Date(g.account_creation_window * 1000))}. ` +
        'Please wait a few minutes and try again, log in with an existing account, or ask the instructor.',
      'creation_limited',
    );
  }

  async #existingUser(): Promise<string> {
    const n = this.#cfg.global.failure_count;
    const client = this.#t.remoteAddress;
    this.#line(prompts.previousAccount);
    for (let c = 1; ; c++) {
      const username = await this.#ask(prompts.username);
      const password = await this.#ask(prompts.password, false);
      // The same checks and throttling as a direct `alice@host` login (src/access/).
      const r = await this.#d.auth.accountPassword(username, password, client);
      if (r.ok) {
        this.#line(prompts.success);
        this.#d.log.info({ event: 'login_ok', account: username, client }, 'login ok');
        this.#line(prompts.willExpire(formatDate(r.account.expiresAt), formatRemaining(this.#d.now(), r.account.expiresAt)));
        return username;
      }
      this.#d.log.info({ event: 'login_failed', reason: r.reason, account: username.slice(0, 64), client, delayMs: r.delayMs || undefined }, 'login failed');
      if (r.delayMs) await this.#pause(r.delayMs);
      if (r.addressLocked) {
        if (r.reason !== 'locked_out') this.#d.log.warn({ event: 'address_locked_out', client }, 'too many failed logins from this address');
        throw new Quit(prompts.tooManyFailures(c, n), 'locked_out');
      }
      if (r.message) this.#line(r.message);
      else if (c < n) this.#line(prompts.loginFailed(c, n));
      if (c >= n) throw new Quit(prompts.tooManyFailures(c, n), 'failures');
    }
  }

  /** Holds a failure answer; ends the session if the trainee leaves meanwhile. */
  async #pause(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.#t.closed) throw new Quit('', 'closed');
  }

  #entries(): Entry[] {
    this.#cfg = this.#d.config.current();
    return [
      ...this.#cfg.environments.filter((e) => e.enabled && mayUse(this.#allowed, e.name)).map((env): Entry => ({ kind: 'env', env })),
      ...this.#cfg.plugins.filter((p) => p.enabled).map((plugin): Entry => ({ kind: 'plugin', plugin })),
    ];
  }

  #showMenu(entries: Entry[]): void {
    const names = entries.map((e) => (e.kind === 'env' ? e.env.name : e.plugin.name));
    const w = Math.max(13, ...names.map((s) => s.length));
    const nw = String(entries.length).length;
    this.#line();
    this.#line(prompts.available);
    this.#line();
    this.#line(`${' '.repeat(nw + 2)}${'Configuration'.padEnd(w)} | Description`);
    entries.forEach((e, i) => {
      const desc = (e.kind === 'env' ? e.env.description : e.plugin.description).replace(/[\x00-\x1f\x7f]/g, ' ');
      this.#line(`${String(i + 1).padStart(nw)}) ${names[i]!.padEnd(w)} | ${desc}`);
    });
    this.#line();
    this.#line(prompts.chooseNumber);
  }

  async #menu(): Promise<void> {
    const n = this.#cfg.global.failure_count;
    let entries = this.#entries();
    if (entries.length === 0) throw new Quit(prompts.noConfigurations, 'empty');
    this.#showMenu(entries);
    for (let c = 1; ; c++) {
      const a = (await this.#ask(prompts.choice)).trim();
      entries = this.#entries();
      const k = /^\d{1,6}$/.test(a) ? Number(a) : 0;
      const entry = entries[k - 1];
      if (entry) return entry.kind === 'env' ? this.#enter(entry.env) : this.#plugin(entry.plugin);
      if (c >= n) throw new Quit(prompts.invalidChoice(c, n), 'failures');
      this.#line(prompts.invalidChoice(c, n));
    }
  }

  async #enter(env: Environment): Promise<void> {
    const vars = this.#vars(env);
    this.#say(clearScreen);
    if (env.banner) this.#line(fillSessionVars(env.banner, vars));
    const motd = env.motd ? `${fillSessionVars(env.motd, vars)}\n` : '';
    const typeahead = this.#kb.release();
    try {
      if (this.#entry) this.#entry.inShell = true;
      const outcome = await this.#d.runner.run(this.#t, this.#account, env, (s) => this.#say(s), { typeahead, motd });
      if (outcome === 'closed') throw new Quit('', 'closed');
    } catch (err) {
      if (err instanceof Quit) throw err;
      const e = err instanceof IsletError ? err : undefined;
      this.#d.log.error({ event: 'environment_failed', code: e?.code, err, account: this.#account, environment: env.name }, 'environment failed');
      this.#line(e?.userMessage ?? 'The environment could not be started. Please try again or tell the instructor.');
    } finally {
      if (this.#entry) this.#entry.inShell = false;
      this.#kb.resume();
    }
  }

  async #plugin(p: Plugin): Promise<void> {
    switch (p.action) {
      case 'clear':
        this.#say(clearScreen);
        return;
      case 'restart':
        this.#line(prompts.restarting);
        this.#say(clearScreen);
        this.#say(this.#cfg.global.banner);
        return;
      case 'reset_environment':
        return this.#resetEnvironment();
      case 'delete_account':
        return this.#deleteAccount();
      case 'add_key':
        return this.#addKey();
      case 'export':
        return this.#showExport();
    }
  }

  async #resetEnvironment(): Promise<void> {
    const mine = await this.#d.store.listOwnership(this.#account);
    if (mine.length === 0) {
      this.#line(prompts.noContainers);
      return;
    }
    this.#line(prompts.chooseToDelete);
    for (const [i, o] of mine.entries()) this.#line(`${i + 1}) ${o.environment}`);
    const a = (await this.#ask(prompts.choice)).trim();
    const o = /^\d{1,6}$/.test(a) ? mine[Number(a) - 1] : undefined;
    if (!o) return;
    this.#line(prompts.removingContainer);
    await this.#d.runner.reset(this.#account, o.environment);
    this.#d.log.info({ event: 'environment_reset', account: this.#account, environment: o.environment }, 'environment reset by trainee');
    this.#line(prompts.containerRemoved);
  }

  async #showExport(): Promise<void> {
    const mine = await this.#d.store.listOwnership(this.#account);
    if (mine.length === 0) {
      this.#line('You have no environment yet: choose one first, then come back here.');
      return;
    }
    const download = this.#hints.download;
    if (!download) {
      this.#line('Your work cannot be downloaded through this door.');
      return;
    }
    this.#line('Download your work from your own computer with (your ISLET password, or your enrolled key):');
    for (const o of mine) {
      const env = this.#cfg.environments.find((e) => e.name === o.environment);
      for (const l of download({ account: this.#account, environment: o.environment, home: env ? homeOf(env) : '/home' })) this.#line(l);
    }
  }

  async #addKey(): Promise<void> {
    const keys = this.#hints.keys;
    if (!keys) {
      this.#line('Keys cannot be enrolled through this door.');
      return;
    }
    this.#line(keys.ask);
    const line = await this.#ask('> ');
    const problem = await this.#d.auth.enrollKey(this.#account, line, this.#d.now());
    if (problem) {
      this.#line(`Key not added: ${problem}.`);
      return;
    }
    this.#d.log.info({ event: 'key_enrolled', account: this.#account }, 'public key enrolled');
    this.#line(keys.added(this.#account));
  }

  async #deleteAccount(): Promise<void> {
    const a = (await this.#ask(prompts.confirmDeleteUser(this.#account))).trim().toLowerCase();
    if (a !== 'yes' && a !== 'y') return;
    this.#line(prompts.removingUser(this.#account));
    await this.#d.runner.removeAll(this.#account);
    await this.#d.store.deleteAccount(this.#account);
    this.#d.log.info({ event: 'account_deleted', account: this.#account, client: this.#t.remoteAddress }, 'account deleted by trainee');
    throw new Quit(prompts.accountRemoved, 'account_deleted');
  }
}
