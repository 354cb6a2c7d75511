/**
 * Archives a trainee's home (the environment's workdir) out of their
 * container into a .tar.gz on the host, streamed end to end (the engine's
 * archive API → gzip → file), so a big home never sits in memory. Works on
 * stopped containers too.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';

export async function exportHome(driver: RuntimeDriver, containerId: string, home: string, outFile: string): Promise<void> {
  mkdirSync(dirname(outFile), { recursive: true, mode: 0o700 });
  const tar = await driver.getArchive(containerId, home);
  await pipeline(tar, createGzip(), createWriteStream(outFile, { mode: 0o600 }));
}

/** `<dir>/<account>-<environment>-<UTC timestamp>.tar.gz` */
export function exportFileName(dir: string, account: string, environment: string, at: Date): string {
  return `${dir}/${account}-${environment}-${at.toISOString().replace(/[:.]/g, '-')}.tar.gz`;
}
