/**
 * Test support for the RuntimeDriver conformance suite: running an execution to its end, and tar archives in and
 * out of an instance. Not used by the product.
 */
import { pack, extract } from 'tar-stream';
import type { Readable } from 'node:stream';
import type { Execution } from './runtime-driver.ts';

/**
 * Runs an execution to its end with `input` on stdin (null: stdin stays open, as a TTY client leaves it; with a
 * TTY the engine may end the whole stream when stdin ends); its exit status and both outputs.
 */
export async function collect(e: Execution, input: string | null = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  e.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  e.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  if (input !== null) e.stdin.end(input);
  const code = await within(e.exited, 15_000, 'the execution ends');
  await new Promise((r) => setImmediate(r));
  return { code, out, err };
}

/** A tar archive of the given entries (a name ending in `/` is a directory). */
export async function tarOf(entries: { name: string; body?: string; uid?: number }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const owner = { uid: e.uid ?? 0, gid: e.uid ?? 0 };
    if (e.name.endsWith('/')) p.entry({ name: e.name, type: 'directory', mode: 0o755, ...owner });
    else p.entry({ name: e.name, mode: 0o644, ...owner }, e.body ?? '');
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The entries of a tar stream: name (without a trailing `/`) → body and uid. */
export async function untar(stream: Readable): Promise<Map<string, { body: string; uid: number }>> {
  const got = new Map<string, { body: string; uid: number }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.on('entry', (h, s, next) => {
    let body = '';
    s.on('data', (c: unknown) => {
      body += String(c);
    });
    s.on('end', () => {
      got.set(h.name.replace(/\/$/, ''), { body, uid: h.uid ?? 0 });
      next();
    });
  });
  stream.pipe(ex);
  await within(done, 15_000, 'the archive is read');
  return got;
}

/** `p`, or a rejection naming `what` once `ms` have passed. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
