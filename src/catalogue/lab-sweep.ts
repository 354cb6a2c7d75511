/**
 * Lab networks after the event (`islet reap`): a lab (lab-network.ts) outlives
 * its last trainee, and its generator replays the dataset for ever. A lab is
 * idle when no container but its own generator is on its network; a stopped
 * trainee container counts, since it would not start again without the
 * network. Only this instance's labs are looked at (label islet.lab.instance).
 * An idle lab's generator, network and DOCKER-USER rule are removed; the next
 * login to that environment makes them again.
 *
 * Contract: never throws when the engine cannot be asked (another runtime, the
 * client cannot reach it): it then finds nothing. A trainee joining the lab in
 * the moment between the check and the removal finds the network gone and is
 * told to ask the instructor (RUNTIME_FAILED); reap is an after-the-event tool.
 */
import { LABEL_LAB, LABEL_LAB_INSTANCE } from '../runtime/names.ts';
import { docker } from './docker-cli.ts';
import { removeLab } from './lab-network.ts';

export interface IdleLab {
  readonly environment: string;
  readonly network: string;
}

/** This instance's labs with no container on their network but their generator. */
export async function idleLabs(instance: string): Promise<IdleLab[]> {
  const nets = await docker(['network', 'ls', '--filter', `label=${LABEL_LAB_INSTANCE}=${instance}`, '--format', `{{.Name}}\t{{.Label "${LABEL_LAB}"}}`], {
    timeoutMs: 30_000,
  }).catch(() => undefined); // no docker client here
  if (!nets || nets.code !== 0) return [];
  const idle: IdleLab[] = [];
  for (const line of nets.stdout.split('\n')) {
    const [network, environment] = line.split('\t');
    if (!network || !environment) continue;
    // The network filter is not an exact-name match everywhere: each container's own list of networks decides.
    const on = await docker(['ps', '-a', '--filter', `network=${network}`, '--format', '{{.Names}}\t{{.Networks}}'], { timeoutMs: 30_000 });
    if (on.code !== 0) continue;
    const users = on.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([name, networks]) => name && name !== `${network}-replay` && (networks ?? '').split(',').includes(network));
    if (users.length === 0) idle.push({ environment, network });
  }
  return idle;
}

/** Removes every idle lab of the instance (none on a dry run); returns the labs it removed, or would. */
export async function sweepIdleLabs(instance: string, dryRun: boolean): Promise<IdleLab[]> {
  const idle = await idleLabs(instance);
  if (!dryRun) for (const lab of idle) await removeLab(instance, lab.environment);
  return idle;
}
