/**
 * The web door's page and its files (served by web-server.ts): read once at start, each under a plain and a
 * versioned URL, with brotli and gzip forms computed in the background.
 */
import { createHash } from 'node:crypto';
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const xtermLib = dirname(require.resolve('@xterm/xterm'));
const fitLib = dirname(require.resolve('@xterm/addon-fit'));
const publicDir = join(import.meta.dirname, 'public');

/** One of the page's files, with its compressed forms once computed (in the background, at start). */
export interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
  br?: Buffer;
  gzip?: Buffer;
}

/**
 * The page's files, read once at start. xterm.js is served as published (re-minifying it below es2021 breaks
 * vim: xterm.js#5800); its brotli and gzip forms (345 KB → 83 and 88 KB; brotli quality 6: ~10 ms, where 11
 * costs 1.2 s of CPU at every start) are computed once, off the main thread
 * (zlib's thread pool), and served to browsers that accept them; until they are ready, the plain body.
 */
export function staticFiles(): Map<string, StaticFile> {
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  const files: [string, string, string][] = [
    ['/', join(publicDir, 'index.html'), 'text/html; charset=utf-8'],
    ['/static/app.js', join(publicDir, 'app.js'), js],
    ['/static/protocol.js', join(publicDir, 'protocol.js'), js],
    ['/static/boot.js', join(publicDir, 'boot.js'), js],
    ['/static/keybar.js', join(publicDir, 'keybar.js'), js],
    ['/static/help-bar.js', join(publicDir, 'help-bar.js'), js],
    ['/static/csp-styles.js', join(publicDir, 'csp-styles.js'), js],
    ['/static/style.css', join(publicDir, 'style.css'), css],
    ['/static/xterm.mjs', join(xtermLib, 'xterm.mjs'), js],
    ['/static/xterm.css', join(xtermLib, '..', 'css', 'xterm.css'), css],
    ['/static/addon-fit.mjs', join(fitLib, 'addon-fit.mjs'), js],
  ];
  const bodies = new Map(files.map(([url, path]) => [url, readFileSync(path)]));
  // The build's version: a hash of every file the page loads. The page names its files under it (see VERSIONED).
  const hash = createHash('sha256');
  for (const [url] of files) if (url !== '/') hash.update(url).update(bodies.get(url)!);
  const version = hash.digest('base64url').slice(0, 12);
  const out = new Map(
    files.map(([url, _path, type]) => {
      const raw = bodies.get(url)!;
      const body = url === '/' ? Buffer.from(raw.toString('utf8').replaceAll('"/static/', `"${VERSIONED}${version}/`)) : raw;
      const f: StaticFile = { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      if (body.length >= 1024) {
        brotliCompress(body, { params: { [zc.BROTLI_PARAM_QUALITY]: 6, [zc.BROTLI_PARAM_SIZE_HINT]: body.length } }, (err, out) => {
          if (!err && out.length < body.length) f.br = out;
        });
        gzip(body, { level: 6 }, (err, out) => {
          if (!err && out.length < body.length) f.gzip = out;
        });
      }
      return [url, f];
    }),
  );
  for (const [url, f] of [...out]) if (url.startsWith('/static/')) out.set(`${VERSIONED}${version}/${url.slice('/static/'.length)}`, f);
  return out;
}

/**
 * Every page file is served twice: at /static/NAME, revalidated on every load (no-cache, ETag), and at
 * /static/v/VERSION/NAME, immutable for a year, where VERSION hashes all of them. The page (/, always
 * revalidated) names the versioned URLs, and its modules' relative imports resolve within the same version:
 * a returning trainee's browser takes the files from its cache without a request, and with them V8's code
 * cache for xterm.js (Chromium keeps compiled code for scripts it loads again from its cache); a new build
 * changes VERSION, so its page names new URLs.
 */
export const VERSIONED = '/static/v/';

/** The body to send for `accept` (the request's Accept-Encoding): brotli, gzip or plain, and its ETag and encoding. */
export function encoded(f: StaticFile, accept: string | undefined): { body: Buffer; etag: string; encoding?: 'br' | 'gzip' } {
  const a = String(accept ?? '');
  if (f.br && /\bbr\b/.test(a)) return { body: f.br, etag: `${f.etag.slice(0, -1)}-br"`, encoding: 'br' };
  if (f.gzip && /\bgzip\b/.test(a)) return { body: f.gzip, etag: `${f.etag.slice(0, -1)}-gz"`, encoding: 'gzip' };
  return { body: f.body, etag: f.etag };
}
