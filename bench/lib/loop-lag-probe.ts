/**
 * Loaded into a server with `--import` (bench/echo-trace.ts): every 5 ms, notes how late its timer ran, and
 * appends each lateness over 8 ms to $LOOP_LAG_FILE: wall-clock time (ms), how late (ms), and CLOCK_MONOTONIC (ms,
 * the clock of a scheduler trace with trace_clock `mono`, which places the episode in it with no cross-process
 * conversion). A late timer means the event loop could not run: busy, blocked, or waiting for a CPU. The timer
 * does not keep the server alive, and stops once the file can no longer be written.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.LOOP_LAG_FILE;
// Only the process it was loaded into: a child forked with this environment (ISLET's password hasher, which
// also inherits the --import) must not write its own lateness into the same file; the hasher runs under
// SCHED_IDLE, so its timer is late whenever the machine is busy, and read as the server's it misleads.
delete process.env.LOOP_LAG_FILE;
if (file) {
  // performance.now() counts CLOCK_MONOTONIC from a fixed origin: the offset to the clock itself, read once.
  const mono = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 5;
    try {
      if (late > 8) appendFileSync(file, `${(performance.timeOrigin + now).toFixed(1)} ${late.toFixed(1)} ${(mono + now).toFixed(1)}\n`);
    } catch {
      clearInterval(timer); // the file's directory is gone: whoever reads it is done
    }
    last = now;
  }, 5).unref();
}
