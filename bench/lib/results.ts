/** Writes a benchmark's result to bench/results/<date>-<name>.json and says where. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { runMeta } from './run-meta.ts';

/** Where the result `name` of a run started at `date` (ISO) is written: bench/results, or ISLET_BENCH_RESULTS. */
export function resultPath(name: string, date: string): string {
  return join(process.env.ISLET_BENCH_RESULTS ?? join(repoRoot, 'bench/results'), `${date.slice(0, 10)}-${name}.json`);
}

export function writeResult(name: string, result: { date: string; [field: string]: unknown }): string {
  const file = resultPath(name, result.date);
  mkdirSync(dirname(file), { recursive: true });
  // Every result says which commit, machine, time and command made it (issue 15.3; bench/lib/run-meta.ts).
  writeFileSync(file, `${JSON.stringify({ ...result, run: runMeta() }, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return file;
}

/** Percentile (nearest rank) of `xs`; NaN when empty. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
