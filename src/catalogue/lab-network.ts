/**
 * Live capture without the host's interfaces (ContainNSM's other mode): for
 * an environment with `lab_network`, ISLET creates an internal Docker network
 * (no route out, inter-container traffic allowed so frames reach every port)
 * and a traffic generator on it: the catalogue's tcpreplay replaying a
 * dataset pcap in a loop, as the unprivileged user with tcpreplay's file
 * capabilities (NET_RAW/NET_ADMIN in the generator only). Trainee containers
 * of the environment join the network with capture rights (config resolver).
 * Frames to MAC addresses the bridge has not learnt are flooded to every
 * port, so each trainee's interface sees the replay. Docker drops forwarded
 * packets of an internal network whose addresses lie outside its subnet
 * (a dataset's never lie inside it), so one rule in DOCKER-USER — the chain
 * Docker keeps for its users, evaluated first — accepts traffic that stays
 * on this bridge; nothing leaves it either way.
 */
import { IsletError } from '../core/islet-error.ts';
import { LABEL_LAB, LABEL_LAB_INSTANCE } from '../runtime/names.ts';
import type { Environment } from '../config/schema.ts';
import { createHash } from 'node:crypto';
import { docker, runProgram } from './docker-cli.ts';
import { CAPTURE } from './capture.ts';
import { catalogueDir } from './paths.ts';
import { resolveBuilt } from './resolve-image.ts';
import { dockerRunArgs } from './run-options.ts';

export interface LabOptions {
  readonly instance: string;
  readonly env: Environment;
  readonly labels?: Readonly<Record<string, string>>;
  readonly log?: (msg: string) => void;
}

export function labNetworkName(instance: string, envName: string): string {
  return `${instance}-lab-${envName}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Creates (or finds) the lab network and its running generator; returns the network name and its subnets. */
export async function ensureLab(o: LabOptions): Promise<{ network: string; subnets: string[] }> {
  const lab = o.env.lab_network;
  if (!lab) throw new Error(`environment ${o.env.name} has no lab_network`);
  const network = labNetworkName(o.instance, o.env.name);
  const labels = { ...o.labels, [LABEL_LAB]: o.env.name, [LABEL_LAB_INSTANCE]: o.instance };
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  let subnets = await networkSubnets(network);
  if (!subnets) {
    const bridge = `com.docker.network.bridge.name=${bridgeName(network)}`;
    const r = await docker(['network', 'create', '--internal', '--driver', 'bridge', '--opt', bridge, ...labelArgs, network], { timeoutMs: 60_000 });
    if (r.code !== 0 && !/already exists/.test(r.stderr)) throw failed(`creating the lab network ${network}: ${r.stderr.trim()}`);
    subnets = (await networkSubnets(network)) ?? [];
  }
  await acceptWithinBridge(bridgeName(network));
  const generator = `${network}-replay`;
  const state = await docker(['inspect', '--format', '{{.State.Running}}', generator], { timeoutMs: 30_000 });
  if (state.code === 0 && state.stdout.trim() === 'true') return { network, subnets };
  if (state.code === 0) await docker(['rm', '-f', generator], { timeoutMs: 60_000 });

  const [dataset, file] = lab.replay.split('/') as [string, string];
  const mount = o.env.mounts.find((m) => m.target === `/datasets/${dataset}`);
  if (!mount) throw failed(`lab_network.replay: dataset ${dataset} is not mounted in environment ${o.env.name}`);
  const tcpreplay = await resolveBuilt(catalogueDir(), 'tcpreplay');
  const args = dockerRunArgs({
    name: generator,
    image: tcpreplay.image,
    detach: true,
    interactive: false,
    tty: false,
    command: ['tcpreplay', '--intf1=eth0', '--loop=0', `--pps=${lab.pps}`, `/datasets/${dataset}/${file}`],
    readOnly: [{ source: mount.source, target: mount.target }],
    writable: [],
    labels,
    capAdd: CAPTURE,
    noNewPrivileges: false,
    network,
  });
  const r = await docker(args, { timeoutMs: 120_000 });
  // Two logins at once: the other one started it.
  if (r.code !== 0 && !/already in use/.test(r.stderr)) throw failed(`starting the traffic generator ${generator}: ${r.stderr.trim()}`);
  o.log?.(`lab network ${network} (${subnets.join(', ')}) replaying ${lab.replay} with ${tcpreplay.image}`);
  return { network, subnets };
}

/** Removes an environment's generator and lab network (tests, and `islet reap` later). */
export async function removeLab(instance: string, envName: string): Promise<void> {
  const network = labNetworkName(instance, envName);
  await docker(['rm', '-f', `${network}-replay`], { timeoutMs: 60_000 });
  await docker(['network', 'rm', network], { timeoutMs: 60_000 });
  const br = bridgeName(network);
  await runProgram('iptables', ['-D', 'DOCKER-USER', '-i', br, '-o', br, '-j', 'ACCEPT'], { timeoutMs: 30_000 });
}

/** The host's bridge interface of a lab network: at most 15 characters, derived from the network's name. */
export function bridgeName(network: string): string {
  return `islab${createHash('sha256').update(network).digest('hex').slice(0, 10)}`;
}

async function acceptWithinBridge(br: string): Promise<void> {
  const rule = ['DOCKER-USER', '-i', br, '-o', br, '-j', 'ACCEPT'];
  const has = await runProgram('iptables', ['-C', ...rule], { timeoutMs: 30_000 });
  if (has.code === 0) return;
  const add = await runProgram('iptables', ['-I', ...rule.slice(0, 1), '1', ...rule.slice(1)], { timeoutMs: 30_000 });
  if (add.code !== 0) {
    throw failed(`iptables -I DOCKER-USER for the lab bridge ${br}: ${add.stderr.trim()} (ISLET needs root or CAP_NET_ADMIN for lab networks)`);
  }
}

async function networkSubnets(name: string): Promise<string[] | undefined> {
  const r = await docker(['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', name], { timeoutMs: 30_000 });
  if (r.code !== 0) return undefined;
  return r.stdout
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '');
}

function failed(detail: string): IsletError {
  return new IsletError('RUNTIME_FAILED', 'The lab network could not be prepared. Please tell the instructor.', detail);
}
