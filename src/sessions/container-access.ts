/**
 * The container behind a direct `account+env` login, for the things that
 * need one without a shell: SFTP/scp, port forwarding, export.
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Environment } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Identity } from './authenticator.ts';
import type { ContainerTools } from './container-tools.ts';
import type { EnvironmentRunner } from './environment-runner.ts';

export interface ContainerAccess {
  readonly containerId: string;
  readonly env: Environment;
  /** Where relative paths start: the environment's workdir, else the user's home, else /. */
  readonly home: string;
  readonly tools: ContainerTools;
}

export function homeOf(env: Environment): string {
  if (env.workdir) return env.workdir;
  const user = env.user?.split(':')[0];
  return user && user !== 'root' && user !== '0' ? `/home/${user}` : '/';
}

export async function openContainer(deps: { config: ConfigSource; runner: EnvironmentRunner; tools: ContainerTools }, who: Identity): Promise<ContainerAccess> {
  if (!who.account) throw new IsletError('ENV_NOT_FOUND', 'Log in as <account>+<environment> to use this.');
  const cfg = deps.config.current();
  if (!who.environment) throw new IsletError('ENV_NOT_FOUND', `Choose an environment: <account>+<environment> (environments: ${cfg.environments.filter((e) => e.enabled).map((e) => e.name).join(', ')}).`);
  const env = cfg.environments.find((e) => e.enabled && e.name === who.environment);
  if (!env) throw new IsletError('ENV_NOT_FOUND', `There is no environment named ${who.environment}.`);
  const containerId = await deps.runner.ensureRunning(who.account, env);
  await deps.tools.ensure(containerId);
  return { containerId, env, home: homeOf(env), tools: deps.tools };
}
