/**
 * Every admin operation, in one place: the CLI uses it now and a web console
 * will use it later. Operations act on the store and the engine directly, so
 * they work whether or not `islet serve` is running.
 */
import { IsletError } from '../core/islet-error.ts';
import type { LifecycleService } from '../lifecycle/lifecycle-service.ts';
import type { IdleLab } from '../catalogue/lab-sweep.ts';
import type { ReconcileAction } from '../lifecycle/policy.ts';
import type { InstanceState, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { type EnvironmentRunner } from '../sessions/environment-runner.ts';
import { LABEL_INSTANCE } from '../runtime/names.ts';
import type { Store } from '../store/store.ts';
import type { ConfigSource } from '../config/config-source.ts';
import type { Authenticator } from '../sessions/authenticator.ts';
import { homeOf } from '../config/home-of.ts';
import { exportFileName, exportHome } from '../lifecycle/export-home.ts';
import type { Logger } from '../logger.ts';
import { AccountService } from '../accounts/account-service.ts';
import { checkBulkRequest, createInBulk, type BulkRequest, type Credential } from './bulk-accounts.ts';
import { sheetTarget, type SheetTarget } from './credential-sheet.ts';

export interface ContainerView {
  readonly environment: string;
  readonly containerId: string;
  readonly name: string;
  /** As the engine reports it; 'missing' when the store names a container the engine lacks. */
  readonly state: InstanceState | 'missing';
  readonly startedAt?: Date;
  readonly stopReason?: string;
}

export interface AccountView {
  readonly name: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly expired: boolean;
  /** Set while the account's password logins are paused after too many wrong passwords (`islet unlock` clears it). */
  readonly throttledUntil?: Date;
  readonly containers: readonly ContainerView[];
}

export interface AdminDeps {
  readonly config: ConfigSource;
  readonly auth: Authenticator;
  readonly exportDir: string;
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly runner: EnvironmentRunner;
  readonly lifecycle: LifecycleService;
  readonly instance: string;
  readonly now?: () => Date;
  /** Where admin events (account_unlocked) are logged. */
  readonly log?: Logger;
  /** Creates accounts (the graph's, sealing in the background); absent: one hashing in this process. */
  readonly accounts?: AccountService;
  /** Sweeps the instance's idle lab networks for `reap` (src/catalogue/lab-sweep.ts); absent: a runtime without them. */
  readonly labs?: (dryRun: boolean) => Promise<IdleLab[]>;
}

export class AdminService {
  readonly #d: AdminDeps;
  readonly #now: () => Date;
  constructor(deps: AdminDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async #account(name: string) {
    const a = await this.#d.store.getAccount(name);
    if (!a) throw new IsletError('ADMIN_NOT_FOUND', `no account named ${JSON.stringify(name)}`);
    return a;
  }

  /** Accounts with their expiry and their containers' state (one engine listing). */
  async listAccounts(): Promise<AccountView[]> {
    const engine = new Map((await this.#d.driver.find({ [LABEL_INSTANCE]: this.#d.instance })).map((c) => [c.id, c]));
    const now = this.#now().getTime();
    const throttled = new Map(
      (await this.#d.store.listLoginThrottles()).filter((t) => t.lockedUntil && t.lockedUntil.getTime() > now).map((t) => [t.account, t.lockedUntil!]),
    );
    const accounts = await this.#d.store.listAccounts();
    const owned = await Promise.all(accounts.map((a) => this.#d.store.listOwnership(a.name)));
    return accounts.map((a, i) => ({
      name: a.name,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
      expired: a.expiresAt.getTime() <= now,
      ...(throttled.has(a.name) ? { throttledUntil: throttled.get(a.name)! } : {}),
      containers: owned[i]!.map(
        (o): ContainerView => ({
          environment: o.environment,
          containerId: o.containerId,
          name: o.containerName,
          state: engine.get(o.containerId)?.state ?? 'missing',
          ...(o.startedAt ? { startedAt: o.startedAt } : {}),
          ...(o.stopReason ? { stopReason: o.stopReason } : {}),
        }),
      ),
    }));
  }

  /** Moves one account's expiry by `seconds` (negative shortens); returns the new expiry. */
  async extend(name: string, seconds: number): Promise<Date> {
    const a = await this.#account(name);
    const at = new Date(a.expiresAt.getTime() + seconds * 1000);
    await this.#d.store.setExpiry(name, at);
    return at;
  }

  /** Extends every account that has not expired yet (the event runs longer); returns how many. */
  async extendAll(seconds: number): Promise<number> {
    const now = this.#now().getTime();
    let n = 0;
    for (const a of await this.#d.store.listAccounts())
      if (a.expiresAt.getTime() > now) {
        await this.#d.store.setExpiry(a.name, new Date(a.expiresAt.getTime() + seconds * 1000));
        n++;
      }
    return n;
  }

  /** Expires an account now: its containers are removed and the account deleted by a reconcile pass. */
  async expireNow(name: string): Promise<ReconcileAction[]> {
    await this.#account(name);
    await this.#d.store.setExpiry(name, this.#now());
    return this.#d.lifecycle.reconcile();
  }

  /**
   * Expires accounts as if their time ran out now (the console's expire): logins are refused with the expiry
   * message at once and running containers are stopped (attached trainees are told); the reconciler then
   * archives (export_on_expiry), removes the containers and deletes the accounts as for any expiry. Unknown
   * names are returned, not thrown. (`expireNow`, the CLI's, also reconciles at once.)
   */
  async expireMany(names: readonly string[], detail: string): Promise<{ unknown: string[] }> {
    const unknown: string[] = [];
    for (const name of names) {
      if (!(await this.#d.store.setExpiry(name, this.#now()))) unknown.push(name);
      else for (const o of await this.#d.store.listOwnership(name)) await this.#d.lifecycle.stopNow(name, o.environment, detail);
    }
    return { unknown };
  }

  /** Removes one environment's container of an account (it starts fresh next time). */
  async resetEnvironment(account: string, environment: string): Promise<boolean> {
    await this.#account(account);
    return this.#d.runner.reset(account, environment);
  }

  /** Removes an account and all of its containers. */
  async removeAccount(name: string): Promise<void> {
    await this.#account(name);
    await this.#d.runner.removeAll(name);
    await this.#d.store.deleteAccount(name);
    await this.#d.lifecycle.reconcile(); // sweeps any container of the account the store did not know
  }

  /** Ends an account's password-login pause and forgets its failures; false when there was none. */
  async unlock(name: string): Promise<boolean> {
    await this.#account(name);
    const was = await this.#d.store.getLoginThrottle(name);
    const cleared = await this.#d.store.deleteLoginThrottle(name);
    if (cleared)
      this.#d.log?.info({ event: 'account_unlocked', account: name, wasLockedUntil: was?.lockedUntil?.toISOString() }, 'account unlocked by the admin');
    return cleared;
  }

  reap(dryRun: boolean): Promise<ReconcileAction[]> {
    return this.#d.lifecycle.reconcile(dryRun);
  }

  /** After `reap`: removes lab networks no container uses any more, with their generators (none on a dry run). */
  async reapLabs(dryRun: boolean): Promise<IdleLab[]> {
    return (await this.#d.labs?.(dryRun)) ?? [];
  }

  /** Archives the home of each of an account's containers (or one environment's) as .tar.gz; returns the files. */
  async exportAccount(account: string, environment?: string, dir = this.#d.exportDir): Promise<string[]> {
    await this.#account(account);
    const envs = new Map(this.#d.config.current().environments.map((e) => [e.name, e]));
    const rows = (await this.#d.store.listOwnership(account)).filter((o) => environment === undefined || o.environment === environment);
    if (rows.length === 0) throw new IsletError('ADMIN_NOT_FOUND', `${account} has no ${environment ?? ''} container to export`.replace('  ', ' '));
    const files: string[] = [];
    for (const o of rows) {
      const env = envs.get(o.environment);
      const file = exportFileName(dir, account, o.environment, this.#now());
      await exportHome(this.#d.driver, o.containerId, env ? homeOf(env) : '/home', file);
      files.push(file);
    }
    return files;
  }

  #environment(name: string) {
    const env = this.#d.config.current().environments.find((e) => e.enabled && e.name === name);
    if (!env) throw new IsletError('ADMIN_NOT_FOUND', `no enabled environment named ${JSON.stringify(name)}`);
    return env;
  }

  /** Stops one environment's container now (files kept; attached trainees are told); false when it has none. */
  async stopEnvironment(account: string, environment: string, detail: string): Promise<boolean> {
    await this.#account(account);
    return this.#d.lifecycle.stopNow(account, environment, detail);
  }

  /** Starts one environment's container (creating it from the image when missing), as a login would; returns its id. */
  async startEnvironment(account: string, environment: string): Promise<string> {
    await this.#account(account);
    return this.#d.runner.ensureRunning(account, this.#environment(environment));
  }

  /** Resets one environment: its container is removed and a fresh one started from the image; returns the new id. */
  async recreateEnvironment(account: string, environment: string): Promise<string> {
    const env = this.#environment(environment);
    await this.resetEnvironment(account, environment);
    return this.#d.runner.ensureRunning(account, env);
  }

  /** Creates accounts in bulk with generated passphrases (bulk-accounts.ts); the credentials exist only in the result. */
  async createAccounts(req: BulkRequest): Promise<Credential[]> {
    const c = this.#d.config.current();
    const checked = checkBulkRequest(
      req,
      c.environments.map((e) => e.name),
    );
    const g = c.global;
    const policy = { minPasswordLength: g.min_password_length, days: g.days, reserved: new Set(g.gate_accounts.map((a) => a.username.toLowerCase())) };
    return createInBulk(this.#accounts(), policy, checked);
  }

  /** Where the slips of accounts made in bulk send trainees (public_address, the first web origin), unless overridden. */
  sheetTarget(override: Partial<SheetTarget> = {}): SheetTarget {
    return sheetTarget(this.#d.config.current().global, this.#d.instance, override);
  }

  /** Resolves once every account created so far has its full-cost hash
 (a CLI waits before it exits). */
  sealed(): Promise<void> {
    return this.#accounts().sealed();
  }

  #ownAccounts: AccountService | undefined;
  #accounts(): AccountService {
    this.#ownAccounts ??= this.#d.accounts ?? new AccountService(this.#d.store, this.#now);
    return this.#ownAccounts;
  }

  /** Enrolls the keys of an authorized_keys file for an account
; returns how many were added and the problems. */
  async importKeys(account: string, text: string): Promise<{ added: number; problems: string[] }> {
    await this.#account(account);
    let added = 0;
    const problems: string[] = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (!line.trim() || line.trim().startsWith('#')) continue;
      const problem = await this.#d.auth.enrollKey(account, line, this.#now());
      if (problem) problems.push(`line ${i + 1}: ${problem}`);
      else added++;
    }
    return { added, problems };
  }
}
