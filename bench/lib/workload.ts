/**
 * The paper's simulated trainee (ISLET paper, "User Simulation"): a script of
 * common commands — moving around the filesystem, running programs, checking
 * system information — run in loops, with a random delay under 10 s before
 * each command, so trainees do not act in step. Commands are typed one
 * character at a time, as a person types, and every echo is timed: that is
 * the keystroke latency trainees feel while the room works.
 */
import type { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { SHELL_PROMPT } from './targets.ts';

/** One loop of the script. The "program" is a short CPU task (0.15 s solo here), as trainees run tools on samples. */
export const WORKLOAD_COMMANDS: readonly string[] = [
  'cd /usr/bin',
  'ls | head -20',
  'cd /etc',
  'ls -la',
  'cat passwd',
  'cd ~',
  'ps',
  'uname -a',
  'df -h',
  'free',
  'id',
  'head -c 20000000 /dev/zero | md5sum',
];

/** The cut-off exercise: a fixed CPU-bound command (about 2 s solo here, as Bro on the paper's exercise trace). */
export const EXERCISE = 'head -c 300000000 /dev/zero | md5sum';

export interface EchoSample {
  readonly at: number;
  readonly ms: number;
  /** Which trainee typed it (WorkloadOptions.who), where the caller said. */
  readonly who?: number;
}

export interface WorkloadOptions {
  /** Loops of the script; Infinity runs until stop(). The paper ran 20. */
  readonly loops: number;
  /** Upper bound of the random delay before each command (ms); the paper used under 10 s. */
  readonly maxDelayMs: number;
  /** Where the delays' randomness comes from (uniform in [0, 1)); Math.random by default. */
  readonly random?: () => number;
  /** Pause between typed characters (ms). */
  readonly typingGapMs: number;
  /** Where the echo samples go (shared by all trainees). */
  readonly echoes: EchoSample[];
  /** This trainee's number, recorded with each of its echoes. */
  readonly who?: number;
  readonly stopped: () => boolean;
  /** While true the trainee types nothing new (the interleaved run pauses the systems not being measured). */
  readonly paused?: () => boolean;
  /** Set while a command is being typed or runs, so a pause can wait for the trainee to be quiet. */
  readonly state?: { busy: boolean };
  /**
   * The command of WORKLOAD_COMMANDS the first loop starts at (0 by default). A room whose trainees all start
   * at the first command at once stays in step for its first loop (the spread of the random delays grows
   * only as the square root of the commands typed), so its one CPU task runs as a wave; WorkerPool spreads
   * its trainees over the script instead, as trainees of a room that has been working for a while are.
   */
  readonly startAt?: number;
  /**
   * Told `true` just before a command's first key is typed and `false` just before its Enter (never inside an
   * echo's timing): bench/echo-trace.ts's --typing-boost-ab raises the typing trainee's CPU weight through it.
   */
  readonly onTyping?: (typing: boolean) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the script in `t`'s shell; resolves when the loops are done or stop() says so; counts failed commands. */
export async function runWorkload(t: SshTrainee, o: WorkloadOptions): Promise<{ commands: number; failures: number }> {
  let commands = 0,
    failures = 0;
  const startAt = o.startAt ?? 0;
  if (!Number.isInteger(startAt) || startAt < 0 || startAt >= WORKLOAD_COMMANDS.length) throw new RangeError(`startAt ${startAt}`);
  for (let loop = 0; loop < o.loops && !o.stopped(); loop++) {
    // `i` advances only once a command was typed: a command whose delay a pause cut short is typed at the next
    // activation, never skipped (a skipped `cd /etc` made the later `cat passwd` dump /usr/bin/passwd, a binary;
    // a first loop started at `cat passwd` runs it in the home directory, where it fails harmlessly).
    for (let i = loop === 0 ? startAt : 0; i < WORKLOAD_COMMANDS.length; ) {
      const cmd = WORKLOAD_COMMANDS[i]!;
      while (o.paused?.() && !o.stopped()) await sleep(250);
      const wait = (o.random ?? Math.random)() * o.maxDelayMs;
      const until = Date.now() + wait;
      while (Date.now() < until && !o.stopped() && !o.paused?.()) await sleep(Math.max(1, Math.min(250, until - Date.now())));
      if (o.stopped()) break;
      if (o.paused?.()) continue; // paused during the delay: this same command waits for the next activation
      i++;
      if (o.state) o.state.busy = true;
      try {
        t.forget();
        o.onTyping?.(true);
        for (const ch of cmd) {
          const t0 = performance.now();
          const ms = await t.echo(ch, 30_000);
          o.echoes.push(o.who === undefined ? { at: t0, ms } : { at: t0, ms, who: o.who });
          if (o.typingGapMs > 0) await sleep(o.typingGapMs);
        }
        o.onTyping?.(false);
        t.skip();
        t.send('\r');
        await t.waitFor(SHELL_PROMPT, 60_000);
        commands++;
      } catch {
        o.onTyping?.(false);
        failures++;
        t.send('\x03'); // abandon the line; the next command starts afresh
        await sleep(500);
      } finally {
        if (o.state) o.state.busy = false;
      }
    }
  }
  return { commands, failures };
}
