/**
 * Login storm and keystroke echo (issue 6, first part): N trainees (default
 * 100) connect at the same moment through real SSH, each creates an account
 * and enters an environment; measures per-trainee time from ssh start to
 * shell prompt (success rate, p50/p95/max), cold and with a warm pool of N.
 * Then, with all N shells live, every trainee types single characters once a
 * second and the time from keystroke to its echo is measured (p50/p95/p99).
 * Writes bench/results/<date>-login-storm.json.
 *
 * Usage: node bench/login-storm.ts [N]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { SshTrainee, stats } from '../test/helpers/ssh-trainee.ts';

const N = Number(process.argv[2] ?? 100);
const PROMPT = /student@demo:[^\r\n]*\$ /;
const now = () => performance.now();

async function storm(islet: IsletProcess, tag: string, choice: string): Promise<{ times: number[]; failures: number; trainees: SshTrainee[] }> {
  const trainees: SshTrainee[] = [];
  let failures = 0;
  const times = (await Promise.all(Array.from({ length: N }, async (_, i) => {
    const t = new SshTrainee();
    const t0 = now();
    try {
      await t.connect(islet.port);
      await t.waitFor(/\[new\/existing\]: $/, 60_000);
      t.send('new\r'); await t.waitFor(/Choose a username.*: $/, 60_000);
      t.send(`${tag}${i}\r`); await t.waitFor(/Choose a password.*: $/, 60_000);
      t.send('stormpw\r'); await t.waitFor(/Verify your password: $/, 60_000);
      t.send('stormpw\r'); await t.waitFor(/\[Choice\]: $/, 60_000);
      t.send(`${choice}\r`); await t.waitFor(PROMPT, 120_000);
      trainees.push(t);
      return now() - t0;
    } catch { failures++; t.end(); return undefined; }
  }))).filter((x): x is number => x !== undefined);
  return { times, failures, trainees };
}

async function echoLatency(trainees: SshTrainee[], rounds: number): Promise<number[]> {
  const out: number[] = [];
  await Promise.all(trainees.map(async (t, i) => {
    await new Promise((r) => setTimeout(r, (i * 1000) / trainees.length)); // spread the typing over each second
    for (let k = 0; k < rounds; k++) {
      const ch = String.fromCharCode(97 + (k % 26));
      t.skip();
      const t0 = now();
      t.send(ch);
      await t.waitFor(new RegExp(ch), 10_000);
      out.push(now() - t0);
      t.send('\x7f'); // erase it again
      await new Promise((r) => setTimeout(r, 1000));
    }
  }));
  return out;
}

async function main(): Promise<void> {
  const runId = testRunId();
  const islet = new IsletProcess(runId);
  writeFileSync(join(islet.configDir, 'islet.yaml'), `ssh_new_connections_per_ip: ${N * 4}\n`);
  writeFileSync(join(islet.configDir, 'environments/warm.yaml'), `image: islet/demo:latest\nuser: student\ncommand: /bin/sh -l\nmemory: 128m\nhostname: demo\nwarm_pool: ${N}\n`);
  const result: Record<string, unknown> = { benchmark: 'login-storm', date: new Date().toISOString(), trainees: N };
  try {
    await islet.start();
    const cold = await storm(islet, 'c', '1');
    result.cold = { ...stats(cold.times), success: `${cold.times.length}/${N}` };
    const echo = await echoLatency(cold.trainees, 10);
    const s = [...echo].sort((a, b) => a - b);
    result.echo_ms = { ...stats(echo), p99: Math.round(s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]! * 10) / 10, activeShells: cold.trainees.length };
    for (const t of cold.trainees) t.end();
    // Wait for the pool to be full before the warm storm.
    const t0 = Date.now();
    const { DockerDriver } = await import('../src/runtime/docker/index.ts');
    const d = new DockerDriver();
    while (Date.now() - t0 < 300_000) {
      const ready = (await d.find({ 'islet.instance': islet.instance, 'islet.pool': 'true' })).filter((c) => c.name.includes('.pool-') && c.state === 'running').length;
      if (ready >= N) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const warm = await storm(islet, 'w', '2');
    result.warm_pool = { ...stats(warm.times), success: `${warm.times.length}/${N}` };
    for (const t of warm.trainees) t.end();
  } finally {
    await islet.dispose();
    await sweepTestContainers(runId);
  }
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${String(result.date).slice(0, 10)}-login-storm.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file}`);
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
