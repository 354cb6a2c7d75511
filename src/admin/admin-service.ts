/**
 * Every admin operation, in one place: the CLI uses it now and a web console
 * will use it later. Operations act on the store and the engine directly, so
 * they work whether or not `islet serve` is running.
 */
import { IsletError } from '../core/islet-error.ts';
import type { LifecycleService } from '../lifecycle/lifecycle-service.ts';
import type { ReconcileAction } from '../lifecycle/policy.ts';
import type { InstanceState, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_INSTANCE, type EnvironmentRunner } from '../sessions/environment-runner.ts';
import type { Store } from '../store/store.ts';

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
  readonly containers: readonly ContainerView[];
}

export interface AdminDeps {
  readonly store: Store;
  readonly driver: RuntimeDriver;
  readonly runner: EnvironmentRunner;
  readonly lifecycle: LifecycleService;
  readonly instance: string;
  readonly now?: () => Date;
}

export class AdminService {
  readonly #d: AdminDeps;
  readonly #now: () => Date;
  constructor(deps: AdminDeps) { this.#d = deps; this.#now = deps.now ?? (() => new Date()); }

  #account(name: string) {
    const a = this.#d.store.getAccount(name);
    if (!a) throw new IsletError('ADMIN_NOT_FOUND', `no account named ${JSON.stringify(name)}`);
    return a;
  }

  /** Accounts with their expiry and their containers' state (one engine listing). */
  async listAccounts(): Promise<AccountView[]> {
    const engine = new Map((await this.#d.driver.find({ [LABEL_INSTANCE]: this.#d.instance })).map((c) => [c.id, c]));
    const now = this.#now().getTime();
    return this.#d.store.listAccounts().map((a) => ({
      name: a.name, createdAt: a.createdAt, expiresAt: a.expiresAt, expired: a.expiresAt.getTime() <= now,
      containers: this.#d.store.listOwnership(a.name).map((o): ContainerView => ({
        environment: o.environment, containerId: o.containerId, name: o.containerName,
        state: engine.get(o.containerId)?.state ?? 'missing',
        ...(o.startedAt ? { startedAt: o.startedAt } : {}),
        ...(o.stopReason ? { stopReason: o.stopReason } : {}),
      })),
    }));
  }

  /** Moves one account's expiry by `seconds` (negative shortens); returns the new expiry. */
  extend(name: string, seconds: number): Date {
    const a = this.#account(name);
    const at = new Date(a.expiresAt.getTime() + seconds * 1000);
    this.#d.store.setExpiry(name, at);
    return at;
  }

  /** Extends every account that has not expired yet (the event runs longer); returns how many. */
  extendAll(seconds: number): number {
    const now = this.#now().getTime();
    let n = 0;
    for (const a of this.#d.store.listAccounts()) if (a.expiresAt.getTime() > now) { this.#d.store.setExpiry(a.name, new Date(a.expiresAt.getTime() + seconds * 1000)); n++; }
    return n;
  }

  /** Expires an account now: its containers are removed and the account deleted by a reconcile pass. */
  async expireNow(name: string): Promise<ReconcileAction[]> {
    this.#account(name);
    this.#d.store.setExpiry(name, this.#now());
    return this.#d.lifecycle.reconcile();
  }

  /** Removes one environment's container of an account (it starts fresh next time). */
  async resetEnvironment(account: string, environment: string): Promise<boolean> {
    this.#account(account);
    return this.#d.runner.reset(account, environment);
  }

  /** Removes an account and all of its containers. */
  async removeAccount(name: string): Promise<void> {
    this.#account(name);
    await this.#d.runner.removeAll(name);
    this.#d.store.deleteAccount(name);
    await this.#d.lifecycle.reconcile(); // sweeps any container of the account the store did not know
  }

  reap(dryRun: boolean): Promise<ReconcileAction[]> { return this.#d.lifecycle.reconcile(dryRun); }
}
