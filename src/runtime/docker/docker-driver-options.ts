/** What a DockerDriver is built with (docker-driver.ts); every field optional, defaults in the field's comment. */
import type { EngineEndpoint } from './engine-address.ts';
import type { PtyRelaysOptions } from './pty-relays.ts';

export interface DockerDriverOptions {
  /** Engine socket; default: DOCKER_HOST, else /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Where the engine is (engine-address.ts: a socket, or TCP with TLS); wins over socketPath. */
  readonly endpoint?: EngineEndpoint;
  /** Limit for each ordinary Engine API call (default 15000). */
  readonly callTimeoutMs?: number;
  /**
   * Limit for waiting for a mutation slot (default 120000, the default `admission_wait`). Longer than a call:
   * a slot is a place in a queue, freed within callTimeoutMs by the call holding it even when the engine hangs,
   * and 300 trainees starting at once queue for a minute on one host (a 15 s wait failed half of them).
   */
  readonly slotWaitMs?: number;
  /** Limit for a whole image pull (default 600000). */
  readonly pullTimeoutMs?: number;
  /** Mutations (create/start/stop/remove/rename/network) in flight at once (default 8: engine-mutations.ts). */
  readonly maxConcurrentMutations?: number;
  /** Image pulls in flight at once (default 4); a pull holds no mutation slot. */
  readonly maxConcurrentPulls?: number;
  /** Removals in flight at once (default 3). */
  readonly maxConcurrentRemovals?: number;
  /** Engine calls about one container (exec, its inspects and resizes, TTY resize) in flight at once (default 4). */
  readonly maxCallsPerContainer?: number;
  /** Such calls in flight at once for all containers together (default 32). */
  readonly maxContainerCalls?: number;
  /**
   * A directory for network-off containers' /etc/hosts files (hosts-files.ts); ignored for an engine on
   * another machine. With it such containers start without the engine's network sandbox (create-options.ts),
   * about 0.3 s sooner on the benchmark VM; without it they get the engine's `network none`.
   */
  readonly hostsDir?: string;
  /**
   * The pty relay (pty-relays.ts): trainees' terminals over a unix socket per container instead of the engine's
   * attach, `dir` holding the sockets and `binary` the static relay (native/pty-relay.c). Ignored for an engine
   * on another machine (its containers cannot reach a socket here). `sliceUs` (> 0): the relay and the program it
   * runs ask the kernel for a scheduler slice that short (native/pty-relay.c's `-s`); absent or 0: the default.
   * `onWatchUnavailable`: told once when a socket's directory cannot be watched (pty-relays.ts), for the log.
   */
  readonly ptyRelay?: { readonly dir: string; readonly binary: string } & Pick<PtyRelaysOptions, 'sliceUs' | 'onWatchUnavailable'>;
  /**
   * Put trainee containers under ISLET's own cgroup marked idle for the CPU (trainee-cpu-group.ts), so processes
   * outside them run first when they wake; ignored for an engine on another machine. Default: off (the engine's
   * own parent), as tests and tools that construct a driver expect; the server turns it on from
   * `runtime.trainee_cpu` (src/compose.ts).
   */
  readonly traineeCpuGroup?: boolean;
}
