/**
 * Time to a shell (the paper's Figure 7), trainee by trainee on a quiet
 * machine, for ISLET and the peer (the original design) in the same run, both
 * up at once and taking turns trainee by trainee (ISLET, peer, ISLET, peer …):
 *   - first_menu: ssh start to the first menu prompt;
 *   - new: environment choice to the shell prompt, for a new container;
 *   - reattach: choice to prompt, back into the live shell after a drop;
 *   - restart: choice to prompt, for a container whose shell had exited;
 *   - warm (ISLET): choice to prompt, claiming a warm-pool container;
 *   - engine_floor: the engine's own create + attach + start to the first
 *     prompt, straight through the Engine API, with the body ISLET sends;
 *   - openssh_*: five trainees through the OpenSSH client (expect), to confirm
 *     that the ssh2 client used everywhere else measures what people get.
 * The peer's `docker start -ai` into a running container prints nothing
 * until a key is pressed, so for its reattach the trainee presses Enter on
 * "Welcome back!", as a person would; ISLET redraws the screen itself.
 * Writes bench/results/<date>-login-latency.json.
 *
 * Usage: node bench/login-latency.ts [--trainees 30] [--targets islet,peer]
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import { repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { loadConfigDir } from '../src/config/config-source.ts';
import { createOptions } from '../src/runtime/docker/index.ts';
import { floorOptions } from './lib/floor-options.ts';
import { openJourney, openToMenu, run } from './lib/journey.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { SHELL_PROMPT, numArg, startTarget, targetsFromArgs, type Target } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'trainees', 30);
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Samples = Record<string, number[]>;

/** Sends the menu choice and times it to the shell prompt (pressing Enter on "Welcome back!" for the peer's reattach). */
async function choose(target: Target, t: import('../test/helpers/ssh-trainee.ts').SshTrainee, choice: string, pressEnter: boolean): Promise<number> {
  const t0 = now();
  t.send(`${choice}\r`);
  if (pressEnter) {
    await t.waitFor(/Welcome back!/);
    t.send('\r');
  }
  await t.waitFor(SHELL_PROMPT);
  return now() - t0;
}

const floorRun = testRunId();

function emptySamples(target: Target): Samples {
  return { first_menu: [], new: [], reattach: [], restart: [], ...(target.choices.warm ? { warm: [] } : {}) };
}

/** One trainee's journeys on one system (issue 15.2: the caller alternates the systems trainee by trainee). */
async function measureOne(target: Target, i: number, s: Samples): Promise<void> {
  const account = `lat${i}`;
  const first = await openJourney(target, { account, password: 'benchpw', choice: target.choices.demo });
  s.first_menu!.push(first.times.firstMenu);
  s.new!.push(first.times.shell);
  if (target.name === 'islet') (s.engine_floor ??= []).push(await floorSample(floorRun, i));
  await run(first.trainee, 'sleep 1000 & :');
  first.trainee.end();
  await sleep(500); // the server notices the drop
  const back = await openToMenu(target, { account, password: 'benchpw', existing: true });
  s.reattach!.push(await choose(target, back.trainee, target.choices.demo, target.name === 'peer'));
  back.trainee.send('exit\r');
  await back.trainee.waitFor(/\[Choice\]: $/);
  s.restart!.push(await choose(target, back.trainee, target.choices.demo, false));
  back.trainee.end();
  if (target.choices.warm) {
    const w = await openToMenu(target, { account: `warm${i}`, password: 'benchpw' });
    await sleep(2500); // let the pool refill after the previous claim, as between real arrivals
    s.warm!.push(await choose(target, w.trainee, target.choices.warm, false));
    w.trainee.end();
    await sleep(3500); // the refill (2 s after a claim, then a create and start) ends before the next trainee's new container is timed
  }
}

/** A few trainees through the OpenSSH client (expect), to confirm the ssh2-client figures. */
async function opensshSample(target: Target, n: number): Promise<{ first_menu: number[]; new: number[] }> {
  const out = { first_menu: [] as number[], new: [] as number[] };
  for (let i = 0; i < n; i++) {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'expect',
        [join(repoRoot, 'bench/lib/openssh-sample.exp'), String(target.port), target.gate.user, target.gate.password, `ossh${i}`, target.choices.demo],
        { timeout: 180_000 },
        (err, so) => (err ? reject(new Error(`${err.message}\n${so}`)) : resolve(so)),
      );
    });
    const m = /RESULT (\d+) (\d+)/.exec(stdout);
    if (!m) throw new Error(`OpenSSH sample failed: ${stdout.slice(-300)}`);
    out.first_menu.push(Number(m[1]));
    out.new.push(Number(m[2]));
  }
  return out;
}

/**
 * The engine's floor: the create body ISLET sends, straight through dockerode, from create until the
 * shell prompt. One sample per trainee, taken right after ISLET's own new container, so both see the
 * same engine (the same containers already running, the same warm pool).
 */
const docker = new Docker();
const demoEnv = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
/**
 * The floor's create body is ISLET's server's, its hosts file and CPU group included. No guard of its own: its samples
 * are taken only while ISLET's server runs, which guards the group for them; a second guard beside it (or beside the
 * peer's, which the benchmark runs while the peer is up) could mark the group idle again while the other holds it lifted.
 */
const hosts = floorOptions({ guard: false });

async function floorSample(runId: string, i: number): Promise<number> {
  const { name: _name, ...body } = createOptions(
    { name: `floor-${runId}-${i}`, env: demoEnv, labels: { 'islet.test': runId }, tty: { cols: 120, rows: 40 }, term: 'xterm' },
    hosts.local,
  );
  const t0 = now();
  const c = await docker.createContainer(body);
  const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  let seen = '';
  const first = new Promise<void>((r) =>
    stream.on('data', (b: Buffer) => {
      seen += b.toString();
      if (SHELL_PROMPT.test(seen)) r();
    }),
  );
  await c.start();
  await first;
  const ms = now() - t0;
  (stream as unknown as { destroy(): void }).destroy();
  await c.remove({ force: true });
  return ms;
}

async function main(): Promise<void> {
  const samples: Record<string, Samples> = {};
  // Both systems up at once, trainee by trainee in turn (ISLET, peer, ISLET, peer …), so a noisy minute
  // lands on both; the engine floor is sampled right after each ISLET new container.
  const targets: Target[] = [];
  try {
    for (const name of targetsFromArgs(argv)) targets.push(await startTarget(name, name === 'islet' ? { warmPool: 3 } : {}));
    for (const t of targets) samples[t.name] = emptySamples(t);
    for (let i = 0; i < N; i++) for (const t of targets) await measureOne(t, i, samples[t.name]!);
    for (const t of targets) {
      const o = await opensshSample(t, 5);
      samples[t.name]!.openssh_first_menu = o.first_menu;
      samples[t.name]!.openssh_new = o.new;
    }
  } finally {
    for (const t of targets) await t.close();
  }
  await sweepTestContainers(floorRun);
  hosts.dispose();
  const summary: Record<string, Record<string, { median: number; p95: number; min: number; max: number }>> = {};
  for (const [target, kinds] of Object.entries(samples)) {
    summary[target] = {};
    for (const [kind, xs] of Object.entries(kinds)) {
      kinds[kind] = xs.map(round1);
      summary[target][kind] = { median: round1(pct(xs, 0.5)), p95: round1(pct(xs, 0.95)), min: round1(Math.min(...xs)), max: round1(Math.max(...xs)) };
    }
  }
  const result = { benchmark: 'login-latency', date: new Date().toISOString(), machine: machineInfo(), trainees: N, summary, samples };
  console.log('target  kind          median     p95     min     max   (ms)');
  for (const [target, kinds] of Object.entries(summary)) {
    for (const [kind, v] of Object.entries(kinds))
      console.log(
        `${target.padEnd(7)} ${kind.padEnd(12)} ${String(v.median).padStart(7)} ${String(v.p95).padStart(7)} ${String(v.min).padStart(7)} ${String(v.max).padStart(7)}`,
      );
  }
  writeResult('login-latency', result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
