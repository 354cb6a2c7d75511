/**
 * How many engine mutations (create, start, stop, remove, rename, network) ISLET lets run at once unless
 * `runtime.engine_mutations` says otherwise: 8 (moby#42545 is why there is a cap at all).
 *
 * Why not fewer on a small machine: a container start costs the engine about a third of a CPU-second on the 2-core
 * benchmark VM, and the engine alone ran a storm of 100 by p95 17.1 s at 2 at a time against 21.4 s at 8
 * (`bench/results/2026-12-06-engine-caps.json`, bench/engine-caps.ts); but ISLET's own cold storm at 2 and at 8, in
 * turn, was no different (`bench/results/2026-12-06-storm-cap-ab/`: p95 22.4 and 25.4 s at 2, 22.6 and 24.0 s at 8),
 * and a stop holds its place until its container ends (ISLET's lifecycle gives 1 s of grace, which an interactive
 * shell, ignoring SIGTERM, uses up), so with two places two stops would hold up every login behind them. A trainer
 * can try fewer (or more, for an engine on a larger machine) with `runtime.engine_mutations`; bench/login-storm.ts
 * --engine-mutations measures it.
 */
export const DEFAULT_ENGINE_MUTATIONS = 8;
