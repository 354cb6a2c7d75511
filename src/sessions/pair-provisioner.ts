/**
 * Makes the container of one (account, environment) pair ready to attach: finds it (store row, then name), or
 * claims a warm one from the pool, or creates it, after admission when it is not running; and starts it.
 *
 * Contract: every call runs under the pair's lock (the runner's `Store.exclusive`); `prepare` asks the engine nothing
 * about the pair's container before create or claim (issue 15.4; a claim by store lease looks the name up first).
 * The caller must call the returned `release` once the start is recorded or abandoned (`start` does it), so the
 * admission place is held exactly while the container starts.
 * Its paths are tested through the runner (environment-runner.test.ts: create, claim, repair, refuse, release).
 */
import type { Environment } from '../config/schema.ts';
import type { TtySize } from '../core/terminal.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Logger } from '../logger.ts';
import type { InstanceInfo, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { LABEL_INSTANCE } from '../runtime/names.ts';
import type { Store } from '../store/store.ts';
import { mayUse, notAllowed } from './allowed-environments.ts';
import type { Admission } from './admission.ts';
import type { PairContainers } from './pair-containers.ts';
import type { WarmPool } from './warm-pool.ts';

/** Create's refusal for an image the engine does not have (IMAGE_MISSING; a driver may say RUNTIME_FAILED 404). */
const imageMissing = (err: unknown) =>
  err instanceof IsletError && (err.code === 'IMAGE_MISSING' || (err.code === 'RUNTIME_FAILED' && err.detail.statusCode === 404));

/** What a trainee is told when the machine that ran their environment is gone (a cluster node lost or drained). */
export const LOST_MESSAGE = 'The machine that ran your environment is no longer available; what was in it is lost.';

export interface ProvisionerDeps {
  readonly driver: RuntimeDriver;
  readonly store: Store;
  readonly log: Logger;
  /** Container name prefix and the value of the islet.instance label (lets several ISLETs share an engine). */
  readonly instance: string;
  /** Extra labels on every container and network (tests add islet.test). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Capacity limits; none when absent. */
  readonly admission?: Admission;
  /** Name of ISLET's trainee bridge network for `network: bridge` environments. */
  readonly bridgeNetwork?: string;
  /** Warm pools: a new trainee claims a running container instead of waiting for a start. */
  readonly pool?: WarmPool;
  /** For `lab_network` environments: prepares the environment's lab network (src/catalogue/lab-network.ts) and names it. */
  readonly labNetwork?: (env: Environment) => Promise<string>;
}

/** The pair's container as `prepare` leaves it. */
export interface Prepared {
  readonly info: InstanceInfo;
  /** Created (or claimed warm) by this call: the trainee is greeted as new. */
  readonly fresh: boolean;
  readonly running: boolean;
  /** Gives back the admission place; a no-op when none is held. */
  readonly release: () => void;
  /** Claimed from the warm pool. */
  readonly warm: boolean;
}

export class PairProvisioner {
  readonly #d: ProvisionerDeps;
  readonly #pairs: PairContainers;
  readonly #now: () => Date;

  constructor(deps: ProvisionerDeps, pairs: PairContainers, now: () => Date) {
    this.#d = deps;
    this.#pairs = pairs;
    this.#now = now;
  }

  /**
   * Finds the pair's container or creates it, after admission when it is not running.
   * The caller must call `release` once the start is recorded (or abandoned). Runs under the pair's lock.
   */
  async prepare(account: string, env: Environment, say: (text: string) => void, gone: () => boolean, size?: TtySize, termName?: string): Promise<Prepared> {
    const { driver } = this.#d;
    // The account (may it use this environment?) and the pair's row in one store read (one round trip).
    const read = await this.#d.store.getAccountAndOwnership(account, env.name);
    if (!mayUse(read.account?.environments, env.name)) throw notAllowed(account, env.name);
    // No engine call before create or claim (issue 15.4): a container under the pair's name (from before the store
    // lost its row, or the pool) shows up as create's 409, or as the 409 of a claim's rename (Docker). Only a claim
    // by store lease (Swarm) leaves the pool name, so the name must be looked up before that one.
    const byLease = env.warm_pool > 0 && !!this.#d.pool?.claimsByStore;
    let info = await this.#pairs.find(account, env, byLease, read);
    if (info?.lost) {
      // Its node is gone: start() gives a fresh container elsewhere (files of the old one are lost).
      this.#d.log.warn(
        { event: 'environment_lost', account, environment: env.name, lost: info.lost },
        'starting afresh: the environment was lost with its node',
      );
      say(`${LOST_MESSAGE} A fresh one is starting.\n`);
      await this.#d.store.markStopped(account, env.name, `lost: ${info.lost}`);
    }
    let running = info?.state === 'running';
    // Admission first: a trainee who is refused or waits sees no greeting and gets no new container.
    let release = running || !this.#d.admission ? () => {} : await this.#d.admission.admit(account, say, gone);
    let fresh = false;
    let warm = false;
    try {
      const claim = info ? undefined : await this.#d.pool?.claim(env, this.#pairs.name(env.name, account));
      if (claim && 'nameTaken' in claim) {
        // The trainee's own container, under their name without a row: used as #find would have (gone meanwhile:
        // created below, meeting any newer one as create's 409).
        info = await this.#pairs.byName(account, env);
        running = info?.state === 'running';
        if (running) {
          release();
          release = () => {};
        }
      }
      const pooled = claim && 'info' in claim ? claim.info : undefined;
      if (pooled) info = pooled;
      warm = !!pooled;
      if (info && pooled) {
        // A warm container: already running, so it is recorded as started now and the admission place is used.
        await this.#d.store.putOwnership({
          account,
          environment: env.name,
          containerId: info.id,
          containerName: info.name,
          createdAt: info.createdAt,
          state: 'running',
          startedAt: this.#now(),
          lastSeenAt: this.#now(),
        });
        fresh = true;
        running = true;
        release();
        release = () => {};
      } else if (!info) {
        // Create first (issue 15.4): the image is ensured (pulled, with progress) only when create says it is
        // missing, and a taken name is looked up only when create says so — no engine call before create.
        const network = env.lab_network ? await this.#lab(env) : env.network === 'bridge' ? await this.#bridge() : undefined;
        const create = () =>
          driver.create({
            name: this.#pairs.name(env.name, account),
            env,
            labels: this.#pairs.labels(env.name, account),
            ...(size ? { tty: size } : {}),
            ...(termName ? { term: termName } : {}),
            ...(network ? { network } : {}),
          });
        try {
          info = await create().catch(async (err: unknown) => {
            if (!imageMissing(err)) throw err;
            try {
              await driver.ensureImage(env.image, (line) => say(`${line}\n`));
            } catch (pull) {
              say('Image not found, trying Docker Hub...\n');
              throw pull;
            }
            return create();
          });
        } catch (err) {
          // The name is taken: another ISLET process created it first, or the store lost this pair's row. Use it.
          info = await this.#pairs.mine(await driver.inspect(this.#pairs.name(env.name, account)));
          if (!info) throw err;
        }
        await this.#d.store.putOwnership({ account, environment: env.name, containerId: info.id, containerName: info.name, createdAt: info.createdAt });
        // Just created (by us or a racing process) is new; one found under its name is the trainee's own, back.
        fresh = info.state === 'created';
        running = info.state === 'running';
        if (running) {
          release();
          release = () => {};
        }
      }
    } catch (err) {
      release();
      throw err;
    }
    return { info, fresh, running, release, warm };
  }

  /** Starts the pair's container and records the start; gives back the admission place either way. */
  async start(account: string, env: Environment, id: string, release: () => void): Promise<void> {
    try {
      await this.#d.driver.start(id);
      await this.#d.store.markStarted(account, env.name, this.#now());
    } finally {
      release();
    }
  }

  /** A lab environment never falls back to the outbound bridge. */
  async #lab(env: Environment): Promise<string> {
    if (!this.#d.labNetwork) throw new Error(`environment ${env.name} has a lab_network but this runner cannot make lab networks`);
    return this.#d.labNetwork(env);
  }

  /** The trainee bridge network, created on first use (trainees on it cannot reach each other). */
  async #bridge(): Promise<string | undefined> {
    const name = this.#d.bridgeNetwork;
    if (!name) return undefined;
    await this.#d.driver.ensureNetwork(name, { ...this.#d.extraLabels, [LABEL_INSTANCE]: this.#d.instance });
    return name;
  }
}
