/**
 * Prints how fast this machine is right now (bench/lib/machine-state.ts), beside the figures of the one
 * slow spell measured so far: run by `npm run bench` before its first step, so that a run started on a
 * slow machine can be seen at once rather than in its figures. Every result file records the same probe
 * at its start and end (`run.machine_state_at_start`, `run.machine_state_at_end`).
 *
 * Usage: node bench/machine-state.ts
 */
import { machineState } from './lib/machine-state.ts';

const s = machineState();
console.log(`machine state: ${JSON.stringify(s)}`);
// Only a slow spell has been probed so far; the usual figures are not known yet (docs/performance.md, "The machine").
console.log(
  "  in the slow spell of 2026-12-01 22:10 UTC (create + start through the Engine API ~0.6 s; 0.2 s in the morning's latency file): " +
    'pageFaultUs ~16, spawnMs ~7.5-13',
);
