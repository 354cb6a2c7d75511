/**
 * Datasets: pcaps, logs and exercise files kept under `<data>/datasets/<name>/`,
 * mounted read-only at `/datasets/<name>` into the environments that list them
 * (`datasets: [name]`) and into `islet run -r <name>`.
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { IsletError } from '../core/islet-error.ts';
import { namePattern } from '../config/schema.ts';

export const DATASET_MOUNT_ROOT = '/datasets';

export interface Dataset {
  readonly name: string;
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
}

export function datasetMount(dir: string, name: string): { source: string; target: string } {
  return { source: datasetPath(dir, name), target: `${DATASET_MOUNT_ROOT}/${name}` };
}

export function datasetPath(dir: string, name: string): string {
  if (!namePattern.test(name)) throw new IsletError('CATALOGUE_INVALID', `invalid dataset name ${JSON.stringify(name)} (letters, digits, ._- ; at most 63)`);
  const p = join(dir, name);
  if (!existsSync(p))
    throw new IsletError(
      'CATALOGUE_NOT_FOUND',
      `no dataset named ${name}.`,
      `no dataset ${name} in ${dir} (islet dataset ls; islet dataset add ${name} <path>)`,
      { dataset: name },
    );
  return p;
}

export function hasDataset(dir: string, name: string): boolean {
  return namePattern.test(name) && existsSync(join(dir, name));
}

export function listDatasets(dir: string): Dataset[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => namePattern.test(n))
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const { files, bytes } = usage(path);
      return { name, path, files, bytes };
    });
}

/**
 * Copies a file or directory in (a copy, so the dataset does not change when
 * the original does), readable by the images' unprivileged user.
 */
export function addDataset(dir: string, name: string, source: string): Dataset {
  if (!namePattern.test(name)) throw new IsletError('CATALOGUE_INVALID', `invalid dataset name ${JSON.stringify(name)} (letters, digits, ._- ; at most 63)`);
  const src = resolve(source);
  if (!existsSync(src)) throw new IsletError('CATALOGUE_NOT_FOUND', `${source} does not exist.`);
  const dst = join(dir, name);
  if (existsSync(dst)) throw new IsletError('CATALOGUE_INVALID', `a dataset named ${name} exists already (islet dataset rm ${name} first).`);
  const isDir = statSync(src).isDirectory();
  mkdirSync(isDir ? dir : dst, { recursive: true });
  cpSync(src, isDir ? dst : join(dst, basename(src)), { recursive: true, dereference: true, errorOnExist: true });
  readable(dir, false);
  readable(dst, true);
  return listDatasets(dir).find((d) => d.name === name)!;
}

export function removeDataset(dir: string, name: string): void {
  rmSync(datasetPath(dir, name), { recursive: true, force: true });
}

function readable(p: string, recursive: boolean): void {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  chmodSync(p, st.isDirectory() ? (st.mode & 0o7777) | 0o755 : (st.mode & 0o7777) | 0o644);
  if (st.isDirectory() && recursive) for (const n of readdirSync(p)) readable(join(p, n), true);
}

function usage(p: string): { files: number; bytes: number } {
  const st = lstatSync(p);
  if (!st.isDirectory()) return { files: 1, bytes: st.size };
  let files = 0;
  let bytes = 0;
  for (const n of readdirSync(p)) {
    const u = usage(join(p, n));
    files += u.files;
    bytes += u.bytes;
  }
  return { files, bytes };
}
