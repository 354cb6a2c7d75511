/**
 * A login storm across two front doors and a three-node swarm (issue 14, performance): N trainees (default
 * 300) connect at once, half through door A and half through door B (two `islet serve` sharing the lab's
 * PostgreSQL store, `runtime: { driver: swarm }`); each creates an account and reaches a shell. Then, in the
 * same run, the same storm against one `islet serve` on the machine's single engine (SQLite), for the p95
 * beside it. Checks nothing was lost: every trainee served, one service per trainee on the swarm, the
 * accounts in the shared store. Writes bench/results/<date>-swarm-storm.json.
 *
 * Usage: node bench/swarm-storm.ts [--trainees 300] [--swarm-only]
 */
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { IsletProcess } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import type { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import { startLab } from '../test/swarm/lab.ts';
import { openJourney } from './lib/journey.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg, type Target } from './lib/targets.ts';

const N = numArg(process.argv.slice(2), 'trainees', 300);
const swarmOnly = process.argv.includes('--swarm-only');
const LOAD_LIMITS = [
  'ssh_max_connections: 5000',
  'ssh_max_connections_per_ip: 5000',
  'ssh_new_connections_per_ip: 100000',
  'ssh_login_grace: 300s',
  'account_creations_per_ip: 100000',
  'max_containers: 100000',
  'admission_wait: 600s',
  'reconcile_interval: 10m',
  'server_priority: 0',
];

function target(p: IsletProcess): Target {
  return {
    name: 'islet',
    variant: 'islet',
    port: p.port,
    pid: p.pid!,
    containerFilter: '',
    gate: { user: 'demo', password: 'demo' },
    choices: { demo: '1' },
    serverMemory: () => ({ mb: 0, pssMb: 0, processes: 0 }),
    problems: () => p.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l).slice(0, 400)),
    close: async () => p.dispose(),
  };
}

async function storm(doors: Target[], tag: string) {
  const times: number[] = [];
  const errors: string[] = [];
  const trainees: SshTrainee[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      try {
        const j = await openJourney(doors[i % doors.length]!, { account: `${tag}${i}`, password: 'stormpw', choice: '1', timeoutMs: 300_000 });
        times.push(j.times.total);
        trainees.push(j.trainee);
      } catch (err) {
        errors.push(String(err).slice(0, 200));
      }
    }),
  );
  const wall = performance.now() - t0;
  for (const t of trainees) t.end();
  return {
    served: times.length,
    failed: errors.length,
    wall_s: round1(wall / 1000),
    p50_ms: round1(pct(times, 0.5)),
    p95_ms: round1(pct(times, 0.95)),
    max_ms: round1(Math.max(...times)),
    errors: errors.slice(0, 5),
  };
}

const load0 = loadavg();
const lab = await startLab(3, 'isws');
const runId = testRunId();
const procs: IsletProcess[] = [];
const result: Record<string, unknown> = { date: new Date().toISOString(), trainees: N, loadavg_before: load0.map(round1) };
try {
  const nodes = Object.entries(lab.nodes).map(([h, a]) => `    ${h}: ${a}`);
  // Two doors, one instance name (one run id), one PostgreSQL store.
  for (let d = 0; d < 2; d++) {
    const p = new IsletProcess(runId, { logLevel: 'info' });
    appendFileSync(
      join(p.configDir, 'islet.yaml'),
      `\n${[...LOAD_LIMITS, 'runtime:', '  driver: swarm', `  manager: ${lab.env.DOCKER_HOST}`, '  nodes:', ...nodes].join('\n')}\n`,
    );
    procs.push(p);
    await p.start({ ISLET_STORE: lab.env.ISLET_STORE! });
  }
  result.swarm = await storm(procs.map(target), 'sw');
  const services = await lab.docker(lab.env.DOCKER_HOST!, 'service', 'ls', '--filter', `label=islet.test=${runId}`, '--format', '{{.Name}}');
  // Running trainee containers per node, asked of each node's engine.
  const spread: Record<string, number> = {};
  for (const [node, addr] of Object.entries(lab.nodes))
    spread[node] = (await lab.docker(addr, 'ps', '-q', '--filter', `label=islet.test=${runId}`)).split('\n').filter(Boolean).length;
  result.swarm_services = services.split('\n').filter(Boolean).length;
  result.swarm_spread = spread;
  result.problems_swarm = procs.flatMap((p) => target(p).problems()).slice(0, 10);
  for (const p of procs) await p.dispose();
  procs.length = 0;
  console.log(JSON.stringify({ swarm: result.swarm, services: result.swarm_services, spread: result.swarm_spread }));
  writeResult(swarmOnly ? 'swarm-storm-swarm-only' : 'swarm-storm', result as { date: string }); // the swarm half, in case the single host never finishes

  // The single host, same run: one door, the machine's engine, SQLite.
  if (!swarmOnly) {
    const single = new IsletProcess(testRunId(), { logLevel: 'info' });
    appendFileSync(join(single.configDir, 'islet.yaml'), `\n${LOAD_LIMITS.join('\n')}\n`);
    procs.push(single);
    await single.start();
    result.single = await storm([target(single)], 'sh');
    result.problems_single = target(single).problems().slice(0, 10);
    result.loadavg_after = loadavg().map(round1);
    writeResult(swarmOnly ? 'swarm-storm-swarm-only' : 'swarm-storm', result as { date: string });
    await single.dispose();
    await sweepTestContainers(single.runId);
    procs.length = 0;
  }
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const p of procs) await p.dispose().catch(() => undefined);
  await lab.down();
}
