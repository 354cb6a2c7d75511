/**
 * Time to a shell through a Swarm (issue 14, performance): the same trainee journey against two `islet serve`
 * in the same run, one on a single engine and one with `runtime: { driver: swarm }` on a three-node swarm lab
 * (scripts/swarm-lab.sh, started and removed here), trainees interleaved so load that shifts during the run
 * weighs on both alike. The single engine is, by default, the lab's node 3 (the same dockerd, flags and
 * `nice` as the swarm's nodes, and private to the benchmark like them: like with like); `--single host` uses
 * the machine's own engine instead (shared with whatever else runs on the machine).
 *   - new: environment choice to the shell prompt, for a new container (swarm: a service scaled to one task);
 *   - reattach: choice to prompt, back into the live shell after a drop;
 *   - warm (with --pool N, N > 0): choice to prompt for a new trainee of an environment with a warm pool of N
 *     (single host: a claim renames a ready container; swarm: a ready one-task service claimed in the store,
 *     src/sessions/warm-pool.ts). Each warm sample waits until the pool is full again first, so it measures a claim.
 * Writes bench/results/<date>-swarm-latency.json (medians, p90, the load average before and after, commit and
 * command through writeResult).
 *
 * Usage: node bench/swarm-latency.ts [--trainees 15] [--pool 2] [--single lab|host]
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { startLab } from '../test/swarm/lab.ts';
import { openJourney, openToMenu, run } from './lib/journey.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { SHELL_PROMPT, numArg, startIslet, type Target } from './lib/targets.ts';

const N = numArg(process.argv.slice(2), 'trainees', 15);
const POOL = numArg(process.argv.slice(2), 'pool', 2);
const SINGLE_ON_HOST = process.argv.includes('--single') && process.argv[process.argv.indexOf('--single') + 1] === 'host';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sample(target: Target, i: number): Promise<{ fresh: number; reattach: number }> {
  const account = `sw${i}`;
  const first = await openJourney(target, { account, password: 'benchpw', choice: target.choices.demo });
  await run(first.trainee, 'sleep 1000 & :');
  first.trainee.end();
  await sleep(500); // the server notices the drop
  const back = await openToMenu(target, { account, password: 'benchpw', existing: true });
  const t0 = performance.now();
  back.trainee.send(`${target.choices.demo}\r`);
  await back.trainee.waitFor(SHELL_PROMPT);
  const reattach = performance.now() - t0;
  back.trainee.end();
  return { fresh: first.times.shell, reattach };
}

/** Choice to prompt for a new trainee of the warm-pool environment. */
async function warmSample(target: Target, i: number): Promise<number> {
  const w = await openJourney(target, { account: `sww${i}`, password: 'benchpw', choice: target.choices.warm! });
  w.trainee.end();
  return w.times.shell;
}

/** Pool instances (claimed or not) that run: `claims` made so far plus a full pool means a ready one waits. */
function poolRunning(name: string, target: Target, manager: string): number {
  const out =
    name === 'swarm'
      ? execFileSync('docker', ['-H', manager, 'service', 'ls', '--filter', 'label=islet.pool=true', '--format', '{{.Replicas}}'], { encoding: 'utf8' })
      : execFileSync('docker', [...singleHost, 'ps', '--filter', target.containerFilter, '--filter', 'label=islet.pool=true', '--format', '{{.ID}}'], {
          encoding: 'utf8',
        });
  return out.split('\n').filter((l) => l && (name !== 'swarm' || l.startsWith('1/1'))).length;
}

async function poolFull(name: string, target: Target, manager: string, want: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (poolRunning(name, target, manager) < want) {
    if (Date.now() > deadline)
      throw new Error(
        `${name}: the warm pool did not refill to ${want} within 60 s (${poolRunning(name, target, manager)} run); ` +
          `server problems:\n${target.problems().join('\n')}`,
      );
    await sleep(250);
  }
  await sleep(2500); // REFILL_QUIET_MS: the refill of the previous claim is done, none starts during the sample
}

const load0 = loadavg();
const lab = await startLab(3, 'iswb');
const targets: Record<string, Target> = {};
const singleEngine = SINGLE_ON_HOST ? undefined : lab.env.ISLET_LAB_NODE3!;
const singleHost = singleEngine ? ['-H', singleEngine] : [];
try {
  const nodes = Object.entries(lab.nodes).map(([h, a]) => `    ${h}: ${a}`);
  targets.single = await startIslet({ warmPool: POOL, ...(singleEngine ? { env: { DOCKER_HOST: singleEngine } } : {}) });
  targets.swarm = await startIslet({ warmPool: POOL, config: ['runtime:', '  driver: swarm', `  manager: ${lab.env.DOCKER_HOST}`, '  nodes:', ...nodes] });
  const samples: Record<string, { fresh: number[]; reattach: number[]; warm: number[] }> = {
    single: { fresh: [], reattach: [], warm: [] },
    swarm: { fresh: [], reattach: [], warm: [] },
  };
  for (let i = 0; i < N; i++) {
    // Alternate which system goes first.
    const order = i % 2 === 0 ? ['single', 'swarm'] : ['swarm', 'single'];
    for (const name of order) {
      const s = await sample(targets[name]!, i);
      samples[name]!.fresh.push(s.fresh);
      samples[name]!.reattach.push(s.reattach);
      if (POOL > 0) {
        await poolFull(name, targets[name]!, lab.env.DOCKER_HOST!, i + POOL);
        samples[name]!.warm.push(await warmSample(targets[name]!, i));
      }
    }
  }
  const summary = (xs: number[]) => ({ p50: round1(pct(xs, 0.5)), p90: round1(pct(xs, 0.9)), min: round1(Math.min(...xs)), max: round1(Math.max(...xs)) });
  const result = {
    date: new Date().toISOString(),
    trainees: N,
    nodes: 3,
    single_engine: singleEngine ? 'lab node 3' : 'the machine engine',
    loadavg_before: load0.map(round1),
    loadavg_after: loadavg().map(round1),
    new_ms: { single: summary(samples.single!.fresh), swarm: summary(samples.swarm!.fresh) },
    reattach_ms: { single: summary(samples.single!.reattach), swarm: summary(samples.swarm!.reattach) },
    ...(POOL > 0 ? { pool: POOL, warm_ms: { single: summary(samples.single!.warm), swarm: summary(samples.swarm!.warm) } } : {}),
    samples,
    problems: { single: targets.single.problems(), swarm: targets.swarm.problems() },
  };
  console.log(
    JSON.stringify({ new_ms: result.new_ms, warm_ms: result.warm_ms, reattach_ms: result.reattach_ms, loadavg: [load0, result.loadavg_after] }, null, 2),
  );
  writeResult('swarm-latency', result);
} finally {
  for (const t of Object.values(targets)) await t.close().catch(() => undefined);
  await lab.down();
}
