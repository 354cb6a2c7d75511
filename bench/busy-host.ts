/**
 * Trainees on a host whose CPUs another job keeps busy: one busy loop per CPU at nice 0, outside the containers
 * (as an image build or any batch job on the same machine would be). Logins one after another, each to a new
 * container, then `echo hi` at its prompt; first on a quiet host, then with the loops running. Records the time to
 * the shell, the command's time and how often the server lifted the trainee group's idle mark
 * (src/runtime/docker/trainee-group-guard.ts; its `trainee_cpu_starved` warnings). Writes
 * bench/results/<date>-busy-host.json.
 *
 * Usage: node bench/busy-host.ts [--logins 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { openJourney, run } from './lib/journey.ts';
import { machineInfo } from './lib/machine.ts';
import { round1, writeResult } from './lib/results.ts';
import { settle } from './lib/settle.ts';
import { numArg, startIslet, type Target } from './lib/targets.ts';

const argv = process.argv.slice(2);
const LOGINS = numArg(argv, 'logins', 5);

interface Login {
  shell_ms?: number;
  echo_ms?: number;
  error?: string;
}

async function logins(t: Target, tag: string): Promise<Login[]> {
  const out: Login[] = [];
  for (let i = 0; i < LOGINS; i++) {
    try {
      const j = await openJourney(t, { account: `${tag}${i}`, password: 'busyhostpw', choice: t.choices.demo, timeoutMs: 60_000 });
      const r = await run(j.trainee, 'echo hi', 60_000);
      out.push({ shell_ms: round1(j.times.total), echo_ms: round1(r.ms) });
      j.trainee.end();
    } catch (err) {
      out.push({ error: String(err).slice(0, 300) });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const t = await startIslet({});
  const loops: ChildProcess[] = [];
  try {
    await settle();
    const quiet = await logins(t, 'q');
    for (let i = 0; i < cpus().length; i++) loops.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
    const busy = await logins(t, 'b');
    const starved = t.problems().filter((l) => l.includes('"trainee_cpu_starved"')).length;
    const result = { benchmark: 'busy-host', date, machine: machineInfo(), logins: LOGINS, busy_loops: loops.length, quiet, busy, guard_lifts: starved };
    console.log(JSON.stringify({ quiet, busy, guard_lifts: starved }));
    writeResult('busy-host', result);
  } finally {
    for (const l of loops) l.kill('SIGKILL');
    await t.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
