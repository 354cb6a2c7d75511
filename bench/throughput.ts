/**
 * Output throughput through a session: MB/s of `cat` of a large file in the
 * trainee's shell, received by the SSH client (TTY output, as a trainee
 * reading a log sees it), for ISLET and the peer.
 * Writes bench/results/<date>-throughput.json.
 *
 * Usage: node bench/throughput.ts [--targets islet,peer] [--mb 50] [--runs 3]
 */
import { openJourney, run } from './lib/journey.ts';
import { machineInfo } from './lib/machine.ts';
import { round1, writeResult } from './lib/results.ts';
import { numArg, startTarget, targetsFromArgs, type TargetName } from './lib/targets.ts';

const argv = process.argv.slice(2);
const MB = numArg(argv, 'mb', 50);
const RUNS = numArg(argv, 'runs', 3);

interface Run {
  target: TargetName;
  mb: number;
  seconds: number;
  mbps: number;
}

async function main(): Promise<void> {
  const result = {
    benchmark: 'throughput',
    date: new Date().toISOString(),
    machine: machineInfo(),
    method: `cat of a ${MB} MB text file in the shell; MB received by the client per second`,
    runs: [] as Run[],
  };
  for (const name of targetsFromArgs(argv)) {
    const target = await startTarget(name);
    try {
      const { trainee: t } = await openJourney(target, { account: 'reader', password: 'readerpw', choice: target.choices.demo });
      await run(t, `yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c ${MB * 1_000_000} > big.txt`, 120_000);
      for (let i = 0; i < RUNS; i++) {
        let tail = '';
        const before = t.bytes;
        const done = new Promise<void>((resolve) => {
          t.divert((b) => {
            tail = (tail + b.toString('latin1')).slice(-64);
            if (tail.includes('@@CAT-END@@')) resolve();
          });
        });
        const t0 = performance.now();
        t.send("cat big.txt; echo '@@CAT-''END@@'\r");
        await done;
        const seconds = (performance.now() - t0) / 1000;
        t.divert(undefined);
        const mb = (t.bytes - before) / 1_000_000;
        result.runs.push({ target: name, mb: round1(mb), seconds: Math.round(seconds * 1000) / 1000, mbps: round1(mb / seconds) });
        console.log(`${name}: ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(1)} MB/s`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      t.end();
    } finally {
      await target.close();
    }
  }
  writeResult('throughput', result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
