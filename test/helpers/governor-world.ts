/**
 * A CpuWeightGovernor over the fake driver and the in-memory store with an injected clock, for the governor's unit
 * tests (src/lifecycle/cpu-weight-governor.test.ts).
 */
import type { TestContext } from 'node:test';
import { unitWorld } from './unit-world.ts';
import { CpuWeightGovernor, GOVERNOR_TICK_MS, type GovernorSettings, governedContainers } from '../../src/lifecycle/cpu-weight-governor.ts';

const DEMO = 'image: islet/demo:latest\nuser: student\n';
const LIGHT = 'image: islet/demo:latest\nuser: student\ncpu_shares: 32\n';

/**
 * `group`: the governor is given the fake driver's groupCpuTime (all its instances in one group, as ISLET's idle
 * trainee group holds its containers), so quiet ticks skip reads; without it (runtime.trainee_cpu: engine, whose
 * containers share no group of ISLET's) every tick reads every container, which the tests below the quiet-room ones
 * rely on to judge each container every tick.
 */
export function governorWorld(t: TestContext, opts: { group?: boolean } = {}) {
  const w = unitWorld({ environments: { demo: DEMO, light: LIGHT } });
  t.after(() => w.close());
  let ms = 0;
  const settings: { value: GovernorSettings } = { value: { busyShares: 64, busyPercent: 90 } };
  /** A governor over this world's driver and store (a second one: another front door on the same store). */
  const governorFor = (leads?: () => boolean) =>
    new CpuWeightGovernor({
      driver: opts.group ? w.driver : { cpuTime: (id) => w.driver.cpuTime(id), setCpuWeight: (id, shares) => w.driver.setCpuWeight(id, shares) },
      targets: () => governedContainers(w.store, w.config),
      settings: () => settings.value,
      log: w.log,
      now: () => ms,
      ...(leads ? { leads } : {}),
    });
  const governor = governorFor();
  /** A running container of `environment` for `account`, as a login makes it. */
  const make = async (account: string, environment = 'demo'): Promise<string> => {
    const expiresAt = new Date(w.now().getTime() + 86_400_000);
    if (!(await w.store.getAccount(account))) await w.store.createAccount({ name: account, passwordHash: 'x', createdAt: w.now(), expiresAt });
    return w.runner.ensureRunning(account, w.env(environment));
  };
  const instance = (id: string) => w.driver.engine.lookup(id)!;
  /** GOVERNOR_TICK_MS pass, in which each listed container used `percent` of one core; tick() then runs the governor. */
  const advance = (use: Record<string, number> = {}) => {
    ms += GOVERNOR_TICK_MS;
    for (const [id, percent] of Object.entries(use)) instance(id).cpuNs += (percent / 100) * GOVERNOR_TICK_MS * 1e6;
  };
  const tick = async (use: Record<string, number> = {}) => {
    advance(use);
    await governor.tick();
  };
  return { ...w, governor, governorFor, settings, make, instance, advance, tick };
}
