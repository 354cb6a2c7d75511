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
import { KeyLock } from '../core/key-lock.ts';
import { capacityAnswer } from './capacity.ts';
import { nextEvents, nextThrottle } from './throttle-rule.ts';
import type { InstructorSessionRecord } from './store.ts';
import type {
  Account,
  AddressEvent,
  CapacityAnswer,
  CapacityClaim,
  LoginFailureLimits,
  LoginFailureOutcome,
  LoginThrottleState,
  Ownership,
  Store,
  StoredKey,
} from './store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const pairKey = (account: string, environment: string): string => `${account}\0${environment}`;
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryStore implements Store {
  readonly #accounts = new Map<string, Account>();
  readonly #ownership = new Map<string, Mutable<Ownership>>();
  readonly #keys = new Map<string, StoredKey[]>();
  readonly #throttles = new Map<string, LoginThrottleState>();
  /** Address events by kind NUL key: times in ms, oldest first. */
  readonly #events = new Map<string, number[]>();
  readonly #adopted = new Map<string, { fromStore: string; at: Date }>();
  readonly #storeId = randomBytes(8).toString('hex');
  readonly #claims = new Map<string, { account: string; expiresAt: number }>();
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly #exclusive = new KeyLock();
  readonly shared = false;
  #closed = false;

  #open(what: string): void {
    if (this.#closed) throw new IsletError('STORE_FAILED', 'The account database had a problem. Please try again.', `${what}: the store is closed`);
  }

  async createAccount(a: Account): Promise<boolean> {
    this.#open('createAccount');
    if (this.#accounts.has(a.name)) return false;
    this.#accounts.set(a.name, { ...a });
    return true;
  }
  async getAccount(name: string): Promise<Account | undefined> {
    this.#open('getAccount');
    const a = this.#accounts.get(name);
    return a && { ...a };
  }
  /** Two reads in process (no round trip to save). */
  async getLoginAccount(name: string): Promise<{ account: Account; throttle?: LoginThrottleState } | undefined> {
    const account = await this.getAccount(name);
    const throttle = account && (await this.getLoginThrottle(name));
    return account && { account, ...(throttle ? { throttle } : {}) };
  }
  async getAccountAndOwnership(account: string, environment: string): Promise<{ account?: Account; ownership?: Ownership }> {
    const [a, o] = [await this.getAccount(account), await this.getOwnership(account, environment)];
    return { ...(a ? { account: a } : {}), ...(o ? { ownership: o } : {}) };
  }
  async listAccounts(): Promise<Account[]> {
    this.#open('listAccounts');
    return [...this.#accounts.values()].sort((x, y) => byName(x.name, y.name)).map((a) => ({ ...a }));
  }
  async deleteAccount(name: string): Promise<boolean> {
    this.#open('deleteAccount');
    if (!this.#accounts.delete(name)) return false;
    for (const [k, o] of this.#ownership) if (o.account === name) this.#ownership.delete(k);
    this.#keys.delete(name);
    this.#throttles.delete(name);
    return true;
  }
  async setExpiry(name: string, expiresAt: Date): Promise<boolean> {
    this.#open('setExpiry');
    const a = this.#accounts.get(name);
    if (a) this.#accounts.set(name, { ...a, expiresAt });
    return !!a;
  }
  async setPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    this.#open('setPasswordHash');
    const a = this.#accounts.get(name);
    if (a) this.#accounts.set(name, { ...a, passwordHash });
    return !!a;
  }

  async getOwnership(account: string, environment: string): Promise<Ownership | undefined> {
    this.#open('getOwnership');
    const o = this.#ownership.get(pairKey(account, environment));
    return o && { ...o };
  }
  async listOwnership(account?: string): Promise<Ownership[]> {
    this.#open('listOwnership');
    return [...this.#ownership.values()]
      .filter((o) => account === undefined || o.account === account)
      .sort((x, y) => byName(x.account, y.account) || byName(x.environment, y.environment))
      .map((o) => ({ ...o }));
  }
  async putOwnership(o: Ownership): Promise<void> {
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
  async deleteOwnership(account: string, environment: string): Promise<void> {
    this.#open('deleteOwnership');
    this.#ownership.delete(pairKey(account, environment));
  }
  async markStarted(account: string, environment: string, at: Date): Promise<void> {
    this.#open('markStarted');
    const o = this.#ownership.get(pairKey(account, environment));
    if (!o) return;
    o.state = 'running';
    o.startedAt = at;
    o.lastSeenAt = at;
    delete o.stopReason;
  }
  async markSeen(account: string, environment: string, at: Date): Promise<void> {
    this.#open('markSeen');
    const o = this.#ownership.get(pairKey(account, environment));
    if (o) o.lastSeenAt = at;
  }
  async markSeenMany(pairs: readonly { readonly account: string; readonly environment: string }[], at: Date): Promise<void> {
    this.#open('markSeenMany');
    for (const p of pairs) {
      const o = this.#ownership.get(pairKey(p.account, p.environment));
      if (o) o.lastSeenAt = at;
    }
  }
  async markStopped(account: string, environment: string, reason: string): Promise<void> {
    this.#open('markStopped');
    const o = this.#ownership.get(pairKey(account, environment));
    // The first reason wins: a stop ISLET decided is not overwritten by the shell-exit that follows it.
    if (o?.state === 'running') {
      o.state = 'stopped';
      o.stopReason = reason;
    }
  }
  async countRunning(account?: string): Promise<number> {
    this.#open('countRunning');
    return [...this.#ownership.values()].filter((o) => o.state === 'running' && (account === undefined || o.account === account)).length;
  }

  async addKey(k: StoredKey): Promise<boolean> {
    this.#open('addKey');
    if (!this.#accounts.has(k.account)) return false;
    const list = this.#keys.get(k.account) ?? [];
    if (list.some((x) => x.data === k.data)) return false;
    list.push({ ...k });
    this.#keys.set(k.account, list);
    return true;
  }
  async listKeys(account: string): Promise<StoredKey[]> {
    this.#open('listKeys');
    return (this.#keys.get(account) ?? []).map((k) => ({ ...k })).sort((x, y) => x.addedAt.getTime() - y.addedAt.getTime());
  }

  async getLoginThrottle(account: string): Promise<LoginThrottleState | undefined> {
    this.#open('getLoginThrottle');
    const t = this.#throttles.get(account);
    return t && { ...t, failures: [...t.failures] };
  }
  async putLoginThrottle(t: LoginThrottleState): Promise<boolean> {
    this.#open('putLoginThrottle');
    if (!this.#accounts.has(t.account)) return false;
    this.#throttles.set(t.account, { ...t, failures: [...t.failures] });
    return true;
  }
  async deleteLoginThrottle(account: string): Promise<boolean> {
    this.#open('deleteLoginThrottle');
    return this.#throttles.delete(account);
  }
  async listLoginThrottles(): Promise<LoginThrottleState[]> {
    this.#open('listLoginThrottles');
    return [...this.#throttles.values()].sort((x, y) => byName(x.account, y.account)).map((t) => ({ ...t, failures: [...t.failures] }));
  }

  async loginFailed(account: string, now: Date, lim: LoginFailureLimits): Promise<LoginFailureOutcome | undefined> {
    this.#open('loginFailed');
    if (!this.#accounts.has(account)) return undefined;
    const { state, outcome } = nextThrottle(account, this.#throttles.get(account), now.getTime(), lim);
    this.#throttles.set(account, state);
    return outcome;
  }
  async addressEvent(e: AddressEvent): Promise<{ times: number[]; recorded: boolean }> {
    this.#open('addressEvent');
    const k = `${e.kind}\0${e.key}`;
    const r = nextEvents(this.#events.get(k) ?? [], e);
    if (r.times.length) this.#events.set(k, r.times);
    else this.#events.delete(k);
    return { times: [...r.times], recorded: r.recorded };
  }
  async countAddressEvents(kind: string, key: string, since: Date): Promise<number> {
    this.#open('countAddressEvents');
    return (this.#events.get(`${kind}\0${key}`) ?? []).filter((t) => t > since.getTime()).length;
  }

  storeId(): string {
    return this.#storeId;
  }
  async adoptContainer(containerId: string, fromStore: string, at: Date): Promise<void> {
    this.#open('adoptContainer');
    if (!this.#adopted.has(containerId)) this.#adopted.set(containerId, { fromStore, at });
  }
  async listAdopted(): Promise<Set<string>> {
    this.#open('listAdopted');
    return new Set(this.#adopted.keys());
  }
  async forgetAdopted(containerId: string): Promise<void> {
    this.#open('forgetAdopted');
    this.#adopted.delete(containerId);
  }

  async claimCapacity(c: CapacityClaim): Promise<CapacityAnswer> {
    this.#open('claimCapacity');
    for (const [id, x] of this.#claims) if (x.expiresAt <= c.now.getTime()) this.#claims.delete(id);
    const claims = [...this.#claims.values()];
    const running = [...this.#ownership.values()].filter((o) => o.state === 'running');
    const mine = running.filter((o) => o.account === c.account).length + claims.filter((x) => x.account === c.account).length;
    const answer = capacityAnswer(c, running.length + claims.length, mine);
    if (answer === 'ok') this.#claims.set(c.id, { account: c.account, expiresAt: c.expiresAt.getTime() });
    return answer;
  }
  async releaseCapacity(id: string): Promise<void> {
    this.#open('releaseCapacity');
    this.#claims.delete(id);
  }
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#exclusive.run(key, fn);
  }
  async acquireLease(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    this.#open('acquireLease');
    const l = this.#leases.get(name);
    if (l && l.holder !== holder && l.expiresAt > now.getTime()) return false;
    this.#leases.set(name, { holder, expiresAt: expiresAt.getTime() });
    return true;
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    this.#open('releaseLease');
    if (this.#leases.get(name)?.holder === holder) this.#leases.delete(name);
  }

  async listLeases(prefix: string): Promise<{ name: string; holder: string }[]> {
    this.#open('listLeases');
    return [...this.#leases]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, l]) => ({ name, holder: l.holder }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  readonly #instructorSessions = new Map<string, InstructorSessionRecord>();
  readonly #instructorThrottles = new Map<string, LoginThrottleState>();
  async putInstructorSession(s: InstructorSessionRecord): Promise<void> {
    this.#open('putInstructorSession');
    this.#instructorSessions.set(s.tokenHash, { ...s });
  }
  async getInstructorSession(tokenHash: string): Promise<InstructorSessionRecord | undefined> {
    this.#open('getInstructorSession');
    const s = this.#instructorSessions.get(tokenHash);
    return s && { ...s };
  }
  async deleteInstructorSessions(which: { tokenHash: string } | { expiredAt: Date } | { instructor: string }): Promise<number> {
    this.#open('deleteInstructorSessions');
    let n = 0;
    for (const [h, s] of this.#instructorSessions) {
      const hit = 'tokenHash' in which ? h === which.tokenHash : 'instructor' in which ? s.instructor === which.instructor : s.expiresAt <= which.expiredAt;
      if (hit && this.#instructorSessions.delete(h)) n++;
    }
    return n;
  }
  async getInstructorThrottle(instructor: string): Promise<LoginThrottleState | undefined> {
    this.#open('getInstructorThrottle');
    const t = this.#instructorThrottles.get(instructor);
    return t && { ...t, failures: [...t.failures] };
  }
  async putInstructorThrottle(t: LoginThrottleState): Promise<void> {
    this.#open('putInstructorThrottle');
    this.#instructorThrottles.set(t.account, { ...t, failures: [...t.failures] });
  }
  async deleteInstructorThrottle(instructor: string): Promise<boolean> {
    this.#open('deleteInstructorThrottle');
    return this.#instructorThrottles.delete(instructor);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
