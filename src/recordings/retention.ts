/**
 * Recording retention: removes recordings (`*.cast`) and event files (`events-*.jsonl`) under
 * `<recordings>/<account>/` last written more than `retentionSeconds` ago (0: keep everything), then
 * account folders left empty. Touches nothing else: only those two file patterns in the recordings
 * directory, never a file being written now (`live`). Run by the reconciler (lifecycle-service.ts) and so
 * by `islet reap`.
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const OWNED = /^(?:[0-9TZ]{16}-[a-z]{1,8}-[0-9a-f]{8}\.cast|events-\d{4}-\d{2}-\d{2}\.jsonl)$/;

export async function sweepRecordings(dir: string, retentionSeconds: number, now: Date, live: ReadonlySet<string> = new Set()): Promise<string[]> {
  if (retentionSeconds <= 0) return [];
  const cutoff = now.getTime() - retentionSeconds * 1000;
  const removed: string[] = [];
  const accounts = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory());
  for (const a of accounts) {
    const folder = join(dir, a.name);
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      const path = join(folder, name);
      if (!OWNED.test(name) || live.has(path)) continue;
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile() && st.mtimeMs < cutoff) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
    await rmdir(folder).catch(() => undefined); // only succeeds when empty
  }
  return removed;
}
