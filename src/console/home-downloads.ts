/**
 * Homes exported from the console, handed to the browser: the export itself is a CSRF-checked POST
 * (AdminService.exportAccount writes <data>/exports/*.tar.gz, as `islet export` does); it answers a
 * one-time link, and a GET of that link by the same instructor streams one .tar holding those archives
 * (read from disk, never whole in memory). Links expire after ten minutes and work once.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';

const TTL_MS = 10 * 60_000;

interface Pending {
  readonly instructor: string;
  readonly files: readonly string[];
  readonly until: number;
}

export class HomeDownloads {
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Registers archives for one instructor; returns the token of the link. */
  offer(instructor: string, files: readonly string[]): string {
    const now = this.#now();
    for (const [k, p] of this.#pending) if (p.until <= now) this.#pending.delete(k);
    const token = randomBytes(18).toString('base64url');
    this.#pending.set(token, { instructor, files, until: now + TTL_MS });
    return token;
  }

  /** The archives behind a token, once, for the instructor it was made for; undefined otherwise. */
  take(token: string, instructor: string): readonly string[] | undefined {
    const p = this.#pending.get(token);
    if (!p || p.instructor !== instructor || p.until <= this.#now()) return undefined;
    this.#pending.delete(token);
    return p.files;
  }
}

/** A tar stream of the files (by their base names), each streamed from disk in turn. */
export function tarOf(files: readonly string[]): Readable {
  const tar = pack();
  void (async () => {
    try {
      for (const f of files) {
        const entry = tar.entry({ name: basename(f), size: statSync(f).size, mode: 0o600, mtime: new Date() });
        await pipeline(createReadStream(f), entry);
      }
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  return tar as unknown as Readable; // tar-stream's Pack is a streamx Readable, which Node's pipeline and fastify accept
}
