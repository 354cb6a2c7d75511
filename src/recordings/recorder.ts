/**
 * Records what happens through a SessionHandler, as a decorator per door (like src/metrics/): the doors
 * and the session engine never know. Interactive sessions become asciicast v3 files (cast-writer.ts);
 * commands, file transfers and port forwards become JSON events (event-log.ts).
 *
 * Contract:
 * - The engine is handed the door's own Terminal, its write() shadowed for the session by one that also
 *   hands the output to the recording (an own property, removed when the session ends); every other
 *   property, the object's identity and its class are the door's (so the attach registry, the web door's
 *   sharing and later Terminal additions keep working). No Proxy: the engine reads the terminal per
 *   output chunk, and a Proxy made each read a trap call. Recording never waits: see BufferedFile.
 * - Input is recorded only when `input` is on, and only while the terminal is attached to a shell
 *   (never at ISLET's own prompts, where passwords are typed); the trainee is told at login.
 * - A gate login (no account yet) records under `_gate/` until its terminal is found attached to an
 *   account's shell (`locate`); the file then moves to that account's folder (the open file keeps
 *   being written: a rename does not disturb it).
 * - `<dir>/.writer` holds this server's pid and run token; a recording without an exit event is live
 *   only while that writer runs (recording-files.ts), otherwise it is listed as partial.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Terminal } from '../core/terminal.ts';
import type { Logger } from '../logger.ts';
import type { ContainerAccess, SessionHandler } from '../sessions/index.ts';
import { CastWriter } from './cast-writer.ts';
import { EventLog, type SessionEvent } from './event-log.ts';
import { recordedTools } from './recorded-tools.ts';

export interface RecordingSettings {
  readonly enabled: boolean;
  readonly input: boolean;
  /** Size cap per session in bytes (0: none). */
  readonly maxBytes: number;
}

export interface RecorderDeps {
  /** `<data>/recordings`. */
  readonly dir: string;
  readonly settings: () => RecordingSettings;
  /** Whether the terminal is attached to a shell now (input is recorded only then). */
  readonly inShell: (t: Terminal) => boolean;
  /** The account and environment whose shell the terminal is attached to, if any (for gate logins). */
  readonly locate?: (t: Terminal) => Promise<{ readonly account: string; readonly environment: string } | undefined>;
  readonly log: Logger;
  readonly now?: () => Date;
}

export const GATE_DIR = '_gate';
export const WRITER_FILE = '.writer';
export const INPUT_NOTICE = '[ISLET] This session is recorded, including what you type in your shell.';

/** How often a gate session looks for the account it reached. */
const LOCATE_MS = 2000;

export class Recorder {
  readonly #d: RecorderDeps;
  readonly #now: () => Date;
  readonly run = randomBytes(8).toString('hex');
  readonly events: EventLog;
  readonly #live = new Map<CastWriter, { path: string }>();

  constructor(d: RecorderDeps) {
    this.#d = d;
    this.#now = d.now ?? (() => new Date());
    mkdirSync(d.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(d.dir, WRITER_FILE), `${JSON.stringify({ pid: process.pid, run: this.run })}\n`, { mode: 0o600 });
    this.events = new EventLog(d.dir, this.#now, (err) => d.log.warn({ event: 'recording_failed', err }, 'an event file could not be written'));
  }

  /** The files being written now (absolute paths). */
  livePaths(): Set<string> {
    return new Set([...this.#live.values()].map((v) => v.path));
  }

  wrap(handler: SessionHandler, door: string): SessionHandler {
    return {
      handle: async (term, who, hints) => {
        const s = this.#d.settings();
        if (!s.enabled) return handler.handle(term, who, hints);
        const { done } = this.#record(term, who.account, door, who.account ? `${who.account}${who.environment ? `+${who.environment}` : ''}` : 'gate', s);
        try {
          return await handler.handle(term, who, hints);
        } finally {
          await done();
        }
      },
      exec: async (io, who, command, opts) => {
        const on = this.#d.settings().enabled && !!who.account;
        const base = { account: who.account ?? '', environment: who.environment ?? '', door };
        const t0 = performance.now();
        if (on) this.#event({ type: 'exec_started', ...base, command: command.slice(0, 4096), tty: !!opts.tty });
        let code = 255;
        try {
          code = await handler.exec(io, who, command, opts);
          return code;
        } finally {
          if (on) this.#event({ type: 'exec_ended', ...base, exit_code: code, ms: Math.round(performance.now() - t0) });
        }
      },
      openContainer: async (who) => {
        const c: ContainerAccess = await handler.openContainer(who);
        if (!this.#d.settings().enabled || !who.account) return c;
        const base = { account: who.account, environment: c.env.name, door };
        this.#event({ type: 'files_opened', ...base });
        return { ...c, tools: recordedTools(c.tools, (op, paths) => this.#event({ type: 'file', ...base, op, paths })) };
      },
      openPort: async (who, host, port) => {
        const on = this.#d.settings().enabled && !!who.account;
        const base = { account: who.account ?? '', door, host: host.slice(0, 80), port };
        try {
          const r = await handler.openPort(who, host, port);
          if (on) {
            this.#event({ type: 'forward_opened', ...base, environment: r.environment });
            void r.connection.exited.then(() => this.#event({ type: 'forward_closed', ...base, environment: r.environment }));
          }
          return r;
        } catch (err) {
          if (on) this.#event({ type: 'forward_refused', ...base, code: (err as { code?: string }).code ?? 'unknown' });
          throw err;
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.events.close();
  }

  #event(e: SessionEvent): void {
    this.events.record(e);
  }

  #record(term: Terminal, account: string | undefined, door: string, login: string, s: RecordingSettings): { done: () => Promise<void> } {
    const now = this.#now();
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const id = randomBytes(4).toString('hex');
    const file = `${stamp}-${door}-${id}.cast`;
    const entry = { path: join(this.#d.dir, account ?? GATE_DIR, file) };
    const size = term.size();
    const w = new CastWriter(
      entry.path,
      {
        cols: size.cols,
        rows: size.rows,
        term: term.term,
        title: `${login} (${door})`,
        islet: { account: account ?? '', door, login, pid: process.pid, run: this.run, input: s.input },
      },
      {
        maxBytes: s.maxBytes,
        startedAt: now.getTime(),
        onError: (err) => this.#d.log.warn({ event: 'recording_failed', err, file }, 'a session recording could not be written'),
      },
    );
    this.#live.set(w, entry);
    const offResize = term.onResize((sz) => w.resize(sz.cols, sz.rows));
    // Checked per chunk (a list of the attached terminals; input is human-rate): a cached answer would miss the
    // first keystrokes after a fast reattach.
    const offInput = s.input
      ? term.onData((b) => {
          if (this.#d.inShell(term)) w.input(b);
        })
      : () => undefined;
    // The one place output reaches the door: every writer (engine, menu, notices, watchers) calls term.write.
    const ownWrite = Object.hasOwn(term, 'write');
    const doorWrite = term.write;
    const write = (data: string | Uint8Array): boolean => {
      w.output(data);
      return doorWrite.call(term, data);
    };
    term.write = write;
    if (s.input) term.write(`${INPUT_NOTICE}\r\n`);
    const locator = account === undefined && this.#d.locate ? setInterval(() => void this.#locate(term, entry, file, locator), LOCATE_MS).unref() : undefined;
    return {
      done: async () => {
        if (locator) clearInterval(locator);
        // Only our own shadow is removed (a later wrapper's, if any, stays).
        if (term.write === write) {
          if (ownWrite) term.write = doorWrite;
          else Reflect.deleteProperty(term, 'write');
        }
        offResize();
        offInput();
        await w.exit(0);
        this.#live.delete(w);
      },
    };
  }

  /** A gate session: once its terminal is on an account's shell, its recording moves to that account. */
  async #locate(t: Terminal, entry: { path: string }, file: string, timer: NodeJS.Timeout | undefined): Promise<void> {
    const where = await this.#d.locate?.(t).catch(() => undefined);
    if (!where || !entry.path.includes(`/${GATE_DIR}/`)) return;
    if (timer) clearInterval(timer);
    const to = join(this.#d.dir, where.account, basename(file));
    try {
      // The folder usually exists (the account's earlier recordings, events): made only when the move says so.
      await rename(entry.path, to).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(join(this.#d.dir, where.account), { recursive: true, mode: 0o700 });
        await rename(entry.path, to);
      });
      entry.path = to;
    } catch (err) {
      this.#d.log.warn({ event: 'recording_failed', err, file }, 'a gate recording could not be moved to its account');
    }
  }
}
