/**
 * Store in memory, for unit tests without a data directory. It passes the
 * same case suite as SqliteStore (store.case.ts) and keeps its rules: names
 * compared exactly, ownership, keys and throttle rows only for an existing
 * account (a row for a missing account is STORE_FAILED, as SQLite's foreign
 * key makes it) and gone with it, the first stop reason wins, and every read
 * returns a copy (callers cannot change the store behind its back).
 */
import { randomBytes } from 'node:crypto';
import { IsletError } from '../core/islet-error.ts';
import type { Account, LoginThrottleState, Ownership, Store, StoredKey } from './store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const pairKey = (account: string, environment: string): string => `${account}\0${environment}`;
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryStore implements Store {
  readonly #accounts = new Map<string, Account>();
  readonly #ownership = new Map<string, Mutable<Ownership>>();
  readonly #keys = new Map<string, StoredKey[]>();
  readonly #throttles = new Map<string, LoginThrottleState>();
  readonly #adopted = new Map<string, { fromStore: string; at: Date }>();
  readonly #storeId = randomBytes(8).toString('hex');
  #closed = false;

  #open(what: string): void {
    if (this.#closed) throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', `${what}: the store is closed`);
  }

  createAccount(a: Account): boolean {
    this.#open('createAccount');
    if (this.#accounts.has(a.name)) return false;
    this.#accounts.set(a.name, { ...a });
    return true;
  }
  getAccount(name: string): Account | undefined {
    this.#open('getAccount');
    const a = this.#accounts.get(name);
    return a && { ...a };
  }
  listAccounts(): Account[] {
    this.#open('listAccounts');
    return [...this.#accounts.values()].sort((x, y) => byName(x.name, y.name)).map((a) => ({ ...a }));
  }
  deleteAccount(name: string): boolean {
    this.#open('deleteAccount');
    if (!this.#accounts.delete(name)) return false;
    for (const [k, o] of this.#ownership) if (o.account === name) this.#ownership.delete(k);
    this.#keys.delete(name);
    this.#throttles.delete(name);
    return true;
  }
  setExpiry(name: string, expiresAt: Date): boolean {
    this.#open('setExpiry');
    const a = this.#accounts.get(name);
    if (a) this.#accounts.set(name, { ...a, expiresAt });
    return !!a;
  }
  setPasswordHash(name: string, passwordHash: string): boolean {
    this.#open('setPasswordHash');
    const a = this.#accounts.get(name);
    if (a) this.#accounts.set(name, { ...a, passwordHash });
    return !!a;
  }

  getOwnership(account: string, environment: string): Ownership | undefined {
    this.#open('getOwnership');
    const o = this.#ownership.get(pairKey(account, environment));
    return o && { ...o };
  }
  listOwnership(account?: string): Ownership[] {
    this.#open('listOwnership');
    return [...this.#ownership.values()]
      .filter((o) => account === undefined || o.account === account)
      .sort((x, y) => byName(x.account, y.account) || byName(x.environment, y.environment))
      .map((o) => ({ ...o }));
  }
  putOwnership(o: Ownership): void {
    this.#open('putOwnership');
    if (!this.#accounts.has(o.account)) {
      throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', `putOwnership: no account ${o.account}`);
    }
    const row: Mutable<Ownership> = {
      account: o.account,
      environment: o.environment,
      containerId: o.containerId,
      containerName: o.containerName,
      createdAt: o.createdAt,
      state: o.state ?? 'stopped',
    };
    if (o.startedAt) row.startedAt = o.startedAt;
    if (o.lastSeenAt) row.lastSeenAt = o.lastSeenAt;
    if (o.stopReason !== undefined) row.stopReason = o.stopReason;
    this.#ownership.set(pairKey(o.account, o.environment), row);
  }
  deleteOwnership(account: string, environment: string): void {
    this.#open('deleteOwnership');
    this.#ownership.delete(pairKey(account, environment));
  }
  markStarted(account: string, environment: string, at: Date): void {
    this.#open('markStarted');
    const o = this.#ownership.get(pairKey(account, environment));
    if (!o) return;
    o.state = 'running';
    o.startedAt = at;
    o.lastSeenAt = at;
    delete o.stopReason;
  }
  markSeen(account: string, environment: string, at: Date): void {
    this.#open('markSeen');
    const o = this.#ownership.get(pairKey(account, environment));
    if (o) o.lastSeenAt = at;
  }
  markStopped(account: string, environment: string, reason: string): void {
    this.#open('markStopped');
    const o = this.#ownership.get(pairKey(account, environment));
    // The first reason wins: a stop ISLET decided is not overwritten by the shell-exit that follows it.
    if (o?.state === 'running') {
      o.state = 'stopped';
      o.stopReason = reason;
    }
  }
  countRunning(account?: string): number {
    this.#open('countRunning');
    return [...this.#ownership.values()].filter((o) => o.state === 'running' && (account === undefined || o.account === account)).length;
  }

  addKey(k: StoredKey): boolean {
    this.#open('addKey');
    if (!this.#accounts.has(k.account)) return false;
    const list = this.#keys.get(k.account) ?? [];
    if (list.some((x) => x.data === k.data)) return false;
    list.push({ ...k });
    this.#keys.set(k.account, list);
    return true;
  }
  listKeys(account: string): StoredKey[] {
    this.#open('listKeys');
    return (this.#keys.get(account) ?? []).map((k) => ({ ...k })).sort((x, y) => x.addedAt.getTime() - y.addedAt.getTime());
  }

  getLoginThrottle(account: string): LoginThrottleState | undefined {
    this.#open('getLoginThrottle');
    const t = this.#throttles.get(account);
    return t && { ...t, failures: [...t.failures] };
  }
  putLoginThrottle(t: LoginThrottleState): boolean {
    this.#open('putLoginThrottle');
    if (!this.#accounts.has(t.account)) return false;
    this.#throttles.set(t.account, { ...t, failures: [...t.failures] });
    return true;
  }
  deleteLoginThrottle(account: string): boolean {
    this.#open('deleteLoginThrottle');
    return this.#throttles.delete(account);
  }
  listLoginThrottles(): LoginThrottleState[] {
    this.#open('listLoginThrottles');
    return [...this.#throttles.keys()].sort(byName).map((a) => this.getLoginThrottle(a)!);
  }

  storeId(): string {
    return this.#storeId;
  }
  adoptContainer(containerId: string, fromStore: string, at: Date): void {
    this.#open('adoptContainer');
    if (!this.#adopted.has(containerId)) this.#adopted.set(containerId, { fromStore, at });
  }
  listAdopted(): Set<string> {
    this.#open('listAdopted');
    return new Set(this.#adopted.keys());
  }
  forgetAdopted(containerId: string): void {
    this.#open('forgetAdopted');
    this.#adopted.delete(containerId);
  }

  close(): void {
    this.#closed = true;
  }
}
