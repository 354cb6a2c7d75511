/**
 * What a container's writable layer occupies on the host's disk, read from
 * the layer's directory (overlay2 `UpperDir`) when ISLET runs beside the
 * engine. The engine's own `SizeRw` is the sum of file sizes: 5,000 two-byte
 * files count as 10 kB while they take 20 MB of blocks, and empty files count
 * as nothing while they use up inodes — a many-small-files fill would pass
 * under `disk_quota` unseen.
 *
 * Contract: every entry (file, directory, link) counts its allocated blocks,
 * and at least MIN_ENTRY_BYTES, so a flood of tiny or empty files is charged
 * like the disk it takes. Never follows symlinks, never leaves the directory's
 * filesystem. Rejects when the directory cannot be read (another host, no
 * permission); the caller then falls back to the engine's figure.
 */
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** The least an entry is charged: one block of a common filesystem, standing for its inode too. */
export const MIN_ENTRY_BYTES = 4096;

/** Directories read at once (each read is a thread-pool job; the event loop stays free). */
const PARALLEL = 4;

export async function layerUsage(dir: string, opts: { deadline?: number } = {}): Promise<number> {
  const root = await lstat(dir);
  let total = 0;
  const pending: string[] = [dir];
  const charge = (blocks: number) => {
    total += Math.max(blocks * 512, MIN_ENTRY_BYTES);
  };
  charge(root.blocks);
  const worker = async () => {
    for (let d = pending.pop(); d !== undefined; d = pending.pop()) {
      if (opts.deadline !== undefined && Date.now() > opts.deadline) throw new Error(`layerUsage: ${dir} not measured in time`);
      const entries = await opendir(d).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // removed while we walk
        throw err;
      });
      if (!entries) continue;
      for await (const e of entries) {
        const p = join(d, e.name);
        const st = await lstat(p).catch(() => undefined);
        if (!st) continue;
        charge(st.blocks);
        if (st.isDirectory() && st.dev === root.dev) pending.push(p);
      }
    }
  };
  // Workers take directories from one list; a worker that finds it empty stops, so rerun until none is left.
  while (pending.length > 0) await Promise.all(Array.from({ length: PARALLEL }, worker));
  return total;
}
