/**
 * The roster the instructor console shows: one row per (account, environment)
 * with a container, plus one per account without any, plus one per trainee
 * sitting in the menu (at the banner or logged in, no shell yet: who may be
 * stuck), built from the store
 * (accounts, containers, expiry, last stop reason), who is attached now
 * (terminals, their door, since when, last input), the screen model's
 * terminal title and the sampled CPU and memory.
 *
 * Contract: `diff` gives only the rows that changed since the previous call
 * (and the keys that went away), so a steady room costs a few bytes a second
 * per console; times are epoch ms (the page computes idle and connected
 * times itself, so they need no update). Strings in rows are the trainee's
 * own (names, titles): the page must show them as text.
 */
import type { Terminal } from '../core/terminal.ts';
import type { Presence } from '../sessions/attach-registry.ts';
import type { MenuEntry } from '../sessions/menu-roster.ts';
import type { Account, Ownership, Store } from '../store/store.ts';
import type { Usage } from './usage-sampler.ts';

export interface RosterRow {
  readonly key: string;
  /** '' for a menu row still at the banner (nobody logged in yet). */
  readonly account: string;
  /** Null for an account with no container. */
  readonly environment: string | null;
  /**
   * `menu`: a trainee in ISLET's menu, in no shell (one row per menu session). `created`: the container is made but
   * has never run (it is starting: its start may wait behind the engine's mutation cap; a start that failed stays so);
   * `stopped`: it ran. A trainee waiting in the admission line has no container yet (`none`).
   */
  readonly state: 'running' | 'created' | 'stopped' | 'none' | 'menu';
  /** The door of each attached terminal (`ssh`, `web`), sorted. */
  readonly doors: readonly string[];
  /** Earliest attach among the attached terminals (epoch ms). */
  readonly since: number | null;
  /** Last input from an attached terminal, else when a trainee last left (epoch ms). */
  readonly lastInput: number | null;
  readonly cpuPercent: number | null;
  readonly memoryBytes: number | null;
  /** Null for a menu row with no (existing) account yet. */
  readonly expiresAt: number | null;
  readonly startedAt: number | null;
  readonly stopReason: string | null;
  readonly title: string | null;
}

export interface Capacity {
  readonly running: number;
  /** 0: no limit. */
  readonly max: number;
  readonly waiting: number;
}

export interface RosterSources {
  readonly store: Pick<Store, 'listAccounts' | 'listOwnership'>;
  readonly attached: { terminals(containerId: string): Terminal[]; presence(t: Terminal): Presence | undefined };
  readonly doorOf: (t: Terminal) => string | undefined;
  readonly title: (containerId: string) => string | undefined;
  readonly usage: (containerId: string) => Usage | undefined;
  readonly capacity: () => { max: number; waiting: number };
  /** Menu sessions not attached to a shell (MenuRoster.select); absent: no menu rows. */
  readonly menus?: () => readonly MenuEntry[];
}

export interface RosterSnapshot {
  readonly rows: RosterRow[];
  readonly capacity: Capacity;
  /** Running containers' ids (the sampler's targets). */
  readonly running: string[];
}

const num = (d: Date | undefined) => (d ? d.getTime() : null);
const round = (n: number | undefined, places: number) => (n === undefined ? null : Math.round(n * 10 ** places) / 10 ** places);

/** What the roster reads from the store: every account and every container's ownership. */
export interface StoredRoster {
  readonly accounts: readonly Account[];
  readonly owned: readonly Ownership[];
}

export async function readStored(store: RosterSources['store']): Promise<StoredRoster> {
  const [accounts, owned] = await Promise.all([store.listAccounts(), store.listOwnership()]);
  return { accounts, owned };
}

/** The roster now; `stored`: the store's part read earlier (the hub reuses it between passes), else read now. */
export async function rosterSnapshot(s: RosterSources, stored?: StoredRoster): Promise<RosterSnapshot> {
  const { accounts, owned } = stored ?? (await readStored(s.store));
  const expiry = new Map(accounts.map((a) => [a.name, a.expiresAt.getTime()]));
  const rows: RosterRow[] = [];
  const withContainer = new Set<string>();
  const running: string[] = [];
  for (const o of owned) {
    const exp = expiry.get(o.account);
    if (exp === undefined) continue;
    withContainer.add(o.account);
    const terms = s.attached.terminals(o.containerId).filter((t) => !t.closed);
    let since: number | null = null;
    let lastInput: number | null = null;
    const doors: string[] = [];
    for (const t of terms) {
      const p = s.attached.presence(t);
      doors.push(s.doorOf(t) ?? 'other');
      if (p) {
        since = since === null ? p.since : Math.min(since, p.since);
        lastInput = lastInput === null ? p.lastInput : Math.max(lastInput, p.lastInput);
      }
    }
    // The store keeps running/stopped; a row with neither a start time nor a stop reason has never run.
    const state = o.state === 'running' ? 'running' : o.startedAt === undefined && o.stopReason === undefined ? 'created' : 'stopped';
    if (state === 'running') running.push(o.containerId);
    const u = state === 'running' ? s.usage(o.containerId) : undefined;
    rows.push({
      key: `${o.account}\u0000${o.environment}`,
      account: o.account,
      environment: o.environment,
      state,
      doors: doors.sort(),
      since,
      lastInput: lastInput ?? num(o.lastSeenAt),
      cpuPercent: round(u?.cpuPercent, 1),
      memoryBytes: u?.memoryBytes ?? null,
      expiresAt: exp,
      startedAt: num(o.startedAt),
      stopReason: o.stopReason ?? null,
      title: s.title(o.containerId) || null,
    });
  }
  for (const a of accounts) {
    if (withContainer.has(a.name)) continue;
    rows.push({
      key: `${a.name}\u0000`,
      account: a.name,
      environment: null,
      state: 'none',
      doors: [],
      since: null,
      lastInput: null,
      cpuPercent: null,
      memoryBytes: null,
      expiresAt: a.expiresAt.getTime(),
      startedAt: null,
      stopReason: null,
      title: null,
    });
  }
  for (const e of s.menus?.() ?? []) {
    const account = e.account() ?? '';
    rows.push({
      key: `\u0000menu\u0000${e.id}`,
      account,
      environment: null,
      state: 'menu',
      doors: [s.doorOf(e.term) ?? 'other'],
      since: e.since,
      lastInput: e.lastInput,
      cpuPercent: null,
      memoryBytes: null,
      expiresAt: expiry.get(account) ?? null,
      startedAt: null,
      stopReason: null,
      title: null,
    });
  }
  const c = s.capacity();
  return { rows, capacity: { running: running.length, max: c.max, waiting: c.waiting }, running };
}

/** Whether two rows show the same (field by field: no JSON text is made for the comparison). */
export function sameRow(a: RosterRow, b: RosterRow): boolean {
  if (a === b) return true;
  for (const k of ROW_SCALARS) if (a[k] !== b[k]) return false;
  if (a.doors.length !== b.doors.length) return false;
  for (let i = 0; i < a.doors.length; i++) if (a.doors[i] !== b.doors[i]) return false;
  return true;
}

const ROW_SCALARS = [
  'key',
  'account',
  'environment',
  'state',
  'since',
  'lastInput',
  'cpuPercent',
  'memoryBytes',
  'expiresAt',
  'startedAt',
  'stopReason',
  'title',
] as const satisfies readonly Exclude<keyof RosterRow, 'doors'>[];

/** Remembers what a console was sent and answers only what changed. */
export class RosterDiff {
  readonly #sent = new Map<string, RosterRow>();

  /** The rows to (re)send and the keys to drop; everything on the first call. */
  diff(rows: readonly RosterRow[]): { upsert: RosterRow[]; remove: string[] } {
    const upsert: RosterRow[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.key);
      const was = this.#sent.get(r.key);
      if (was === undefined || !sameRow(was, r)) {
        this.#sent.set(r.key, r);
        upsert.push(r);
      }
    }
    // Every row's key is in #sent now: more keys there means some went away.
    const remove: string[] = [];
    if (this.#sent.size > seen.size) for (const k of this.#sent.keys()) if (!seen.has(k)) remove.push(k);
    for (const k of remove) this.#sent.delete(k);
    return { upsert, remove };
  }
}
