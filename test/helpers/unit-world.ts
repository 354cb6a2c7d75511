/**
 * The session engine and the lifecycle wired on fakes, for unit tests that
 * need no engine, no data directory and no SSH: a config directory in a temp
 * folder, MemoryStore, FakeDriver (its FakeEngine scripts misbehaviour), an
 * injectable clock and a logger whose events the test can read.
 *
 *   const w = unitWorld({ environments: { demo: 'image: islet/demo:latest\nuser: student\n' } });
 *   t.after(() => w.close());
 *   await w.runner.run(term, 'alice', w.env('demo'), say);
 *
 * Wiring mirrors src/main.ts (same classes, same order); only the concrete
 * store, driver, clock and logger differ.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { accessFromConfig, type Access } from '../../src/access/access-from-config.ts';
import { AccountService } from '../../src/accounts/account-service.ts';
import { ConfigSource } from '../../src/config/config-source.ts';
import type { Environment } from '../../src/config/schema.ts';
import type { Logger } from '../../src/logger.ts';
import { LifecycleService } from '../../src/lifecycle/lifecycle-service.ts';
import { FakeDriver, FakeEngine } from '../../src/runtime/fake/index.ts';
import type { OptionalOperation } from '../../src/runtime/runtime-driver.ts';
import { Admission } from '../../src/sessions/admission.ts';
import { Authenticator } from '../../src/sessions/authenticator.ts';
import { effectiveMaxContainers } from '../../src/sessions/capacity.ts';
import { ContainerTools } from '../../src/runtime/container-tools.ts';
import { EnvironmentRunner } from '../../src/sessions/environment-runner.ts';
import type { MenuDeps } from '../../src/sessions/menu-session.ts';
import { MenuSessionHandler } from '../../src/sessions/session-handler.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/store.ts';
import { sshPublicKeys } from '../../src/sshd/public-keys.ts';

export interface UnitWorldOptions {
  /** islet.yaml (default: none, i.e. every default). */
  readonly islet?: string;
  /** environments/<name>.yaml bodies (default: demo, the fake demo image as student). */
  readonly environments?: Readonly<Record<string, string>>;
  /** The fake engine's call limit (a never-starting start fails after it); default 300 ms. */
  readonly callTimeoutMs?: number;
  readonly instance?: string;
  /** Screen restore on reattach (off by default, as in a config that leaves it unset in unit tests). */
  readonly screenRestore?: boolean;
  /** Optional runtime operations the fake driver declares it lacks (a backend without them). */
  readonly unsupported?: readonly OptionalOperation[];
  /** The store (default: a MemoryStore); bench/store-logins.ts passes PostgreSQL. */
  readonly store?: Store;
  /** The password check (default: scrypt). */
  readonly verify?: (password: string, encoded: string) => Promise<boolean>;
}

/** A logger that keeps every line as an object (pino, synchronously). */
export function memoryLogger(): { log: Logger; events: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) events.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), events };
}

export function unitWorld(o: UnitWorldOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'islet-unit-'));
  mkdirSync(join(dir, 'environments'));
  if (o.islet !== undefined) writeFileSync(join(dir, 'islet.yaml'), o.islet);
  const environments = o.environments ?? { demo: 'image: islet/demo:latest\nuser: student\ndescription: Demo shell\n' };
  for (const [name, body] of Object.entries(environments)) writeFileSync(join(dir, 'environments', `${name}.yaml`), body);
  const config = new ConfigSource(dir);
  const store = o.store ?? new MemoryStore();
  const engine = new FakeEngine();
  const driver = new FakeDriver(engine, { callTimeoutMs: o.callTimeoutMs ?? 300, ...(o.unsupported ? { unsupported: o.unsupported } : {}) });
  let clock = new Date('2026-11-23T12:00:00Z');
  const now = (): Date => clock;
  const { log, events } = memoryLogger();
  const instance = o.instance ?? 'unit';
  const admission = new Admission(store, () => {
    const c = config.current();
    const g = c.global;
    return { maxContainers: effectiveMaxContainers(g, c.environments), maxPerAccount: g.max_containers_per_account, waitSeconds: g.admission_wait };
  });
  const screenRestore = () => o.screenRestore ?? false;
  const runner = new EnvironmentRunner({ driver, store, log, instance, admission, bridgeNetwork: `${instance}-bridge`, now, screenRestore });
  const lifecycle = new LifecycleService({ store, driver, config, log, instance, attached: runner.attached, admission, now });
  const access: Access = accessFromConfig(config, store, log, () => clock.getTime());
  const accounts = new AccountService(store, now, undefined, undefined, o.verify);
  const auth = new Authenticator(config, accounts, store, access.throttle, sshPublicKeys, now);
  const tools = new ContainerTools(driver);
  const menuDeps: MenuDeps = { config, accounts, runner, store, log, now, auth, driver, tools, creation: access.creation };
  /** The hallway every door leads into, as src/main.ts builds it (test/helpers/unit-ssh.ts puts the SSH door in front). */
  const handler = new MenuSessionHandler(menuDeps);
  return {
    dir,
    config,
    store,
    engine,
    driver,
    log,
    events,
    instance,
    admission,
    runner,
    lifecycle,
    access,
    accounts,
    auth,
    menuDeps,
    handler,
    now,
    /** Moves the clock on by `seconds`. */
    advance(seconds: number): void {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
    /** An enabled environment by name. */
    env(name: string): Environment {
      const e = config.current().environments.find((x) => x.name === name);
      if (!e) throw new Error(`no environment ${name} in ${dir}`);
      return e;
    },
    /** Log lines whose `event` is `name`. */
    logged(name: string): Array<Record<string, unknown>> {
      return events.filter((e) => e.event === name);
    },
    async close(): Promise<void> {
      lifecycle.stop();
      for (const i of engine.list()) await driver.remove(i.id);
      await accounts.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type UnitWorld = ReturnType<typeof unitWorld>;
