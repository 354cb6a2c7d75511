/**
 * Login latency benchmark (issue 2): over N trainees (default 30), through
 * the real `islet serve` and the real engine, measures
 *   - ssh start to the first ISLET prompt,
 *   - environment choice to shell prompt for a NEW container,
 *   - choice to prompt for a REATTACH to the live shell,
 *   - choice to prompt for a RESTART (returning trainee whose shell had exited),
 * and the engine's own floor: create + attach + start until the first prompt
 * byte, straight through the Engine API (dockerode), same image.
 * Prints the figures and writes bench/results/<date>-login-latency.json.
 *
 * Usage: npm run bench  (or: node bench/login-latency.ts [N])
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { SshTrainee, stats } from '../test/helpers/ssh-trainee.ts';
import { loadConfigDir } from '../src/config/config-source.ts';
import { createOptions } from '../src/runtime/docker/index.ts';

const N = Number(process.argv[2] ?? 30);
const PROMPT = /student@demo:[^\r\n]*\$ /;
const runId = testRunId();
const islet = new IsletProcess(runId);
const now = () => performance.now();

async function menuChoice(t: SshTrainee): Promise<void> { await t.waitFor(/\[Choice\]: $/); }

async function main(): Promise<void> {
  writeFileSync(join(islet.configDir, 'environments/warm.yaml'), 'image: islet/demo:latest\nuser: student\ncommand: /bin/sh -l\nmemory: 128m\nhostname: demo\nwarm_pool: 3\n');
  await islet.start();
  const sshToPrompt: number[] = [], fresh: number[] = [], reattach: number[] = [], restart: number[] = [], warm: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const user = `bench${i}x${runId.slice(0, 4)}`;
      // New trainee: ssh start -> first prompt; then a new container.
      let t = new SshTrainee();
      let t0 = now();
      await t.connect(islet.port);
      await t.waitFor(/Are you a new or existing user\? \[new\/existing\]: $/);
      sshToPrompt.push(now() - t0);
      t.send('new\r'); await t.waitFor(/Choose a username.*: $/);
      t.send(`${user}\r`); await t.waitFor(/Choose a password.*: $/);
      t.send('benchpw\r'); await t.waitFor(/Verify your password: $/);
      t.send('benchpw\r'); await menuChoice(t);
      t0 = now(); t.send('1\r'); await t.waitFor(PROMPT); fresh.push(now() - t0);
      t.send('sleep 1000 &\r'); await t.waitFor(PROMPT);
      t.end();
      await islet.waitForLog((l) => l.event === 'environment_detached' && l.account === user);
      // Returning trainee: reattach to the live shell.
      t = new SshTrainee();
      await t.connect(islet.port);
      await t.waitFor(/\[new\/existing\]: $/);
      t.send('existing\r'); await t.waitFor(/Username: $/);
      t.send(`${user}\r`); await t.waitFor(/Password: $/);
      t.send('benchpw\r'); await menuChoice(t);
      t0 = now(); t.send('1\r'); await t.waitFor(PROMPT); reattach.push(now() - t0);
      // Shell exits -> menu; choosing again starts the stopped container.
      t.send('exit\r'); await menuChoice(t);
      t0 = now(); t.send('1\r'); await t.waitFor(PROMPT); restart.push(now() - t0);
      t.end();
      // A second new trainee, into the warm-pool environment (menu entry 2: demo, warm, then plugins).
      t = new SshTrainee();
      await t.connect(islet.port);
      await t.waitFor(/\[new\/existing\]: $/);
      t.send('new\r'); await t.waitFor(/Choose a username.*: $/);
      t.send(`w${user}\r`); await t.waitFor(/Choose a password.*: $/);
      t.send('benchpw\r'); await t.waitFor(/Verify your password: $/);
      t.send('benchpw\r'); await menuChoice(t);
      await new Promise((r) => setTimeout(r, 500)); // let the pool refill after the previous claim, as between real arrivals
      t0 = now(); t.send('2\r'); await t.waitFor(PROMPT); warm.push(now() - t0);
      t.end();
    }
  } finally {
    await islet.dispose();
    await sweepTestContainers(runId);
  }

  // The engine's own floor: the same create body ISLET sends (same image, limits, user, command),
  // straight through dockerode, from create until the shell prompt appears.
  const docker = new Docker();
  const env = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
  const floor: number[] = [];
  for (let i = 0; i < N; i++) {
    const { name: _name, ...body } = createOptions({ name: `floor-${runId}-${i}`, env, labels: { 'islet.test': runId }, tty: { cols: 120, rows: 40 }, term: 'xterm' });
    const t0 = now();
    const c = await docker.createContainer(body);
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    let seen = '';
    const first = new Promise<void>((r) => stream.on('data', (b: Buffer) => { seen += b.toString(); if (PROMPT.test(seen)) r(); }));
    await c.start();
    await first;
    floor.push(now() - t0);
    (stream as unknown as { destroy(): void }).destroy();
    await c.remove({ force: true });
  }

  const result = {
    benchmark: 'login-latency', date: new Date().toISOString(), trainees: N,
    machine: { cpus: (await import('node:os')).cpus().length, memGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30) },
    ms: { ssh_start_to_first_prompt: stats(sshToPrompt), choice_to_prompt_new_container: stats(fresh), choice_to_prompt_reattach_live_shell: stats(reattach), choice_to_prompt_restart_stopped_container: stats(restart), choice_to_prompt_warm_pool_claim: stats(warm), engine_floor_create_attach_start_to_prompt: stats(floor) },
  };
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.slice(0, 10)}-login-latency.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log('metric (ms)                                    median     p95     min     max');
  for (const [k, v] of Object.entries(result.ms)) console.log(`${k.padEnd(46)} ${String(v.median).padStart(6)} ${String(v.p95).padStart(7)} ${String(v.min).padStart(7)} ${String(v.max).padStart(7)}`);
  console.log(`wrote ${file}`);
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
