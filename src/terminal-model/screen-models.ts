/**
 * One screen model per live container shell, shared by every viewer of it
 * (SSH or browser). Every viewer has its own engine attachment carrying the
 * same output, so only one of them — the oldest still attached — feeds the
 * model; when it leaves, the next one takes over.
 *
 * A model outlives its viewers (that is the point: the next reattach paints it),
 * so detached models are bounded by `maxDetached`, the least recently used going
 * first. The caller drops a model when its shell ends or the container starts
 * afresh (a restarted container keeps its id but not its screen).
 *
 * Models idle for `hibernateAfterMs` are put to sleep (ScreenModel.hibernate: only
 * the serialized screen is kept), checked every few seconds and one model per
 * event-loop turn, so a sweep over a thousand idle shells never holds a keystroke
 * for more than one serialize.
 */
import type { TtySize } from '../core/terminal.ts';
import { ScreenModel, SCREEN_DEFAULTS, type ScreenState } from './screen-model.ts';

export interface ScreenModelsOptions {
  /** Read at every attach: off means no model is kept and nothing is painted (the old behaviour). */
  readonly enabled: () => boolean;
  readonly scrollback?: number;
  readonly maxQueuedBytes?: number;
  readonly cooldownMs?: number;
  /** Models kept for shells nobody is attached to. */
  readonly maxDetached?: number;
  /** A model with no output, resize or read for this long keeps only its serialized screen; HIBERNATE_AFTER_MS by default, 0: never. */
  readonly hibernateAfterMs?: number;
  /** Output a sleeping model keeps unparsed (ScreenModel's rawLimitBytes; its default when unset). */
  readonly rawLimitBytes?: number;
  /** Asks the program in the container to redraw (a size nudge), after a model overflowed. */
  readonly redraw: (containerId: string, size: TtySize) => void;
}

/** A viewer's handle on the shared model; every call is a no-op once `leave` was called. */
export interface ScreenViewer {
  feed(b: Uint8Array): void;
  resize(size: TtySize): void;
  leave(): void;
}

interface Entry {
  readonly model: ScreenModel;
  readonly viewers: object[];
}

/** Longest a reattach waits for its paint. */
const RESTORE_WAIT_MS = 500;

/** Clears the client's screen and resets its attributes before a snapshot is painted on it. */
export const PAINT_PREFIX = '\x1b[0m\x1b[H\x1b[2J';

/**
 * Detached models kept by default: up to ~0.8 MiB each awake at 120x40 (bench/terminal-model.ts), a few KiB once
 * asleep (idle HIBERNATE_AFTER_MS), so well under ~400 MiB for shells nobody watches; the model of a container
 * stopped meanwhile lingers until evicted or restarted.
 */
export const DEFAULT_MAX_DETACHED = 500;

/**
 * Idle time before a model sleeps. A room mostly reads and listens between commands; waking costs one parse of
 * the saved screen (a millisecond or two, on the parse gate, off the keystroke path), so ten seconds is cheap
 * even for a trainee who types every quarter minute.
 */
export const HIBERNATE_AFTER_MS = 10_000;

export class ScreenModels {
  readonly #o: ScreenModelsOptions;
  /** Insertion order = recency for detached models (re-inserted on use). */
  readonly #m = new Map<string, Entry>();
  #sweep: NodeJS.Timeout | undefined;
  #sleeping = false;

  constructor(o: ScreenModelsOptions) {
    this.#o = o;
  }

  /** Models asleep now (their screens kept as strings). */
  get asleep(): number {
    let n = 0;
    for (const e of this.#m.values()) if (e.model.asleep) n++;
    return n;
  }

  #startSweep(): void {
    const after = this.#o.hibernateAfterMs ?? HIBERNATE_AFTER_MS;
    if (this.#sweep || after <= 0) return;
    this.#sweep = setInterval(() => this.#hibernateIdle(after), Math.max(50, Math.min(5000, after / 2)));
    this.#sweep.unref?.();
  }

  /** Puts every model idle for `after` ms to sleep, one per event-loop turn. */
  #hibernateIdle(after: number): void {
    if (this.#sleeping) return; // the last sweep is still going
    const now = performance.now();
    const idle = [...this.#m.values()].filter((e) => !e.model.asleep && e.model.idleMs(now) >= after).map((e) => e.model);
    if (!idle.length) return;
    this.#sleeping = true;
    const next = (): void => {
      const model = idle.pop();
      if (!model) {
        this.#sleeping = false;
        return;
      }
      // Still idle and still ours (it may have been fed, read or dropped since the sweep began).
      if (model.idleMs() >= after) model.hibernate();
      setImmediate(next);
    };
    next();
  }

  get size(): number {
    return this.#m.size;
  }

  /**
   * Joins a container's model as a viewer (creating the model at `size` if none), or
   * undefined when screen restore is off.
   */
  join(containerId: string, size: TtySize): ScreenViewer | undefined {
    if (!this.#o.enabled()) {
      this.drop(containerId);
      return undefined;
    }
    let e = this.#m.get(containerId);
    if (!e) {
      const model = new ScreenModel({
        size,
        scrollback: this.#o.scrollback ?? SCREEN_DEFAULTS.scrollback,
        maxQueuedBytes: this.#o.maxQueuedBytes ?? SCREEN_DEFAULTS.maxQueuedBytes,
        cooldownMs: this.#o.cooldownMs ?? SCREEN_DEFAULTS.cooldownMs,
        ...(this.#o.rawLimitBytes === undefined ? {} : { rawLimitBytes: this.#o.rawLimitBytes }),
        onResync: () => {
          if (this.#m.get(containerId)?.model === model) this.#o.redraw(containerId, model.size);
        },
      });
      e = { model, viewers: [] };
      this.#startSweep();
    } else this.#m.delete(containerId);
    this.#m.set(containerId, e);
    const token = {};
    e.viewers.push(token);
    const entry = e;
    let left = false;
    return {
      feed: (b) => {
        if (!left && entry.viewers[0] === token) entry.model.feed(b);
      },
      resize: (s) => {
        if (!left) entry.model.resize(s);
      },
      leave: () => {
        if (left) return;
        left = true;
        entry.viewers.splice(entry.viewers.indexOf(token), 1);
        this.#trim();
      },
    };
  }

  /**
   * What to paint on a reattaching client: the container's current screen at `size`
   * (prefixed with a clear), or undefined when there is no model or it is resynchronising.
   */
  async restore(containerId: string, size: TtySize): Promise<string | undefined> {
    const e = this.#m.get(containerId);
    if (!e || !this.#o.enabled()) return undefined;
    e.model.resize(size);
    // A reattach never waits long for the model: past the limit it goes on as before (no paint).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), RESTORE_WAIT_MS);
    });
    const s = await Promise.race([e.model.snapshot(), late]).finally(() => clearTimeout(timer));
    return s === undefined ? undefined : PAINT_PREFIX + s;
  }

  /** The container's cursor and active buffer (ScreenModel.state), waiting at most as long as a reattach; undefined: no model. */
  async state(containerId: string): Promise<ScreenState | undefined> {
    const e = this.#m.get(containerId);
    if (!e || !this.#o.enabled()) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), RESTORE_WAIT_MS);
    });
    return Promise.race([e.model.state(), late]).finally(() => clearTimeout(timer));
  }

  /** The terminal title the container's shell set last; undefined without a model. */
  title(containerId: string): string | undefined {
    return this.#m.get(containerId)?.model.title;
  }

  /** Forgets a container's model (its shell ended, it was removed, or it starts afresh). */
  drop(containerId: string): void {
    const e = this.#m.get(containerId);
    if (!e) return;
    this.#m.delete(containerId);
    e.model.dispose();
  }

  /** Disposes the least recently used detached models beyond `maxDetached`. */
  #trim(): void {
    const max = this.#o.maxDetached ?? DEFAULT_MAX_DETACHED;
    let detached = 0;
    for (const e of this.#m.values()) if (e.viewers.length === 0) detached++;
    for (const [id, e] of this.#m) {
      if (detached <= max) break;
      if (e.viewers.length === 0) {
        this.drop(id);
        detached--;
      }
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const id of [...this.#m.keys()]) this.drop(id);
  }
}
