/**
 * Where the catalogue lives: the recipes (`catalogue/` beside the program,
 * or ISLET_CATALOGUE), and the download caches and datasets under the data
 * directory.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's catalogue/ (src/catalogue/ is two levels below it). */
const BUNDLED = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'catalogue');

export function catalogueDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ISLET_CATALOGUE || BUNDLED;
}

export interface CachePaths {
  /** debootstrap's .deb cache of one suite. */
  readonly debs: (suite: string) => string;
  /** The bootstrapped root filesystem as a tarball: re-imported without downloading. */
  readonly rootfs: (suite: string) => string;
  /** apt's lists and archives of one suite, mounted into build containers. */
  readonly aptLists: (suite: string) => string;
  readonly aptArchives: (suite: string) => string;
  readonly lock: (suite: string) => string;
  /** Directory locks (dir-lock.ts) between processes bootstrapping or building the same thing. */
  readonly processLock: (name: string) => string;
}

/** Caches under `<data>/catalogue-cache/` (ISLET_CATALOGUE_CACHE moves them, e.g. to share one between data directories). */
export function cachePaths(dataDir: string, env: NodeJS.ProcessEnv = process.env): CachePaths {
  const root = env.ISLET_CATALOGUE_CACHE || join(dataDir, 'catalogue-cache');
  return {
    debs: (s) => join(root, 'debs', s),
    rootfs: (s) => join(root, 'rootfs', `${s}.tar`),
    aptLists: (s) => join(root, 'apt', s, 'lists'),
    aptArchives: (s) => join(root, 'apt', s, 'archives'),
    lock: (s) => join(root, 'apt', `${s}.lock`),
    processLock: (n) => join(root, 'locks', n.replace(/[^A-Za-z0-9_.-]/g, '_')),
  };
}

export function datasetsDir(dataDir: string): string {
  return join(dataDir, 'datasets');
}

/** A data directory made by a catalogue command gets ISLET's mode (0700), as `islet serve` would give it. */
export function ensureDataDir(dataDir: string): string {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return dataDir;
}
