/**
 * The console's page and its files: GET /console serves console.html;
 * /console/static/<file> serves console.js, console.css, features.json and
 * every script or style a feature lists in features.json (read at each
 * request, so adding a feature is one line there and no code here).
 *
 * Contract: only files of src/console/public/ named by this list are served
 * (no path from the URL reaches the file system unchecked); the page and its
 * files are public (they hold no data); every data route needs the guard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebRoutes } from '../web/web-server.ts';

export const CONSOLE_PUBLIC = join(import.meta.dirname, 'public');

export interface FeatureEntry {
  readonly name: string;
  readonly script: string;
  readonly title: string;
  readonly style?: string;
}

const FILE = /^\/console\/static\/([a-z0-9][a-z0-9._-]{0,63}\.(?:js|css|json))$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json; charset=utf-8' };

/** The features the page loads (entries whose paths are not console static files are dropped). */
export function readFeatures(dir = CONSOLE_PUBLIC): FeatureEntry[] {
  const list = JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8')) as unknown;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (f): f is FeatureEntry =>
      typeof f?.name === 'string' &&
      typeof f.title === 'string' &&
      typeof f.script === 'string' &&
      FILE.test(f.script) &&
      (f.style === undefined || (typeof f.style === 'string' && FILE.test(f.style))),
  );
}

/** The file names under /console/static/ that may be served. */
export function servedFiles(dir = CONSOLE_PUBLIC): Set<string> {
  const names = new Set(['console.js', 'console.css', 'features.json', 'svg-chart.js', 'roster.js']);
  for (const f of readFeatures(dir)) for (const p of [f.script, f.style]) if (p) names.add(FILE.exec(p)![1]!);
  return names;
}

export function consolePageRoutes(dir = CONSOLE_PUBLIC): WebRoutes {
  return (app) => {
    app.get('/console', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(readFileSync(join(dir, 'console.html'))),
    );
    app.get('/console/static/*', async (req, reply) => {
      const m = FILE.exec(req.url.split('?')[0]!);
      const name = m?.[1];
      if (!name || !servedFiles(dir).has(name)) return reply.code(404).type('text/plain').send('not found\n');
      let body: Buffer;
      try {
        body = readFileSync(join(dir, name));
      } catch {
        return reply.code(404).type('text/plain').send('not found\n');
      }
      return reply.type(TYPES[name.split('.').pop()!]!).header('cache-control', 'no-cache').send(body);
    });
  };
}
