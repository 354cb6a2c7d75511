/**
 * Archives a trainee's home (the environment's workdir) out of their
 * container into a .tar.gz on the host, streamed end to end (the engine's
 * archive API → gzip → file), so a big home never sits in memory. Works on
 * stopped containers too.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
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

/**
 * The archive kept when a container expires: one per container (named by its id), written to
 * `.partial` and renamed when complete, so two ISLET processes reconciling at once never write two,
 * and a container is removed only once its archive is whole.
 * Returns 'done' (archive complete: remove the container), or 'busy' (another process is writing it: wait).
 */
export async function exportBeforeRemoval(
  driver: RuntimeDriver,
  containerId: string,
  home: string,
  dir: string,
  account: string,
  environment: string,
): Promise<{ state: 'done' | 'busy'; file: string }> {
  const file = `${dir}/${account}-${environment}-${containerId.slice(0, 12)}.tar.gz`;
  if (existsSync(file)) return { state: 'done', file };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${file}.partial`;
  let out;
  try {
    out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
    await new Promise((res, rej) => {
      out!.once('open', res);
      out!.once('error', rej);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { state: 'busy', file };
    throw err;
  }
  try {
    await pipeline(await driver.getArchive(containerId, home), createGzip(), out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, file);
  return { state: 'done', file };
}
