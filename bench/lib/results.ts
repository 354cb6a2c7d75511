/** Writes a benchmark's result to bench/results/<date>-<name>.json and says where. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { runMeta } from './run-meta.ts';

export function writeResult(name: string, result: { date: string; [field: string]: unknown }): string {
  const dir = process.env.ISLET_BENCH_RESULTS ?? join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.date.slice(0, 10)}-${name}.json`);
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
