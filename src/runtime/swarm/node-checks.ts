/**
 * The Swarm driver does not trust a node's configuration: the first container it starts on a node (and again
 * every VERIFY_MS) is checked from inside. `/proc/net/dev` must list `lo` only (Swarm cannot give a service
 * `network none`: only a node started with `--bridge=none` leaves its tasks without a network), and
 * `/proc/1/status` must say NoNewPrivs 1 for environments that ask for no_new_privileges (a daemon option on
 * API 1.41).
 *
 * Contract: `verify` resolves when the node passed (now or within VERIFY_MS, for what is asked); otherwise it
 * removes the container it looked into and rejects with RUNTIME_UNSUPPORTED naming the node and the problem.
 */
import { IsletError } from '../../core/islet-error.ts';
import type { DockerDriver } from '../docker/docker-driver.ts';

/** A node's check is trusted this long before it is made again. */
const VERIFY_MS = 10 * 60_000;

export class NodeChecks {
  /** Hostname → when its checks passed, and what they saw. */
  readonly #verified = new Map<string, { at: number; nnp: boolean }>();

  /** Checks node `host` from inside `container` (run by `driver`, the node's engine), once per VERIFY_MS. */
  async verify(host: string, driver: DockerDriver, container: string, wantNnp: boolean): Promise<void> {
    const seen = this.#verified.get(host);
    if (seen && Date.now() - seen.at < VERIFY_MS && (seen.nnp || !wantNnp)) return;
    const e = await driver.exec(container, { cmd: ['cat', '/proc/1/status', '/proc/net/dev'], user: 'root' });
    let out = '';
    e.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    e.stdin.end();
    const code = await e.exited;
    e.close();
    const dev = out.slice(out.indexOf('Inter-|'));
    const ifaces = [...dev.matchAll(/^\s*([^\s:|]+):\s*\d/gm)].map((m) => m[1]!);
    const nnp = /^NoNewPrivs:\s*1/m.test(out);
    const problem =
      code !== 0 || !out.includes('Inter-|')
        ? `could not read /proc/net/dev in the container (exit ${code})`
        : ifaces.some((i) => i !== 'lo')
          ? `trainee containers get network interfaces ${ifaces.join(', ')} (start its dockerd with --bridge=none)`
          : wantNnp && !nnp
            ? 'it does not set no-new-privileges (start its dockerd with --no-new-privileges)'
            : undefined;
    if (problem) {
      await driver.remove(container).catch(() => undefined);
      throw new IsletError(
        'RUNTIME_UNSUPPORTED',
        'This environment cannot run on this cluster. Please tell the instructor.',
        `swarm node ${host} refused: ${problem}`,
        {
          node: host,
        },
      );
    }
    this.#verified.set(host, { at: Date.now(), nnp });
  }
}
