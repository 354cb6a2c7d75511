/**
 * Time to a shell through a Swarm (issue 14, performance): the same trainee journey against two `islet serve`
 * in the same run, one on the machine's single engine and one with `runtime: { driver: swarm }` on a
 * three-node swarm lab (scripts/swarm-lab.sh, started and removed here), trainees interleaved so load that
 * shifts during the run weighs on both alike:
 *   - new: environment choice to the shell prompt, for a new container (swarm: a service scaled to one task);
 *   - reattach: choice to prompt, back into the live shell after a drop.
 * Writes bench/results/<date>-swarm-latency.json (medians, p90, the load average before and after, commit and
 * command through writeResult).
 *
 * Usage: node bench/swarm-latency.ts [--trainees 15]
 */
import { loadavg } from 'node:os';
import { startLab } from '../test/swarm/lab.ts';
import { openJourney, openToMenu, run } from './lib/journey.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { SHELL_PROMPT, numArg, startIslet, type Target } from './lib/targets.ts';

const N = numArg(process.argv.slice(2), 'trainees', 15);
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

const load0 = loadavg();
const lab = await startLab(3, 'iswb');
const targets: Record<string, Target> = {};
try {
  const nodes = Object.entries(lab.nodes).map(([h, a]) => `    ${h}: ${a}`);
  targets.single = await startIslet();
  targets.swarm = await startIslet({ config: ['runtime:', '  driver: swarm', `  manager: ${lab.env.DOCKER_HOST}`, '  nodes:', ...nodes] });
  const samples: Record<string, { fresh: number[]; reattach: number[] }> = { single: { fresh: [], reattach: [] }, swarm: { fresh: [], reattach: [] } };
  for (let i = 0; i < N; i++) {
    // Alternate which system goes first.
    const order = i % 2 === 0 ? ['single', 'swarm'] : ['swarm', 'single'];
    for (const name of order) {
      const s = await sample(targets[name]!, i);
      samples[name]!.fresh.push(s.fresh);
      samples[name]!.reattach.push(s.reattach);
    }
  }
  const summary = (xs: number[]) => ({ p50: round1(pct(xs, 0.5)), p90: round1(pct(xs, 0.9)), min: round1(Math.min(...xs)), max: round1(Math.max(...xs)) });
  const result = {
    date: new Date().toISOString(),
    trainees: N,
    nodes: 3,
    loadavg_before: load0.map(round1),
    loadavg_after: loadavg().map(round1),
    new_ms: { single: summary(samples.single!.fresh), swarm: summary(samples.swarm!.fresh) },
    reattach_ms: { single: summary(samples.single!.reattach), swarm: summary(samples.swarm!.reattach) },
    samples,
    problems: { single: targets.single.problems(), swarm: targets.swarm.problems() },
  };
  console.log(JSON.stringify({ new_ms: result.new_ms, reattach_ms: result.reattach_ms, loadavg: result.loadavg_after }, null, 2));
  writeResult('swarm-latency', result);
} finally {
  for (const t of Object.values(targets)) await t.close().catch(() => undefined);
  await lab.down();
}
