/**
 * Density (the paper's Figure 6): idle trainees connected with a live shell
 * in a container of their own, held at growing counts, with the server's own
 * memory (ISLET's node process; for the peer, sshd and every bash and docker
 * CLI process under it; PSS, and the RSS sum that overcounts shared pages)
 * and the host's memory in use, both against the
 * baseline before the first trainee. At every step, and once more after ISLET's
 * hasher has let go, the machine's CPU over a window of IDLE_WINDOW_S with
 * every session idle, by process group (bench/lib/slot-cpu.ts): what a room
 * that only reads costs the host. Writes bench/results/<date>-density.json.
 *
 * Usage: node bench/density.ts [--targets islet,peer] [--islet-steps 100,250,500,1000] [--peer-steps 50,100,200]
 */
import type { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import { openJourney } from './lib/journey.ts';
import { machineInfo } from './lib/machine.ts';
import { hostUsedMb } from './lib/proc-mem.ts';
import { round1, writeResult } from './lib/results.ts';
import { SlotCpu } from './lib/slot-cpu.ts';
import { startTarget, targetsFromArgs, type Target, type TargetName } from './lib/targets.ts';

const argv = process.argv.slice(2);
const list = (flag: string, dflt: string) => {
  const i = argv.indexOf(flag);
  return (i >= 0 ? argv[i + 1]! : dflt).split(',').map(Number);
};
const STEPS: Record<TargetName, number[]> = { islet: list('--islet-steps', '100,250,500,1000'), peer: list('--peer-steps', '50,100,200') };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Step {
  target: TargetName;
  sessions: number;
  server_rss_mb: number;
  server_pss_mb: number;
  server_pss_mb_per_session: number;
  server_processes: number;
  host_used_mb: number;
  server_mb_per_session: number;
  host_mb_per_session: number;
  join_seconds: number;
  idle_cpu: IdleCpu;
}

/**
 * Cores busy over a window in which every session is idle: the machine's, and per group (front end: ISLET's node
 * process with its hasher when one runs, or the peer's sshd with every process under it; dockerd, containerd,
 * the shims, the system's containers, this generator, the rest of the machine).
 */
interface IdleCpu {
  readonly window_s: number;
  readonly machine_cores: number;
  readonly cores: Record<string, number>;
}

/** Long enough that a once-a-few-seconds timer (a sweep, a keepalive) shows up several times. */
const IDLE_WINDOW_S = 20;

async function idleCpu(target: Target): Promise<IdleCpu> {
  const meter = new SlotCpu(target.pid, target.containerFilter);
  meter.start();
  await sleep(IDLE_WINDOW_S * 1000);
  const { window_s, machine_s, groups } = meter.stop();
  const per = (v: number) => Math.round((v / window_s) * 1000) / 1000;
  return { window_s, machine_cores: per(machine_s), cores: Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, per(v)])) };
}

const coresText = (c: IdleCpu) =>
  `${c.machine_cores} cores busy (${Object.entries(c.cores)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;

/**
 * ISLET at its largest step once the background hasher has sealed every new account's password and been let go
 * (HASHER_IDLE_MS after its last job): the same sessions, the server with nothing left to do. Up to SETTLE_MAX_S.
 */
interface Settled {
  readonly sessions: number;
  readonly waited_s: number;
  readonly server_processes: number;
  readonly server_pss_mb: number;
  readonly server_pss_mb_per_session: number;
  readonly idle_cpu: IdleCpu;
}
const SETTLE_MAX_S = 300;

async function measure(
  target: Target,
): Promise<{ steps: Step[]; baseline: { server_rss_mb: number; server_pss_mb: number; host_used_mb: number }; failures: number; settled?: Settled }> {
  await sleep(3000);
  const m0 = target.serverMemory();
  const base = { server: m0.mb, pss: m0.pssMb, host: hostUsedMb() };
  const held: SshTrainee[] = [];
  const steps: Step[] = [];
  let failures = 0;
  let settled: Settled | undefined;
  try {
    for (const n of STEPS[target.name]) {
      const t0 = performance.now();
      while (held.length < n) {
        const batch = Math.min(20, n - held.length);
        const start = held.length;
        const joined = await Promise.allSettled(
          Array.from({ length: batch }, (_, k) =>
            openJourney(target, { account: `d${start + k}`, password: 'densitypw', choice: target.choices.demo, timeoutMs: 180_000 }),
          ),
        );
        for (const j of joined) {
          if (j.status === 'fulfilled') held.push(j.value.trainee);
          else if (++failures > 20) throw new Error(`too many failed joins; last: ${String(j.reason)}`);
        }
      }
      const joinSeconds = (performance.now() - t0) / 1000;
      await sleep(5000); // idle: let start-up garbage settle before reading memory
      const server = target.serverMemory();
      const host = hostUsedMb();
      const idle = await idleCpu(target);
      const step: Step = {
        target: target.name,
        sessions: held.length,
        server_rss_mb: round1(server.mb),
        server_pss_mb: round1(server.pssMb),
        server_pss_mb_per_session: Math.round(((server.pssMb - base.pss) / held.length) * 1000) / 1000,
        server_processes: server.processes,
        host_used_mb: round1(host),
        server_mb_per_session: Math.round(((server.mb - base.server) / held.length) * 1000) / 1000,
        host_mb_per_session: round1((host - base.host) / held.length),
        join_seconds: round1(joinSeconds),
        idle_cpu: idle,
      };
      steps.push(step);
      console.log(`${target.name} ${held.length} idle sessions, ${idle.window_s} s: ${coresText(idle)}`);
      console.log(
        `${target.name} ${held.length} idle sessions: server PSS ${step.server_pss_mb} MB (${step.server_pss_mb_per_session} MB/session), RSS ${step.server_rss_mb} MB in ${step.server_processes} processes (${step.server_mb_per_session} MB/session), host ${step.host_used_mb} MB used (${step.host_mb_per_session} MB/session), joined in ${step.join_seconds} s`,
      );
    }
    if (target.name === 'islet' && held.length > 0) {
      const t0 = performance.now();
      let m = target.serverMemory();
      while (m.processes > 1 && performance.now() - t0 < SETTLE_MAX_S * 1000) {
        await sleep(2000);
        m = target.serverMemory();
      }
      await sleep(5000);
      m = target.serverMemory();
      settled = {
        sessions: held.length,
        waited_s: round1((performance.now() - t0) / 1000),
        server_processes: m.processes,
        server_pss_mb: round1(m.pssMb),
        server_pss_mb_per_session: Math.round(((m.pssMb - base.pss) / held.length) * 1000) / 1000,
        idle_cpu: await idleCpu(target),
      };
      const per = `${settled.server_pss_mb_per_session} MB/session`;
      const what = `${settled.server_processes} process(es), ${settled.waited_s} s on`;
      console.log(`${target.name} ${held.length} idle sessions, accounts sealed: server PSS ${settled.server_pss_mb} MB (${per}), ${what}`);
      console.log(`${target.name} ${held.length} idle sessions, settled, ${settled.idle_cpu.window_s} s: ${coresText(settled.idle_cpu)}`);
    }
  } finally {
    for (const t of held) t.end();
  }
  return {
    steps,
    baseline: { server_rss_mb: round1(base.server), server_pss_mb: round1(base.pss), host_used_mb: round1(base.host) },
    failures,
    ...(settled ? { settled } : {}),
  };
}

async function main(): Promise<void> {
  const result = {
    benchmark: 'density',
    date: new Date().toISOString(),
    machine: machineInfo(),
    steps: [] as Step[],
    baseline: {} as Record<string, unknown>,
    failures: {} as Record<string, number>,
    settled: undefined as Settled | undefined,
  };
  for (const name of targetsFromArgs(argv)) {
    const target = await startTarget(name);
    try {
      const r = await measure(target);
      result.steps.push(...r.steps);
      result.baseline[name] = r.baseline;
      result.failures[name] = r.failures;
      if (r.settled) result.settled = r.settled;
    } finally {
      await target.close();
    }
  }
  writeResult('density', result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
