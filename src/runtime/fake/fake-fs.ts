/**
 * The filesystem of one fake instance: a flat map of absolute paths to
 * directories and files, with tar in (putArchive) and tar out (getArchive)
 * shaped as the Docker engine shapes them: an archive of `/a/b` holds `b`
 * (and `b/...` for a directory).
 *
 * Contract: paths are absolute and normalised by `resolvePath`; `written`
 * counts the bytes put into files since the instance was created (the fake's
 * "writable layer", what diskUsage reports).
 */
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';

export interface FakeFile {
  readonly kind: 'file';
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
}
export interface FakeDir {
  readonly kind: 'dir';
  mode: number;
  uid: number;
  gid: number;
}
export type FakeNode = FakeFile | FakeDir;

/** `p` made absolute against `cwd`, with `.`/`..` resolved. */
export function resolvePath(cwd: string, p: string): string {
  return posix.resolve(cwd, p);
}

export class FakeFs {
  readonly #nodes = new Map<string, FakeNode>([['/', { kind: 'dir', mode: 0o755, uid: 0, gid: 0 }]]);
  written = 0;

  get(path: string): FakeNode | undefined {
    return this.#nodes.get(path);
  }

  /** Makes a directory and its missing parents. */
  mkdirp(path: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }, mode = 0o755): void {
    if (path === '/' || this.#nodes.get(path)?.kind === 'dir') return;
    this.mkdirp(posix.dirname(path), owner);
    this.#nodes.set(path, { kind: 'dir', mode, ...owner });
  }

  /** Writes a file; false when its directory is missing or the path is a directory. */
  write(path: string, data: Buffer, opts: { append?: boolean; uid?: number; gid?: number; mode?: number } = {}): boolean {
    if (this.#nodes.get(posix.dirname(path))?.kind !== 'dir') return false;
    const old = this.#nodes.get(path);
    if (old?.kind === 'dir') return false;
    const body = opts.append && old ? Buffer.concat([old.data, data]) : data;
    this.written += data.length;
    this.#nodes.set(path, { kind: 'file', data: body, mode: opts.mode ?? old?.mode ?? 0o644, uid: opts.uid ?? old?.uid ?? 0, gid: opts.gid ?? old?.gid ?? 0 });
    return true;
  }

  /** Removes a path (and everything under it); false when it did not exist. */
  remove(path: string): boolean {
    if (!this.#nodes.has(path) || path === '/') return false;
    for (const p of [...this.#nodes.keys()]) if (p === path || p.startsWith(`${path}/`)) this.#nodes.delete(p);
    return true;
  }

  /** Names directly inside a directory, sorted. */
  list(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...this.#nodes.keys()]
      .filter((p) => p !== '/' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => p.slice(prefix.length))
      .sort();
  }

  /** Unpacks a tar archive into `dir` (which must exist); ownership and modes as in the archive. */
  async untar(dir: string, tar: Buffer): Promise<void> {
    const ex = extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        const path = resolvePath(dir, h.name);
        const owner = { uid: h.uid ?? 0, gid: h.gid ?? 0 };
        if (h.type === 'directory') this.mkdirp(path, owner, h.mode ?? 0o755);
        else {
          this.mkdirp(posix.dirname(path));
          this.write(path, Buffer.concat(chunks), { ...owner, mode: h.mode ?? 0o644 });
        }
        next();
      });
    });
    ex.end(tar);
    await done;
  }

  /** A tar stream of `path` (a file, or a directory with everything under it), named by its last segment. */
  tar(path: string): Readable {
    const p = pack();
    const base = posix.basename(path) || '.';
    for (const [k, n] of [...this.#nodes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (k !== path && !k.startsWith(path === '/' ? '/' : `${path}/`)) continue;
      const name = k === path ? base : posix.join(base, k.slice(path.length));
      const header = { name, mode: n.mode, uid: n.uid, gid: n.gid };
      if (n.kind === 'dir') p.entry({ ...header, type: 'directory' });
      else p.entry(header, n.data);
    }
    p.finalize();
    const out = new PassThrough();
    p.pipe(out);
    return out;
  }
}
