/**
 * The SSH door's words in the session engine (sessions/door-hints.ts): scp and sftp commands to download
 * a home, authorized_keys lines to enroll, `ssh account+env@host 'cmd'`, legacy `scp -O`.
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { DoorHints } from '../sessions/index.ts';

/** `fallback`: the address to show when no public_address is configured (the web door: the host the browser used). */
export function sshHints(config: ConfigSource, fallback?: string): DoorHints {
  /** public_address as host and port (no port: the default 22). */
  const address = () => {
    const addr = config.current().global.public_address || fallback || '<this host>';
    const at = addr.lastIndexOf(':');
    return addr.includes(':') ? { host: addr.slice(0, at), port: addr.slice(at + 1) } : { host: addr, port: '' };
  };
  return {
    download: ({ account, environment, home }) => {
      const { host, port } = address();
      return [
        `  scp ${port ? `-P ${port} ` : ''}-r ${account}+${environment}@${host}:${home} ./${account}-${environment}`,
        `  sftp ${port ? `-P ${port} ` : ''}${account}+${environment}@${host}`,
      ];
    },
    keys: {
      ask: 'Paste one SSH public key line (for example the contents of ~/.ssh/id_ed25519.pub), then press Enter:',
      added: (account) => `Key added. Log in directly with: ssh ${account}@<this host>  or  ssh ${account}+<environment>@<this host>`,
    },
    commandNeedsEnvironment: (account, command, environments) =>
      `choose an environment: ssh ${account}+<environment>@host '${command.slice(0, 40)}' (environments: ${environments.join(', ')})`,
    // Legacy `scp -O` runs scp inside the container; an image without it gets a clear word instead of a protocol error.
    missingProgram: (command, environment) =>
      /^\s*scp\s+(-\w+\s+)*-[tf]\b/.test(command)
        ? `the ${environment} image has no scp program; use a current scp (without -O), which ISLET serves over SFTP, or sftp`
        : undefined,
  };
}
