/**
 * The two systems every benchmark drives the same way: ISLET (`islet serve`,
 * our server) and the peer (the original ISLET design: OpenSSH sshd with a
 * ForceCommand bash menu running `docker run -it` / `docker start -ai`, set up
 * by bench/peer/setup-peer.sh). Both show the same menu wording, so one
 * scripted trainee (journey.ts) drives either.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigDir } from '../../src/config/config-source.ts';
import { createOptions } from '../../src/runtime/docker/create-options.ts';
import { peerRunArgs } from './peer-flags.ts';
import { guardGroup, traineeGroupOptions } from './trainee-group.ts';
import { IsletProcess, repoRoot } from '../../test/helpers/islet-process.ts';
import { LABEL_TEST, sweepTestContainers, testRunId } from '../../test/helpers/engine.ts';
import { treeRssMb } from './proc-mem.ts';

export type TargetName = 'islet' | 'peer';

export interface Target {
  readonly name: TargetName;
  /** What the comparison calls it: `islet` (nice 0, like the peer), `islet-nice` (ISLET's own server_priority, −10) or `peer`. */
  readonly variant: string;
  readonly port: number;
  readonly gate: { readonly user: string; readonly password: string };
  /** The menu number of the demo environment, and of the warm-pool one (ISLET only). */
  readonly choices: { readonly demo: string; readonly warm?: string };
  /** The server's main process (ISLET's node process; the peer's listening sshd): its tree is the front end's CPU. */
  readonly pid: number;
  /** `docker ps --filter` selecting this system's trainee containers. */
  readonly containerFilter: string;
  /** ISLET's islet.yaml, which it reloads when it changes (a within-room A/B of a setting rewrites it); none for the peer. */
  readonly configFile?: string;
  /** Resident memory of the server side (MB) and its process count. */
  serverMemory(): { mb: number; pssMb: number; processes: number };
  /**
   * The server's own warnings and errors so far (ISLET's log lines at level warn or above; for the peer, the guard's
   * lifts of the trainee group's idle mark: trainee-group.ts).
   */
  problems(): string[];
  close(): Promise<void>;
}

export interface IsletTargetOptions {
  /** Size of the warm pool of a second environment, `warm` (menu entry 2); 0: no such environment. */
  readonly warmPool?: number;
  /**
   * ISLET's `server_priority` (nice of its event loop). Default 0: the same priority as the peer's sshd, so
   * the comparison is like for like (issue 15.1); −10, the product's default, is measured as `islet-nice`.
   */
  readonly priority?: number;
  /** NODE_OPTIONS for ISLET, e.g. `--cpu-prof --cpu-prof-dir=DIR` (the profile is written when it stops). */
  readonly nodeOptions?: string;
  /** More islet.yaml lines (e.g. `recording: false` for bench/recording-overhead.ts). */
  readonly config?: readonly string[];
  /** More environment for the server (e.g. DOCKER_HOST: another engine, bench/swarm-latency.ts). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The shell prompt of the demo image in both systems (hostname demo). */
export const SHELL_PROMPT = /student@demo:[^\r\n]*\$ /;

/** islet.yaml lines for a load test. It comes from one address: lift the per-address limits a room behind NAT would also need lifted. */
export const LOAD_TEST_CONFIG: readonly string[] = [
  'ssh_max_connections: 5000',
  'ssh_max_connections_per_ip: 5000',
  'ssh_new_connections_per_ip: 100000',
  'ssh_login_grace: 120s',
  // …and the creation limit and the memory-derived container cap, which a density run of 1000 trainees passes on purpose.
  'account_creations_per_ip: 100000',
  'max_containers: 100000',
];

/**
 * Runs `start`, whose server process is spawned before its first await, with this thread at nice 0, as a
 * service starts (issue 15.1). The load generator runs at −10, and every thread the server starts before it
 * sets its event loop's own priority (V8's helpers, the libuv pool) would keep that −10, ahead of the peer's
 * sshd, which bench/peer/setup-peer.sh renices to 0.
 */
async function atNiceZero<T>(start: () => Promise<T>): Promise<T> {
  const inherited = getPriority();
  try {
    if (inherited !== 0) setPriority(0);
  } catch {
    // not root: the generator could not raise itself either, so it is at 0 already
  }
  const started = start();
  try {
    if (inherited !== 0) setPriority(inherited);
  } catch {
    // as above
  }
  return started;
}

/** Starts `islet serve` on a loopback port with limits sized for a load test. */
export async function startIslet(opts: IsletTargetOptions = {}): Promise<Target> {
  const runId = testRunId();
  const islet = new IsletProcess(runId, { logLevel: 'info' });
  writeFileSync(join(islet.configDir, 'islet.yaml'), [...LOAD_TEST_CONFIG, `server_priority: ${opts.priority ?? 0}`, ...(opts.config ?? []), ''].join('\n'));
  if (opts.warmPool) {
    writeFileSync(
      join(islet.configDir, 'environments/warm.yaml'),
      `image: islet/demo:latest\nuser: student\ncommand: /bin/sh -l\nmemory: 128m\nhostname: demo\nwarm_pool: ${opts.warmPool}\n`,
    );
  }
  await atNiceZero(() => islet.start({ ...opts.env, ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}) }));
  return {
    name: 'islet',
    variant: (opts.priority ?? 0) === 0 ? 'islet' : 'islet-nice',
    port: islet.port,
    pid: islet.pid!,
    containerFilter: `label=${LABEL_TEST}=${runId}`,
    configFile: join(islet.configDir, 'islet.yaml'),
    gate: { user: 'demo', password: 'demo' },
    choices: { demo: '1', ...(opts.warmPool ? { warm: '2' } : {}) },
    serverMemory: () => treeRssMb(islet.pid!),
    problems: () => islet.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l).slice(0, 600)),
    close: async () => {
      // A --cpu-prof profile is written only at a clean exit: SIGTERM first (dispose kills).
      if (opts.nodeOptions?.includes('--cpu-prof'))
        await Promise.race([islet.stop('SIGTERM').catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
      await islet.dispose();
      await sweepTestContainers(runId);
    },
  };
}

export const PEER_PORT = 2322;

/** Sets up and starts the peer (installs openssh-server and sqlite3 when missing); fresh accounts each time. */
export async function startPeer(): Promise<Target> {
  // Like for like: the peer's containers get ISLET's create settings for the same environment.
  const demo = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
  // ISLET's default `runtime.trainee_cpu: idle` puts its containers under an idle CPU group: the peer's go there too.
  const local = traineeGroupOptions('islet-peer');
  const args = peerRunArgs(createOptions({ name: 'peer', env: demo, labels: {} }, local), { 'islet.peer': 'true' });
  const dir = mkdtempSync(join(tmpdir(), 'islet-peer-args-'));
  writeFileSync(join(dir, 'run-args'), `${args.join('\n')}\n`);
  try {
    execFileSync('bash', [join(repoRoot, 'bench/peer/setup-peer.sh'), String(PEER_PORT)], {
      stdio: 'inherit',
      timeout: 600_000,
      env: { ...process.env, ISLET_PEER_RUN_ARGS_FROM: join(dir, 'run-args') },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pid = Number(readFileSync('/run/islet-peer-sshd.pid', 'utf8').trim());
  // The group guarded as ISLET's server guards it, while the peer runs (its lifts are its problems()).
  const guard = guardGroup('islet-peer', local);
  return {
    name: 'peer',
    variant: 'peer',
    port: PEER_PORT,
    pid,
    containerFilter: 'label=islet.peer=true',
    gate: { user: 'isletpeer', password: 'demo' },
    choices: { demo: '1' },
    serverMemory: () => treeRssMb(pid),
    problems: () => guard.warnings(),
    close: async () => {
      guard.stop();
      execFileSync('bash', [join(repoRoot, 'bench/peer/stop-peer.sh')], { stdio: 'inherit', timeout: 600_000 });
    },
  };
}

export function startTarget(name: TargetName, opts: IsletTargetOptions = {}): Promise<Target> {
  return name === 'islet' ? startIslet(opts) : startPeer();
}

/** Targets named on the command line (`--targets islet,peer`), default both. */
export function targetsFromArgs(argv: readonly string[]): TargetName[] {
  const i = argv.indexOf('--targets');
  const list = (i >= 0 ? (argv[i + 1] ?? '') : 'islet,peer').split(',').filter(Boolean);
  for (const t of list) if (t !== 'islet' && t !== 'peer') throw new Error(`unknown target ${t} (islet, peer)`);
  return list as TargetName[];
}

/** A numeric option `--name value` from the command line, else `fallback`. */
export function numArg(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}
