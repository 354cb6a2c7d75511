/**
 * The lifecycle decisions as pure functions of a snapshot: what the
 * reconciler should do about drift between the store and the engine, and
 * which running containers have reached their maximum running time or their
 * idle limit. No I/O here; the clock is an input, so tests can move time.
 */
import type { Environment } from '../config/schema.ts';
import { type InstanceInfo } from '../runtime/runtime-driver.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT } from '../runtime/names.ts';
import type { Account, Ownership } from '../store/store.ts';
import { isOwn } from './ownership.ts';

export type RemoveReason = 'account_expired' | 'account_gone' | 'environment_expired' | 'orphan' | 'duplicate';

export type ReconcileAction =
  | {
      readonly kind: 'remove';
      readonly containerId: string;
      readonly name: string;
      readonly account?: string;
      readonly environment?: string;
      readonly reason: RemoveReason;
    }
  | {
      readonly kind: 'adopt';
      readonly ownership: Ownership /** The container the row named when decided (none: no row); applied only if it still does. */;
      readonly replaces?: string;
    }
  | {
      readonly kind: 'forget';
      readonly account: string;
      readonly environment: string;
      readonly containerId: string;
      readonly reason: 'container_vanished' | 'environment_expired';
    }
  | { readonly kind: 'sync_state'; readonly account: string; readonly environment: string; readonly state: 'running' | 'stopped' }
  | { readonly kind: 'delete_account'; readonly account: string; readonly reason: 'expired' };

export interface ReconcileInput {
  readonly now: Date;
  readonly accounts: readonly Account[];
  readonly ownership: readonly Ownership[];
  /** Every container of this ISLET instance, from the engine. */
  readonly containers: readonly InstanceInfo[];
  readonly environments: ReadonlyMap<string, Environment>;
  /** This store's id: only containers it owns are acted on, the others are not even looked at (ownership.ts). */
  readonly storeId: string;
  /** Container ids this store took over from other stores (--take-over). */
  readonly adopted?: ReadonlySet<string>;
}

const isRunning = (c: InstanceInfo) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

/** Decides how to bring the store and the engine back in line. Idempotent: applying the result and deciding again yields nothing new. */
export function decideReconcile(input: ReconcileInput): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const now = input.now.getTime();
  const accounts = new Map(input.accounts.map((a) => [a.name, a]));
  const rows = new Map(input.ownership.map((o) => [`${o.account}\0${o.environment}`, o]));
  const mine = { storeId: input.storeId, adopted: input.adopted ?? new Set<string>(), recorded: new Set(input.ownership.map((o) => o.containerId)) };
  const containers = input.containers.filter((c) => isOwn(c, mine));
  const live = new Map(containers.map((c) => [c.id, c]));
  const expired = (a: Account | undefined) => !!a && a.expiresAt.getTime() <= now;
  const removed = new Set<string>();

  for (const c of containers) {
    if (c.state === 'removing') continue;
    const account = c.labels[LABEL_ACCOUNT];
    const environment = c.labels[LABEL_ENVIRONMENT];
    const base = { containerId: c.id, name: c.name };
    if (!account || !environment) {
      actions.push({ kind: 'remove', ...base, reason: 'orphan' });
      removed.add(c.id);
      continue;
    }
    const who = { account, environment };
    const acct = accounts.get(account);
    if (!acct) {
      actions.push({ kind: 'remove', ...base, ...who, reason: 'account_gone' });
      removed.add(c.id);
      continue;
    }
    if (expired(acct)) {
      actions.push({ kind: 'remove', ...base, ...who, reason: 'account_expired' });
      removed.add(c.id);
      continue;
    }
    const env = input.environments.get(environment);
    if (env?.days !== undefined && c.createdAt.getTime() + env.days * 86_400_000 <= now) {
      actions.push({ kind: 'remove', ...base, ...who, reason: 'environment_expired' });
      removed.add(c.id);
      continue;
    }
    const row = rows.get(`${account}\0${environment}`);
    if (!row) {
      actions.push({
        kind: 'adopt',
        ownership: {
          account,
          environment,
          containerId: c.id,
          containerName: c.name,
          createdAt: c.createdAt,
          state: isRunning(c) ? 'running' : 'stopped',
          ...(c.startedAt ? { startedAt: c.startedAt } : {}),
        },
      });
      rows.set(`${account}\0${environment}`, { account, environment, containerId: c.id, containerName: c.name, createdAt: c.createdAt });
      continue;
    }
    if (row.containerId !== c.id) {
      // The store names another container for this pair: keep that one if it exists, else adopt this one.
      if (live.has(row.containerId)) {
        actions.push({ kind: 'remove', ...base, ...who, reason: 'duplicate' });
        removed.add(c.id);
      } else
        actions.push({
          kind: 'adopt',
          ownership: { ...row, containerId: c.id, containerName: c.name, createdAt: c.createdAt, state: isRunning(c) ? 'running' : 'stopped' },
          replaces: row.containerId,
        });
      continue;
    }
    const state = isRunning(c) ? 'running' : 'stopped';
    if ((row.state ?? 'stopped') !== state) actions.push({ kind: 'sync_state', ...who, state });
  }

  for (const o of input.ownership) {
    const c = live.get(o.containerId);
    if (!c) {
      const replaced = containers.some((x) => x.labels[LABEL_ACCOUNT] === o.account && x.labels[LABEL_ENVIRONMENT] === o.environment && !removed.has(x.id));
      if (!replaced && accounts.has(o.account))
        actions.push({ kind: 'forget', account: o.account, environment: o.environment, containerId: o.containerId, reason: 'container_vanished' });
    } else if (removed.has(c.id) && accounts.has(o.account) && !expired(accounts.get(o.account))) {
      actions.push({ kind: 'forget', account: o.account, environment: o.environment, containerId: o.containerId, reason: 'environment_expired' });
    }
  }

  for (const a of input.accounts) if (expired(a)) actions.push({ kind: 'delete_account', account: a.name, reason: 'expired' });
  return actions;
}

/** A store read: taken once before the engine listing and once after it (decideReconcileBetween). */
export interface StoreSnapshot {
  readonly accounts: readonly Account[];
  readonly ownership: readonly Ownership[];
  readonly adopted: ReadonlySet<string>;
}

/**
 * The reconcile decision safe against trainees working meanwhile: `before` is read from the store
 * before the engine listing, `after` once it is done, and only actions both snapshots agree on are
 * returned. Why both: a row read before the listing names a container created before it, so a
 * container missing from the listing really vanished (`forget` is sound only with `before`); a
 * container in the listing was created after its account, so an account missing from a read after
 * the listing is really gone (`account_gone` is sound only with `after`). A login that creates an
 * account, a container and its row while the reconciler reads is therefore never undone: at worst
 * its effects are acted on one pass later. With no change in between, both snapshots are equal and
 * this is decideReconcile itself.
 */
export function decideReconcileBetween(
  input: Omit<ReconcileInput, 'accounts' | 'ownership' | 'adopted'> & { readonly before: StoreSnapshot; readonly after: StoreSnapshot },
): ReconcileAction[] {
  const { before, after, ...rest } = input;
  const key = (a: ReconcileAction) => JSON.stringify(a);
  const late = new Set(decideReconcile({ ...rest, ...after }).map(key));
  return decideReconcile({ ...rest, ...before }).filter((a) => late.has(key(a)));
}

export type CheckAction =
  | { readonly kind: 'notice'; readonly containerId: string; readonly minutesLeft: number; readonly keys: readonly string[] }
  | { readonly kind: 'stop'; readonly containerId: string; readonly account: string; readonly environment: string; readonly reason: 'max_runtime' | 'idle' }
  | { readonly kind: 'idle_candidate'; readonly containerId: string; readonly account: string; readonly environment: string };

export interface CheckInput {
  readonly now: Date;
  /** Rows the store believes are running. */
  readonly running: readonly Ownership[];
  readonly environments: ReadonlyMap<string, Environment>;
  /** Trainees attached right now, per container id. */
  readonly attached: (containerId: string) => number;
  /** When this ISLET process started: idleness is never counted from before it (attachments were not known then). */
  readonly since: Date;
  /** Notice keys already sent (so each notice goes out once per run). */
  readonly noticed: ReadonlySet<string>;
}

/** Minutes before the maximum running time at which attached trainees are warned. */
export const NOTICE_MINUTES = [5, 1] as const;

export function decideChecks(input: CheckInput): CheckAction[] {
  const out: CheckAction[] = [];
  const now = input.now.getTime();
  for (const row of input.running) {
    const env = input.environments.get(row.environment);
    if (!env) continue;
    const who = { containerId: row.containerId, account: row.account, environment: row.environment };
    if (env.timeout > 0 && row.startedAt) {
      const deadline = row.startedAt.getTime() + env.timeout * 1000;
      if (now >= deadline) {
        out.push({ kind: 'stop', ...who, reason: 'max_runtime' });
        continue;
      }
      // One notice per mark passed; a container that starts late past several marks gets one notice, not several.
      const due = NOTICE_MINUTES.filter((m) => deadline - now <= m * 60_000).map((m) => `${row.containerId}@${row.startedAt!.getTime()}:${m}`);
      if (due.some((k) => !input.noticed.has(k))) {
        out.push({ kind: 'notice', containerId: row.containerId, minutesLeft: Math.max(1, Math.ceil((deadline - now) / 60_000)), keys: due });
      }
    }
    if (env.idle_stop > 0 && input.attached(row.containerId) === 0) {
      const seen = Math.max(row.lastSeenAt?.getTime() ?? 0, row.startedAt?.getTime() ?? 0, input.since.getTime());
      if (now - seen >= env.idle_stop * 1000) out.push({ kind: 'idle_candidate', ...who });
    }
  }
  return out;
}
