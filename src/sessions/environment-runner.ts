/**
 * Puts a trainee's terminal into their container for one environment:
 * creates it on first use, starts it again after an exit, or re-attaches to
 * the live shell, and returns when the shell exits or the client leaves.
 *
 * Contract: one container per (account, environment), named
 * `<prefix>.<environment>.<account>` and labelled with both; the store records
 * it. Leaving (even abruptly) only detaches: the shell keeps running.
 * The login path makes no engine-wide calls (no info, no listing).
 */
import type { Environment } from '../config/schema.ts';
import type { Terminal, TtySize } from '../core/terminal.ts';
import type { Attachment } from '../runtime/runtime-driver.ts';
import { AttachRegistry } from './attach-registry.ts';
import { POOL_TTY } from './warm-pool.ts';
import { ScreenModels } from '../terminal-model/screen-models.ts';
import { ShellTaps } from './shell-taps.ts';
import { pipeShell } from './shell-pipe.ts';
import { PairContainers } from './pair-containers.ts';
import { LOST_MESSAGE, PairProvisioner, type ProvisionerDeps } from './pair-provisioner.ts';
import { startProgress } from './start-progress.ts';

/** Input typed (or pasted) while the container starts, kept for the shell. */
const EARLY_INPUT_MAX = 64 * 1024;

export type RunOutcome = 'exited' | 'closed' | 'interrupted';

/** The provisioner's dependencies (driver, store, log, instance, labels, admission, pool, networks), and: */
export interface RunnerDeps extends ProvisionerDeps {
  readonly now?: () => Date;
  /** Screen restore on reattach (src/terminal-model/), read at every attach; off when absent. */
  readonly screenRestore?: () => boolean;
  /** At a reattach: what to tell when the instance's machine is being retired (src/sessions/drain-notices.ts). */
  readonly retiringNotice?: (id: string) => string | undefined;
  /**
   * Told of a trainee's input just before it is passed on to container `id`'s shell (the CPU-weight governor's
   * typing weight: src/lifecycle/cpu-weight-governor.ts); must be cheap and must not throw.
   */
  readonly typed?: (id: string, b: Buffer) => void;
}

export class EnvironmentRunner {
  readonly #d: RunnerDeps;
  /** Per (account, environment): in this process and on every front door sharing the store (Store.exclusive). */
  readonly #lock = { run: <T>(key: string, fn: () => Promise<T>): Promise<T> => this.#d.store.exclusive(key, fn) };
  readonly #now: () => Date;
  /** Finds (and repairs the row of) each pair's container. */
  readonly #pairs: PairContainers;
  /** Finds, claims or creates the pair's container, and starts it. */
  readonly #provisioner: PairProvisioner;
  /** Terminals attached per container: the lifecycle reads it for notices and idleness. */
  readonly attached = new AttachRegistry();

  /** The terminals attached to `account`'s shell in `environment` now (a door offering to share or take it over). */
  async shellsOf(account: string, environment: string): Promise<Terminal[]> {
    const id = (await this.#d.store.getOwnership(account, environment))?.containerId;
    return id ? this.attached.terminals(id) : [];
  }
  /** One screen model per live shell, painted on every reattach (issue 12.4). */
  readonly screens: ScreenModels;
  /** Live shells for the instructor console: watch, ask to type, notices and broadcasts (shell-taps.ts). */
  readonly taps: ShellTaps;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#pairs = new PairContainers(deps);
    this.#provisioner = new PairProvisioner(deps, this.#pairs, this.#now);
    this.screens = new ScreenModels({
      enabled: deps.screenRestore ?? (() => false),
      redraw: (id, size) => {
        void this.#nudge(id, size).catch(() => undefined);
      },
    });
    this.taps = new ShellTaps({
      screens: this.screens,
      redraw: (id, size) => {
        void this.#nudge(id, size).catch(() => undefined);
      },
      // Audit: what an instructor types is logged as theirs, never as the trainee's (Teleport #2324).
      onInput: (e) => deps.log.info({ event: 'instructor_input', ...e }, 'instructor typed in a trainee shell'),
    });
  }

  /** A live program redraws on SIGWINCH; a same-size resize sends none, so nudge the size. */
  async #nudge(id: string, size: TtySize): Promise<void> {
    if (size.rows <= 1) return;
    await this.#d.driver.resize(id, { cols: size.cols, rows: size.rows - 1 });
    await this.#d.driver.resize(id, size);
  }

  containerName(envName: string, account: string): string {
    return this.#pairs.name(envName, account);
  }

  labels(envName: string, account: string): Record<string, string> {
    return this.#pairs.labels(envName, account);
  }

  /**
   * Runs the trainee's shell until it exits or the client leaves. `say` prints ISLET messages;
   * `typeahead` (and anything typed while the container starts) reaches the shell once it is attached;
   * `motd` is printed after the greeting, as the original did.
   */
  async run(
    term: Terminal,
    account: string,
    env: Environment,
    say: (text: string) => void,
    opts: { typeahead?: Buffer; motd?: string } = {},
  ): Promise<RunOutcome> {
    const typeahead = opts.typeahead ?? Buffer.alloc(0);
    const { driver, log } = this.#d;
    const started = performance.now();
    const size = term.size();
    const early: Buffer[] = typeahead.length ? [typeahead] : [];
    let earlyBytes = typeahead.length;
    // Typed while the container starts: kept up to EARLY_INPUT_MAX bytes (a paste beyond that is dropped).
    const offEarly = term.onData((b) => {
      if (earlyBytes + b.length <= EARLY_INPUT_MAX) {
        early.push(b);
        earlyBytes += b.length;
      }
    });
    const progress = startProgress(say);
    let attached;
    try {
      attached = await this.#attach(term, account, env, progress.say, size, opts.motd ?? '');
    } finally {
      offEarly();
      progress.stop();
    }
    const { info, att, fresh, running, warm } = attached;
    let piped = false;
    try {
      for (const b of early) att.input.write(b);
      await this.#d.store.markSeen(account, env.name, this.#now());
      piped = true;
    } finally {
      if (!piped) {
        this.attached.remove(info.id, term);
        att.detach();
      }
    }
    const ms = Math.round(performance.now() - started);
    // path: how the shell was reached (metrics' time to shell, src/metrics/log-metrics.ts).
    const path = fresh ? (warm ? 'warm' : 'new') : running ? 'reattach' : 'restart';
    log.info(
      {
        event: fresh ? 'environment_started' : 'environment_attached',
        account,
        environment: env.name,
        container: info.id.slice(0, 12),
        client: term.remoteAddress,
        ms,
        path,
      },
      fresh ? 'environment started' : 'environment attached',
    );
    let outcome: 'ended' | 'closed';
    try {
      outcome = await pipeShell(
        term,
        info.id,
        att,
        { account, environment: env.name },
        { screens: this.screens, taps: this.taps, driver: this.#d.driver, ...(this.#d.typed ? { typed: this.#d.typed } : {}) },
      );
    } finally {
      this.attached.remove(info.id, term);
      await this.#d.store.markSeen(account, env.name, this.#now());
    }
    if (outcome === 'closed') {
      log.info({ event: 'environment_detached', account, environment: env.name, client: term.remoteAddress }, 'trainee left; container keeps running');
      return outcome;
    }
    const after = await driver.inspect(info.id).catch(() => undefined);
    if (after?.state === 'running') {
      log.warn({ event: 'environment_stream_lost', account, environment: env.name }, 'attach stream ended while the container runs');
      say('\nThe connection to your environment was interrupted; choose it again to reattach.\n');
      return 'interrupted';
    }
    this.screens.drop(info.id);
    if (after?.lost) {
      // A cluster node lost or drained under the shell (src/runtime/swarm/): say so, and record what was lost.
      log.warn({ event: 'environment_lost', account, environment: env.name, lost: after.lost }, 'the environment was lost with its node');
      say(`\n${LOST_MESSAGE}\n`);
    }
    await this.#d.store.markStopped(account, env.name, after?.lost ? `lost: ${after.lost}` : 'shell exited');
    this.#d.admission?.changed();
    if (!after || env.remove_on_exit) {
      if (after) await driver.remove(info.id).catch(() => undefined);
      await this.#d.store.deleteOwnership(account, env.name);
    }
    log.info({ event: 'environment_exited', account, environment: env.name, exitCode: after?.exitCode ?? null, client: term.remoteAddress }, 'shell exited');
    return 'exited';
  }

  /** Find-or-create under a per-pair lock, then attach before start so no output is lost. */
  #attach(term: Terminal, account: string, env: Environment, say: (text: string) => void, size: TtySize, motd: string) {
    const { driver } = this.#d;
    return this.#lock.run(`${account}\0${env.name}`, async () => {
      const { info, fresh, running, release, warm } = await this.#provisioner.prepare(account, env, say, () => term.closed, size, term.term);
      say(fresh ? 'Enjoy yourself!\n' : 'Welcome back!\n');
      const retiring = fresh ? undefined : this.#d.retiringNotice?.(info.id);
      if (retiring) say(`${retiring}\n`);
      if (motd) say(motd);
      if (env.remove_on_exit && !running) say('This container is set to be terminated upon exit, work will not be saved.\n');
      let att: Attachment;
      try {
        att = await driver.attach(info.id);
      } catch (err) {
        release();
        throw err;
      }
      // In the shell from here on: keys typed at the painted screen (or while it starts) reach the shell, so
      // the recorder and the lifecycle must count this terminal as attached already. run() removes it.
      this.attached.add(info.id, term, { account, environment: env.name });
      try {
        if (!running) {
          this.screens.drop(info.id);
          await this.#provisioner.start(account, env, info.id, release);
        }
        // Reattach: paint the current screen first (the new attachment's output waits until pipeShell).
        const screen = running ? await this.screens.restore(info.id, size) : undefined;
        if (screen !== undefined && !term.closed) term.write(screen);
        await driver.resize(info.id, size);
        // The nudge makes a live program redraw when the resize above sends no SIGWINCH (same size). A claimed
        // pool container's size is known (nobody has resized it since the pool made it): when the trainee's
        // differs, the resize above was the signal, and two more engine calls per warm login are saved.
        const resized = warm && (POOL_TTY.cols !== size.cols || POOL_TTY.rows !== size.rows);
        if (running && !resized) await this.#nudge(info.id, size);
      } catch (err) {
        this.attached.remove(info.id, term);
        att.detach();
        throw err;
      }
      return { info, att, fresh, running, warm };
    });
  }

  /**
   * Makes sure the pair's container runs (creating and starting it as for a login) and returns its id,
   * for commands of a direct `alice+env` login. Admission applies; nothing is printed.
   */
  ensureRunning(account: string, env: Environment): Promise<string> {
    return this.#lock.run(`${account}\0${env.name}`, async () => {
      const { info, running, release } = await this.#provisioner.prepare(
        account,
        env,
        () => {},
        () => false,
      );
      if (!running) await this.#provisioner.start(account, env, info.id, release);
      return info.id;
    });
  }

  /** Removes one environment's container and its record ("Delete a training environment"). */
  async reset(account: string, envName: string): Promise<boolean> {
    return this.#lock.run(`${account}\0${envName}`, async () => {
      const row = await this.#d.store.getOwnership(account, envName);
      // By name only what this store owns: another ISLET's container of the same name is left alone.
      const named = await this.#d.driver.inspect(this.containerName(envName, account));
      const byName = named && (await this.#pairs.owns(named)) ? named : undefined;
      const existed = !!row || !!byName;
      if (row) this.screens.drop(row.containerId);
      if (byName) this.screens.drop(byName.id);
      if (row) await this.#d.driver.remove(row.containerId);
      if (byName && byName.id !== row?.containerId) await this.#d.driver.remove(byName.id);
      await this.#d.store.deleteOwnership(account, envName);
      return existed;
    });
  }

  /** Removes every container an account owns (account deletion; the original left them behind, its issue #69). */
  async removeAll(account: string): Promise<void> {
    for (const o of await this.#d.store.listOwnership(account)) await this.reset(account, o.environment);
  }
}
