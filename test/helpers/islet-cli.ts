/**
 * Runs the real `bin/islet` once (no shell) and collects its output, for
 * tests of the CLI verbs. The catalogue's download cache is shared between
 * runs (ISLET_CATALOGUE_CACHE, default under the system temp dir): a second
 * run of the suite downloads nothing.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './islet-process.ts';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

export const catalogueCache = process.env.ISLET_CATALOGUE_CACHE ?? join(tmpdir(), 'islet-catalogue-cache');

export function islet(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20 * 60_000): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'bin/islet'),
      [...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ISLET_CATALOGUE_CACHE: catalogueCache, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
        resolve({ code, out: stdout, err: stderr, ms: Date.now() - started });
      },
    );
  });
}
