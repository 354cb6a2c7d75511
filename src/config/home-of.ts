/** Where an environment's trainee starts: its workdir, else the image user's home, else /. */
import type { Environment } from './schema.ts';

export function homeOf(env: Environment): string {
  if (env.workdir) return env.workdir;
  const user = env.user?.split(':')[0];
  return user && user !== 'root' && user !== '0' ? `/home/${user}` : '/';
}
