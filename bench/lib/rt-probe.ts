/**
 * Runs bench/rt-probe.c beside a benchmark's window and reads what it saw: how late a SCHED_FIFO thread on each
 * core woke from a 1 ms sleep, the floor that no scheduling of ISLET's own can go under (see the C file's comment).
 *
 * Contract: `startRtProbe(seconds)` builds the probe with the machine's C compiler into a temporary directory and
 * starts it for `seconds`; it answers undefined (and says why on the console) where there is no compiler or the
 * build fails. `done()` waits for it to end and parses its output; `stop()` kills it early (for a failed run).
 * `parseRtProbe` and `stallsDuring` are pure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../rt-probe.c', import.meta.url));

/** One wake-up late by 10 ms or more: the core, the wall-clock time it went to sleep (ms since the epoch), how late. */
export interface RtStall {
  readonly cpu: number;
  readonly at: number;
  readonly ms: number;
}

export interface RtProbeOutput {
  /** Per core: wake-ups late by <1, <2, <5, <10, <20, <50, <100 and >=100 ms. */
  readonly histograms: number[][];
  readonly stalls: RtStall[];
}

/** The probe's output, as bench/rt-probe.c prints it; lines it does not know are skipped. */
export function parseRtProbe(text: string): RtProbeOutput {
  const histograms: number[][] = [];
  const stalls: RtStall[] = [];
  for (const line of text.split('\n')) {
    const h = /^cpu (\d+) hist [^:]*:((?: \d+)+)$/.exec(line.trim());
    if (h) histograms[Number(h[1])] = h[2]!.trim().split(' ').map(Number);
    const s = /^late cpu=(\d+) at=([\d.]+) ms=([\d.]+)$/.exec(line.trim());
    if (s) stalls.push({ cpu: Number(s[1]), at: Number(s[2]), ms: Number(s[3]) });
  }
  return { histograms, stalls };
}

/** The stalls that overlap [from, to] (wall-clock ms): a stall covers [at, at + 1 + ms], its sleep and its lateness. */
export function stallsDuring(stalls: readonly RtStall[], from: number, to: number): RtStall[] {
  return stalls.filter((s) => s.at < to && s.at + 1 + s.ms > from);
}

export async function startRtProbe(seconds: number): Promise<{ done(): Promise<RtProbeOutput>; stop(): void } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-rt-probe-'));
  const bin = join(dir, 'rt-probe');
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-O2', '-pthread', '-o', bin, SOURCE], { encoding: 'utf8', timeout: 60_000 });
  if (built.status !== 0) {
    console.log(`rt probe: not built (${cc}: ${built.error?.message ?? built.stderr.trim().split('\n')[0]})`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const child = spawn(bin, [String(Math.ceil(seconds))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    done: async () => {
      await ended;
      rmSync(dir, { recursive: true, force: true });
      return parseRtProbe(out);
    },
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
