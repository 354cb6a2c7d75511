/**
 * The order of a login-storm run's timed storms (issue 15.4: ISLET's cold storm is judged against the
 * engine alone of the same run, so the two must meet the same machine).
 *
 * Why: each round used to run the engine alone first and then the systems in turns, so the engine alone never
 * followed anything while ISLET followed the peer's storm every other round (190 s over 100 containers, most of
 * both cores, and a teardown the kernel goes on with after the engine answers). Whether that costs ISLET is not
 * settled: its ratio was ×1.07 after the engine and ×1.32 after the peer in f4ca328's run, ×1.26 and ×1.17 in
 * 52def27's (bench/results/archive/2026-12-03-login-storm-*.json). Either way the floor and the storm judged
 * against it should meet the same machine: the floor and every system judged against it (`islet`) alternate among
 * themselves, each first in every other round, and the peer's cold storms (compared at about ×5, where the order
 * cannot decide anything) run after all of those rounds, so they precede none of them.
 *
 * Contract: one entry per timed storm, in run order; `round` numbers each name's storms from 0; every
 * name in `systems` gets `rounds` storms and `engine` gets `rounds`; a name is never repeated in a round.
 */
export interface StormTurn {
  readonly name: string;
  readonly round: number;
}

/** The turns of `rounds` rounds of the engine alone and `systems`; the peer's storms last. */
export function stormOrder(systems: readonly string[], rounds: number): StormTurn[] {
  const judged = ['engine', ...systems.filter((s) => s !== 'peer')];
  const out: StormTurn[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...judged].reverse() : judged;
    for (const name of order) out.push({ name, round });
  }
  if (systems.includes('peer')) for (let round = 0; round < rounds; round++) out.push({ name: 'peer', round });
  return out;
}
