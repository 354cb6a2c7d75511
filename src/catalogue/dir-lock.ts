/**
 * A lock between processes (two test files, or a trainer's two terminals,
 * building the same image): a directory made atomically with mkdir, holding
 * the owner's pid. A lock whose owner is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function withDirLock<T>(path: string, fn: () => Promise<T>, opts: { waitMs?: number; onWait?: () => void } = {}): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (opts.waitMs ?? 3 * 3600_000);
  let told = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ownerGone(path)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${path} still held after waiting`);
      if (!told) {
        opts.onWait?.();
        told = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

function ownerGone(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
  } catch {
    return false;
  } // being created: not gone
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
