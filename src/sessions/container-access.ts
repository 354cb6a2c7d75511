/**
 * The container behind a direct `account+env` login, for the things that
 * need one without a shell: file transfer, port forwards, export. Which
 * ports a trainee may reach is the environment's decision (`forward_ports`),
 * made here for every door.
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Environment } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Identity } from './authenticator.ts';
import type { ContainerTools } from '../runtime/container-tools.ts';
import { homeOf } from '../config/home-of.ts';
import type { EnvironmentRunner } from './environment-runner.ts';
import type { Execution } from '../runtime/runtime-driver.ts';

export interface ContainerAccess {
  readonly containerId: string;
  readonly env: Environment;
  /** Where relative paths start: the environment's workdir, else the user's home, else /. */
  readonly home: string;
  readonly tools: ContainerTools;
}

export async function openContainer(deps: { config: ConfigSource; runner: EnvironmentRunner; tools: ContainerTools }, who: Identity): Promise<ContainerAccess> {
  if (!who.account) throw new IsletError('ENV_NOT_FOUND', 'Log in as <account>+<environment> to use this.');
  const cfg = deps.config.current();
  if (!who.environment)
    throw new IsletError(
      'ENV_NOT_FOUND',
      `Choose an environment: <account>+<environment> (environments: ${cfg.environments
        .filter((e) => e.enabled)
        .map((e) => e.name)
        .join(', ')}).`,
    );
  const env = cfg.environments.find((e) => e.enabled && e.name === who.environment);
  if (!env) throw new IsletError('ENV_NOT_FOUND', `There is no environment named ${who.environment}.`);
  const containerId = await deps.runner.ensureRunning(who.account, env);
  await deps.tools.ensure(containerId);
  return { containerId, env, home: homeOf(env), tools: deps.tools };
}

/**
 * A TCP connection to `port` on the container's own loopback, dialled from INSIDE the trainee's container
 * (also with network none), so a forward never reaches the host or another container. Only `localhost`
 * and only ports the environment lists in `forward_ports`; otherwise PORT_REFUSED.
 */
export async function openPort(
  deps: { config: ConfigSource; runner: EnvironmentRunner; tools: ContainerTools },
  who: Identity,
  host: string,
  port: number,
): Promise<{ readonly connection: Execution; readonly environment: string }> {
  if (!/^(localhost|127\.0\.0\.1|::1)$/.test(host)) {
    throw new IsletError('PORT_REFUSED', 'Only ports on localhost can be forwarded.', `host ${host.slice(0, 80)}`, { reason: 'host' });
  }
  const c = await openContainer(deps, who);
  if (!c.env.forward_ports.includes(port)) {
    throw new IsletError('PORT_REFUSED', `Port ${port} is not open for forwarding.`, `port ${port}`, { reason: 'port', port });
  }
  return { connection: await c.tools.run(c.containerId, 'nc', ['127.0.0.1', String(port)]), environment: c.env.name };
}
